"""The Slack adapter: slack-bolt turns ``/news`` and ``/digest`` into ``handle_command`` calls.

HTTP mode mounts ``POST /slack/events`` on the bot's one aiohttp server (next to ``/healthz``);
Bolt checks every request's signature (v0 HMAC over ``v0:timestamp:body``, 5-minute window) and
answers 401 to a bad or stale one. Socket Mode (``SLACK_APP_TOKEN``) needs no public URL.

Slash commands are acknowledged first (an empty 200 within Slack's 3 seconds), then answered
through ``response_url``: digests in the channel (Block Kit from ``digests.render.slack``), the
rest to the asker only. ``response_url`` takes at most 5 follow-ups, so a digest split into more
messages is posted with ``chat.postMessage`` instead (the bot must be in the channel).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.commands import CommandMetrics, handle_command
from bot.senders.slack import SlackSender, escape_plain, make_slack_client
from bot.types import CommandContext, Reply, Target
from bot.web import SLACK_EVENTS_PATH
from digests.errors import DeliveryError, DigestbotError
from digests.render import slack as render_slack

log = logging.getLogger(__name__)

EVENTS_PATH = SLACK_EVENTS_PATH
MAX_FOLLOWUPS = 5  # Slack accepts 5 posts to one response_url (within 30 minutes)
REPLY_BUDGET = 3500  # characters per reply message, well inside Slack's limits
LINK_LABEL_BUDGET = 200

Respond = Callable[..., Awaitable[Any]]
_FOLLOWUP_KEYS = frozenset({"text", "blocks", "attachments", "unfurl_links", "unfurl_media",
                            "metadata", "thread_ts"})


def make_slack_app(
    app: App,
    *,
    client: AsyncWebClient | None = None,
    socket_mode: bool = False,
    metrics: CommandMetrics | None = None,
) -> AsyncApp:
    """The Bolt app with the ``/news`` and ``/digest`` commands, on the bot token's client.

    HTTP mode needs ``SLACK_SIGNING_SECRET``. In Socket Mode without one, a random secret is
    used, so an HTTP request can never pass verification (closed rather than open). Without
    ``SLACK_BOT_TOKEN`` (HTTP mode only) the commands still work: every answer goes to the
    command's ``response_url``, which needs no token; only scheduled posts and a digest too
    long for ``response_url`` need the token. With ``metrics``, every command's time to answer
    is observed (``command_seconds``).
    """
    token = app.secrets.slack_bot_token
    if not token and socket_mode:
        raise DigestbotError("SLACK_BOT_TOKEN is not set: the Slack app cannot start")
    signing_secret = app.secrets.slack_signing_secret
    if not signing_secret:
        if not socket_mode:
            raise DigestbotError(
                "SLACK_SIGNING_SECRET is not set: needed to verify Slack's HTTP requests "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            )
        signing_secret = secrets.token_hex(32)
    web_client = client or make_slack_client(token)
    if token:
        with _client_token_only(web_client):
            bolt = AsyncApp(
                client=web_client,
                signing_secret=signing_secret,
                name="digestbot",
                process_before_response=False,
            )
    else:
        bolt = AsyncApp(
            client=web_client,
            signing_secret=signing_secret,
            name="digestbot",
            process_before_response=False,
            authorize=_no_token,
        )
    sender = SlackSender(web_client, min_interval=app.settings.delivery.min_interval_seconds)
    allowed = frozenset(app.settings.permissions.slack_allowed_users)

    async def answer(text: str, command: dict[str, Any], respond: Respond) -> None:
        user = str(command.get("user_id", ""))
        ctx = CommandContext(
            platform="slack",
            channel_id=str(command.get("channel_id", "")),
            user_id=user,
            can_manage=not allowed or user in allowed,
        )
        reply = await handle_command(app, text, ctx, metrics=metrics)
        pause = app.settings.delivery.min_interval_seconds
        await send_reply(reply, respond, sender=sender, channel_id=ctx.channel_id, pause=pause)

    async def on_news(ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                      respond: Respond) -> None:
        await ack()
        await answer(str(command.get("text", "")), command, respond)

    async def on_digest(ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                        respond: Respond) -> None:
        await ack()
        await answer(f"digest {command.get('text', '')}", command, respond)

    bolt.command("/news")(on_news)
    bolt.command("/digest")(on_digest)
    return bolt


async def _no_token(**_: Any) -> AuthorizeResult:
    """Bolt's authorization without a bot token: the request is verified (signature), the
    answers go to ``response_url``; nothing here calls the Web API."""
    return AuthorizeResult(enterprise_id=None, team_id=None)


@contextmanager
def _client_token_only(client: AsyncWebClient) -> Iterator[None]:
    """Bolt takes the token from the client it is given, as documented ("As you gave `client`
    as well, `token` will be unused"); but with no ``token`` argument it still reads
    ``$SLACK_BOT_TOKEN`` itself and then warns that this token is unused. When that is the
    very token the client carries, the warning says nothing: it is dropped while Bolt starts.
    A different token in the environment is still warned about."""
    if os.environ.get("SLACK_BOT_TOKEN") != client.token:
        yield
        return
    unused = _Drop(warning_client_prioritized_and_token_skipped())
    bolt_log = get_bolt_logger(AsyncApp)
    bolt_log.addFilter(unused)
    try:
        yield
    finally:
        bolt_log.removeFilter(unused)


class _Drop(logging.Filter):
    """Drops the log records with exactly this message."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


def add_slack_routes(web_app: web.Application, bolt: AsyncApp) -> None:
    """Mount ``POST /slack/events`` (slash commands, interactivity, events) on ``web_app``."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post(EVENTS_PATH, slack_events)


def socket_mode_handler(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Bolt's Socket Mode handler on the app's own client (so ``SLACK_API_URL`` applies)."""
    return AsyncSocketModeHandler(bolt, app_token)


async def start_socket_mode(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode; the caller ``await handler.close_async()`` on stop."""
    handler = socket_mode_handler(bolt, app_token)
    await handler.connect_async()
    log.info("slack socket mode connected")
    return handler


# --- replies ----------------------------------------------------------------------------------


async def send_reply(
    reply: Reply,
    respond: Respond,
    *,
    sender: SlackSender,
    channel_id: str,
    pause: float = 1.0,
) -> None:
    """Deliver a ``Reply`` through ``response_url``: a digest in the channel, the rest to the
    asker. A follow-up that fails is logged (the asker sees nothing rather than a traceback)."""
    try:
        if reply.digest is not None:
            payloads = render_slack.render(reply.digest)
            if len(payloads) > MAX_FOLLOWUPS:
                await _post_long_digest(reply, respond, sender, channel_id)
                return
            for index, payload in enumerate(payloads):
                if index:
                    await asyncio.sleep(pause)  # about one message per second per channel
                await respond(response_type="in_channel", **_followup(payload))
            return
        kind = "ephemeral" if reply.ephemeral else "in_channel"
        for payload in reply_messages(reply)[:MAX_FOLLOWUPS]:
            await respond(response_type=kind, **payload)
    except Exception:
        log.exception("slack reply failed channel=%s", channel_id)


async def _post_long_digest(
    reply: Reply, respond: Respond, sender: SlackSender, channel_id: str
) -> None:
    assert reply.digest is not None
    target = Target(name=f"slack:{channel_id}", platform="slack", channel_id=channel_id)
    try:
        await sender.send(target, reply.digest)
    except DeliveryError as e:
        hint = " Invite the bot to this channel first." if e.reason == "not_in_channel" else ""
        await respond(
            response_type="ephemeral",
            text=f"The digest is too long to answer here and could not be posted to the "
            f"channel ({escape_plain(e.reason)}).{hint}",
        )


def _followup(payload: dict[str, Any]) -> dict[str, Any]:
    """The parts of a ``chat.postMessage`` payload that a ``response_url`` follow-up takes."""
    return {k: v for k, v in payload.items() if k in _FOLLOWUP_KEYS}


def reply_messages(reply: Reply) -> list[dict[str, Any]]:
    """A text ``Reply`` as Slack messages: text escaped line by line, sources as numbered
    links, split on line boundaries into messages of at most ``REPLY_BUDGET`` characters."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"*{render_slack.escape(reply.title)}*")
    lines.extend(escape_plain(line) for line in reply.text.splitlines())
    for number, source in enumerate(reply.sources, 1):
        label = render_slack.link(source.title or source.url, source.url, LINK_LABEL_BUDGET)
        extra = f" ({render_slack.escape(source.source)})" if source.source else ""
        lines.append(f"[{number}] {label}{extra}")
    chunks: list[str] = []
    current = ""
    for line in _split_long(lines):
        if current and len(current) + 1 + len(line) > REPLY_BUDGET:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not chunks:
        chunks.append(current or " ")
    return [{"text": c, "unfurl_links": False, "unfurl_media": False} for c in chunks]


def _split_long(lines: list[str]) -> list[str]:
    """Lines longer than the budget cut into pieces, never inside an ``&amp;``-style entity."""
    out: list[str] = []
    for line in lines:
        while len(line) > REPLY_BUDGET:
            cut = line.rfind(" ", 0, REPLY_BUDGET)
            if cut < REPLY_BUDGET // 2:
                cut = REPLY_BUDGET
                amp = line.rfind("&", cut - 6, cut)
                cut = amp if amp > 0 else cut
            out.append(line[:cut])
            line = line[cut:].lstrip()
        out.append(line)
    return out
