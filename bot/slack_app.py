"""The Slack adapter: slack-bolt turns ``/news`` and ``/digest`` into ``handle_command`` calls.

HTTP mode mounts ``POST /slack/events`` on the bot's one aiohttp server (next to ``/healthz``).
Every request's signature (v0 HMAC-SHA256 over ``v0:timestamp:body``, the timestamp whole seconds
within 5 minutes of now) is checked over the raw body before anything reads it: a missing, bad
or stale one gets 401, a signed body that is not a Slack payload, or one whose fields have the
wrong types, 400 (``bot.slack_payload``), never a 500 (Bolt checks the signature again).
Socket Mode (``SLACK_APP_TOKEN``) needs no public URL.

Slash commands are acknowledged first (an empty 200 within Slack's 3 seconds), then answered
through ``response_url``: digests in the channel (Block Kit from ``digests.render.slack``), the
rest to the asker only. ``response_url`` takes at most 5 follow-ups, so a digest split into more
messages is posted with ``chat.postMessage`` instead (the bot must be in the channel).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.commands import CommandMetrics, handle_command
from bot.senders.slack import SlackSender, escape_plain, make_slack_client
from bot.slack_payload import check_payload
from bot.types import CommandContext, Reply, Target
from bot.web import SLACK_EVENTS_PATH
from digests.errors import DeliveryError, DigestbotError, first_line
from digests.render import slack as render_slack

log = logging.getLogger(__name__)

EVENTS_PATH = SLACK_EVENTS_PATH
MAX_FOLLOWUPS = 5  # Slack accepts 5 posts to one response_url (within 30 minutes)
REPLY_BUDGET = 3500  # characters per reply message, well inside Slack's limits
LINK_LABEL_BUDGET = 200
MAX_REQUEST_AGE = 5 * 60  # seconds either way, as Slack and Bolt check it
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # whole seconds since the epoch, nothing else
# Around text from outside in a Reply's text (noncharacters: never in text worth keeping).
_OPEN, _CLOSE = "\ufdd0", "\ufdd1"
_UNTRUSTED = re.compile(f"{_OPEN}([^{_CLOSE}]*)(?:{_CLOSE}|$)")
# The signing secret of each app make_slack_app built, for add_slack_routes' own check.
_SIGNING_SECRETS: weakref.WeakKeyDictionary[AsyncApp, bytes] = weakref.WeakKeyDictionary()

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
    _SIGNING_SECRETS[bolt] = signing_secret.encode()
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
        reply = await handle_command(app, text, ctx, metrics=metrics, untrusted=mark_untrusted)
        pause = app.settings.delivery.min_interval_seconds
        await send_reply(reply, respond, sender=sender, channel_id=ctx.channel_id, pause=pause)

    async def on_news(ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                      respond: Respond) -> None:
        await ack()
        await answer(typed_text(str(command.get("text", ""))), command, respond)

    async def on_digest(ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                        respond: Respond) -> None:
        await ack()
        await answer(f"digest {typed_text(str(command.get('text', '')))}", command, respond)

    bolt.command("/news")(on_news)
    bolt.command("/digest")(on_digest)
    return bolt


_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def typed_text(text: str) -> str:
    """What the user typed, from the text Slack sends with a slash command: Slack always
    escapes ``&``, ``<`` and ``>`` (``AT&T`` arrives as ``AT&amp;T``) and wraps what it
    recognised in angle brackets (``<https://x/feed|x/feed>``, ``<@U123|ana>``, ``<!here>``).
    A link becomes its URL, a mention its label or id, then the escapes are undone."""

    def plain(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("http://", "https://", "mailto:")):
            return target
        if label:
            return label
        if target.startswith("!"):
            return "@" + target[1:].split("^", 1)[0]
        return target

    text = _SLACK_MARKUP.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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
    """Mount ``POST /slack/events`` (slash commands, interactivity, events) on ``web_app``.

    ``bolt`` must come from ``make_slack_app`` (its signing secret is needed here). The
    signature is checked on the raw bytes before the body is decoded or parsed: an unsigned,
    wrongly signed or stale request (or one whose timestamp is not whole seconds) gets 401;
    a signed body that is not UTF-8, not a Slack payload or not of the shape Bolt and the
    handlers rely on gets 400, and a well-formed kind the app does not serve 404
    (``bot.slack_payload.check_payload``), each with one WARNING line.
    """
    secret = _SIGNING_SECRETS.get(bolt)
    if secret is None:
        raise DigestbotError("add_slack_routes needs a Slack app built by make_slack_app")

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verify_signature(secret, request.headers.get("X-Slack-Request-Timestamp"),
                                request.headers.get("X-Slack-Signature"), raw):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body, headers = _as_bolt_reads_it(raw.decode("utf-8"), request.headers, secret)
            bolt_request = AsyncBoltRequest(
                body=body,
                query=request.query_string,
                headers=headers,  # type: ignore[arg-type]
            )
        except Exception as e:  # a signed body Bolt cannot read: not JSON, not a form, ...
            log.warning("refused a signed Slack request: unreadable body (%s)",
                        type(e).__name__)
            return web.json_response({"error": "bad request"}, status=400)
        verdict = check_payload(bolt_request.body)
        if verdict.action == "malformed":
            log.warning("refused a signed Slack request: %s", verdict.reason)
            return web.json_response({"error": "bad request", "reason": verdict.reason},
                                     status=400)
        if verdict.action == "unhandled":
            log.warning("ignored a signed Slack request: %s", verdict.reason)
            return web.json_response({"error": "unhandled request"}, status=404)
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post(EVENTS_PATH, slack_events)


def _as_bolt_reads_it(
    body: str, headers: Mapping[str, str], secret: bytes
) -> tuple[str, Mapping[str, str]]:
    """The verified body in a form Bolt parses right. Bolt takes any form body that contains
    "payload" for an interactivity payload (``payload=<json>``) and, finding no such field,
    reads it as empty: ``/news search payload`` went unanswered. Such a form is handed over as
    the JSON object of its fields, signed again with the same timestamp so that Bolt's own
    check of the signature still holds."""
    if "payload" not in body or body.lstrip().startswith("{"):
        return body, headers
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in fields:
        return body, headers  # an interactivity payload, as Bolt expects it
    rewritten = json.dumps(fields)
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    resigned = {k: v for k, v in headers.items() if k.lower() != "x-slack-signature"}
    resigned["X-Slack-Signature"] = _signature(secret, timestamp, rewritten.encode())
    return rewritten, resigned


def _signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of ``body`` at ``timestamp``."""
    base = b"v0:" + timestamp.encode("ascii", "replace") + b":" + body
    return "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` is Slack's v0 signature of ``body`` at ``timestamp`` (whole seconds,
    ASCII digits, at most ``MAX_REQUEST_AGE`` from ``now`` either way). Never raises."""
    if not timestamp or not signature or not _TIMESTAMP.fullmatch(timestamp):
        return False
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > MAX_REQUEST_AGE:
        return False
    expected = _signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


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
    except (aiohttp.ClientError, TimeoutError) as e:  # Slack or the network: one line
        log.warning("slack reply failed channel=%s: %s", channel_id, first_line(e))
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


def mark_untrusted(text: str) -> str:
    """``handle_command``'s ``untrusted`` for Slack: each line of ``text`` marked, so that
    ``reply_messages`` escapes it as the digest renderer escapes feed text."""
    clean = text.replace(_OPEN, "").replace(_CLOSE, "")
    return "\n".join(f"{_OPEN}{line}{_CLOSE}" for line in clean.splitlines())


def escape_reply_line(line: str) -> str:
    """One line of a ``Reply``'s text as mrkdwn: the bot's own words with ``& < >`` escaped (a
    cron ``* *`` or a URL's ``_`` stays as typed), text from outside (``mark_untrusted``) as
    ``render_slack.escape`` makes feed text inert: no mention, link or formatting mark."""
    out: list[str] = []
    start = 0
    for match in _UNTRUSTED.finditer(line):
        out.append(escape_plain(line[start:match.start()].replace(_CLOSE, "")))
        out.append(render_slack.escape(match.group(1).replace(_OPEN, "")))
        start = match.end()
    out.append(escape_plain(line[start:].replace(_CLOSE, "")))
    return "".join(out)


def reply_messages(reply: Reply) -> list[dict[str, Any]]:
    """A text ``Reply`` as Slack messages: text escaped line by line (``escape_reply_line``),
    sources as numbered links, split on line boundaries into messages of at most
    ``REPLY_BUDGET`` characters."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"*{render_slack.escape(reply.title)}*")
    lines.extend(escape_reply_line(line) for line in reply.text.splitlines())
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
