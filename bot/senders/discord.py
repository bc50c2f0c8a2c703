"""Posting to Discord: through a channel's webhook (no bot token, no gateway) or as the bot.

Both render with ``digests.render.discord`` (payloads already within every embed limit, split
whole stories to a message) and send each payload with ``allowed_mentions`` parsing nothing.

Webhook posts are plain HTTP over the given aiohttp session (``POST /webhooks/{id}/{token}
?wait=true``), read leniently so that a server that is not Discord byte for byte still works:
the answer is JSON whatever its ``Content-Type`` says (``application/json; charset=utf-8``
too), only its ``id`` is needed, and a 2xx answer without a readable message id counts as
posted (a warning; the id recorded is ``unknown:<part>``) -- posting it again would duplicate
it. A 429 is waited out and sent again, with or without a ``Via`` header: ``retry_after``
from the JSON body, else ``Retry-After``, else ``X-RateLimit-Reset-After`` (Discord answers
a 429 before creating anything, so the retried post appears once); a 429 that gives no wait
is a transient error. A 5xx is sent again after 1, 3, 5, 7 s (at most 5 requests). A 2xx with
``X-RateLimit-Remaining: 0`` holds the next post to that webhook until the bucket resets.

Bot posts go through discord.py's HTTP client, which waits ``retry_after`` on a 429 and
retries 5xx a few times; a 429 it refuses to wait for (no ``Via`` header: its sign of a
Cloudflare ban) is waited here from its ``Retry-After`` / ``X-RateLimit-Reset-After``.

Each message has an overall time budget (``timeout``): a wait that would not fit becomes a
transient ``DeliveryError`` at once, for the delivery layer to retry later instead of a stuck
job. 401/403/404 and a rejected payload (400) are permanent: sending again cannot help. Both
senders space the messages of a channel (webhook or channel id) at least ``min_interval``
seconds apart (``delivery.min_interval_seconds``), as the Slack sender does.

Discord webhook URLs in the config (``https://discord.com/api/webhooks/<id>/<token>``, with or
without ``/v10``, optionally ``?thread_id=``) are parsed into id and token and sent to the same
path under ``DISCORD_API_URL`` (``discord.http.Route.BASE``, which discord.py also builds every
bot URL from).

Delivery sends a digest one part at a time (``parts`` / ``send_part``) and records each part's
message id in the ledger, so a crashed or failed send resumes at the first unrecorded part. For
the part that may have been in flight, the bot posts every part with a ``nonce`` derived from
(channel, delivery id, part number) -- ``part_nonce`` -- which discord.py sends with
``enforce_nonce``: Discord then answers a repeat of that nonce from the same bot within a few
minutes with the message it already created instead of creating another. Webhooks take no
nonce: through a webhook the one part in flight at a crash may appear twice.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import discord
from discord.http import Route

from bot.types import Target
from digests.errors import DeliveryError
from digests.models import Digest
from digests.render import discord as render_discord
from digests.render._text import fit
from digests.retry import retry_after_header
from digests.settings import WEBHOOK_PATH

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
MESSAGE_TIMEOUT = 60.0  # seconds per message, 429 waits and retries included
MIN_INTERVAL = 1.0  # seconds between two messages to one channel (delivery.min_interval_seconds)
MAX_ATTEMPTS = 5  # requests per message: the first, then retries after a 429 or a 5xx
UNKNOWN_ID = "unknown"  # recorded as "unknown:<part>" for a post answered without a message id
PERMANENT_STATUSES = frozenset({400, 401, 403, 404})

NONCE_LENGTH = 25  # Discord's limit for a string nonce
UNKNOWN_MESSAGE = 10008  # Discord's error code: the message (here: the nonce's) is gone

_NETWORK_ERRORS = (aiohttp.ClientError, OSError)


def api_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """``$DISCORD_API_URL`` (a proxy, or a fake in tests), else Discord's own."""
    env = os.environ if env is None else env
    return env.get("DISCORD_API_URL") or DEFAULT_API_URL


def use_api_url(url: str | None = None) -> str:
    """Point discord.py at ``url`` (default: ``api_url_from_env()``); the base now in use.

    discord.py reads ``Route.BASE`` for every request (bot and webhook alike), so this is
    process-wide; call it at start, before the first request.
    """
    base = (url or api_url_from_env()).rstrip("/")
    Route.BASE = base
    return base


@dataclass(frozen=True)
class WebhookAddress:
    """A Discord webhook URL taken apart: its id and token (and thread, when it has one)."""

    id: int
    token: str
    thread_id: int | None = None

    @classmethod
    def parse(cls, url: str, *, channel: str = "") -> WebhookAddress:
        """Raise a permanent ``DeliveryError`` when ``url`` is not a webhook URL."""
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            parts = urlsplit("")
        match = WEBHOOK_PATH.match(parts.path) if parts.scheme in ("http", "https") else None
        if match is None:
            raise DeliveryError(
                "discord", channel or "webhook",
                "not a Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN)",
                permanent=True,
            )
        thread = parse_qs(parts.query).get("thread_id", [""])[0]
        return cls(int(match.group(1)), match.group(2), int(thread) if thread.isdigit() else None)


def message_kwargs(payload: dict[str, Any]) -> dict[str, Any]:
    """A rendered payload as keyword arguments of discord.py's ``send``; never pings."""
    embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds") or ()]
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if payload.get("content"):
        kwargs["content"] = payload["content"]
    if embeds:
        kwargs["embeds"] = embeds
    return kwargs


def part_nonce(target: Target, ref: str) -> str:
    """The nonce of one digest part: the same for the same channel and ``ref``
    (``<delivery id>:<part>``) on every attempt and after a restart, unrelated for any other.

    Discord dedupes nonces per author across channels, so the channel is part of it; 25
    characters, Discord's limit (a prefix and 115 bits of a SHA-256, in base 32).
    """
    key = "\x00".join(("digestbot", target.name, target.channel_id or "", ref))
    digest = base64.b32encode(hashlib.sha256(key.encode()).digest()).decode().lower()
    return ("dg" + digest)[:NONCE_LENGTH]


def notice_text(text: str) -> str:
    """A plain notice as Discord content: each line escaped (markdown, mentions), <= 2000."""
    lines = [fit(line, render_discord.MAX_CONTENT, render_discord.escape)
             for line in text.splitlines() if line.strip()]
    return render_discord.fit_lines(lines, render_discord.MAX_CONTENT) or "\u200b"


class DiscordWebhookSender:
    """``Sender`` for channels configured with a webhook URL: plain HTTP over the given aiohttp
    session (the caller owns and closes it), read leniently (see the module docstring)."""

    platform = "discord"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_url: str | None = None,
        timeout: float = MESSAGE_TIMEOUT,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        use_api_url(api_url)
        self._session = session
        self._timeout = timeout
        self._pacer = _Pacer(min_interval)
        self._locks: dict[int, asyncio.Lock] = {}

    async def send(self, target: Target, digest: Digest) -> list[str]:
        """Post the digest's messages in order through the webhook; their message ids."""
        address = self._address(target)
        payloads = render_discord.render(digest)
        refs = [str(i) for i in range(len(payloads))]
        sent = await self._post(target, address, payloads, refs)
        log.info("discord webhook digest posted channel=%s topic=%s messages=%d",
                 target.name, digest.topic, len(sent))
        return sent

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        """The digest's messages, to be sent one by one with ``send_part``."""
        return render_discord.render(digest)

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
        """Post one part through the webhook; its message id. Webhooks take no nonce, so
        ``ref`` is only logged (and names a part posted without an id): a part sent again is
        posted again."""
        address = self._address(target)
        [sent] = await self._post(target, address, [part], [ref])
        log.debug("discord webhook part posted channel=%s ref=%s id=%s", target.name, ref, sent)
        return sent

    async def notify(self, target: Target, text: str) -> str:
        """Post a plain notice through the webhook, no mentions; its message id."""
        address = self._address(target)
        [sent] = await self._post(target, address, [{"content": notice_text(text)}], ["notice"])
        return sent

    def _address(self, target: Target) -> WebhookAddress:
        if not target.webhook:
            raise DeliveryError("discord", target.name, "no webhook URL configured",
                                permanent=True)
        return WebhookAddress.parse(target.webhook, channel=target.name)

    async def _post(
        self, target: Target, address: WebhookAddress, payloads: list[dict[str, Any]],
        refs: list[str],
    ) -> list[str]:
        async with self._locks.setdefault(address.id, asyncio.Lock()):
            return await _post_all(
                target, payloads, refs,
                lambda p, deadline: self._execute(target, address, p, deadline),
                timeout=self._timeout, pacer=self._pacer, key=address.id,
            )

    async def _execute(
        self, target: Target, address: WebhookAddress, payload: dict[str, Any], deadline: float
    ) -> str | None:
        """Execute the webhook with ``wait=true``: the new message's id (None: posted, but the
        answer did not say its id). 429 and 5xx answers are retried while ``deadline`` (the
        event loop's clock) allows; anything else is a ``DeliveryError``."""
        url = f"{Route.BASE}/webhooks/{address.id}/{address.token}"
        params = {"wait": "true"}
        if address.thread_id is not None:
            params["thread_id"] = str(address.thread_id)
        data = json.dumps(webhook_body(payload), separators=(",", ":"))
        loop = asyncio.get_running_loop()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            async with self._session.post(
                url, params=params, data=data, headers={"Content-Type": "application/json"},
                raise_for_status=False,
            ) as response:
                status, headers = response.status, response.headers
                text = await _read_text(response)
            answer = _json_or_none(text)
            if 200 <= status < 300:
                if headers.get("X-RateLimit-Remaining") == "0":  # the bucket is spent
                    reset = _seconds(headers.get("X-RateLimit-Reset-After"))
                    if reset:
                        self._pacer.hold(address.id, min(reset, self._timeout))
                return _message_id(target, status, answer, text)
            reason = http_reason(status, answer, text)
            if status == 429:
                wait = retry_after(headers, answer)
                if wait is not None and loop.time() + wait > deadline:
                    reason = f"rate limited for {math.ceil(wait)}s"
            elif status >= 500:
                wait = 1.0 + 2 * (attempt - 1)
            else:
                raise _failed(target, reason, permanent=status in PERMANENT_STATUSES)
            if wait is None or attempt == MAX_ATTEMPTS or loop.time() + wait > deadline:
                raise _failed(target, reason, permanent=False)
            log.warning("discord webhook answered %s channel=%s: sending again in %.2fs",
                        reason, target.name, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


class DiscordBotSender:
    """``Sender`` for channels configured by id: posts as the bot with its logged-in client
    (the gateway connection is not needed to send)."""

    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        timeout: float = MESSAGE_TIMEOUT,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._pacer = _Pacer(min_interval)
        self._locks: dict[int, asyncio.Lock] = {}

    async def send(self, target: Target, digest: Digest) -> list[str]:
        """Post the digest's messages in order to the channel; their message ids."""
        channel_id = _channel_id(target)
        payloads = render_discord.render(digest)
        refs = [str(i) for i in range(len(payloads))]
        sent = await self._send(target, channel_id, payloads, refs)
        log.info("discord digest posted channel=%s topic=%s messages=%d",
                 target.name, digest.topic, len(sent))
        return sent

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        """The digest's messages, to be sent one by one with ``send_part``."""
        return render_discord.render(digest)

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
        """Post one part with the nonce of (channel, ``ref``); its message id. Sent again
        within Discord's nonce window (a few minutes), Discord returns the message it
        already created for that nonce instead of posting a second one."""
        channel_id = _channel_id(target)
        nonce = part_nonce(target, ref)
        [sent] = await self._send(target, channel_id, [part], [ref], nonce=nonce)
        log.debug("discord part posted channel=%s ref=%s nonce=%s id=%s",
                  target.name, ref, nonce, sent)
        return sent

    async def notify(self, target: Target, text: str) -> str:
        """Post a plain notice to the channel, no mentions; its message id."""
        channel_id = _channel_id(target)
        [sent] = await self._send(target, channel_id, [{"content": notice_text(text)}],
                                  ["notice"])
        return sent

    async def _send(
        self, target: Target, channel_id: int, payloads: list[dict[str, Any]], refs: list[str],
        *, nonce: str | None = None,
    ) -> list[str]:
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            return await _post_all(
                target, payloads, refs,
                lambda p, deadline: self._post(target, channel_id, p, deadline, nonce=nonce),
                timeout=self._timeout, pacer=self._pacer, key=channel_id,
            )

    async def _post(
        self, target: Target, channel_id: int, payload: dict[str, Any], deadline: float,
        *, nonce: str | None = None,
    ) -> str:
        """One message, sent again after a 429 discord.py did not wait for (see
        ``_refused_rate_limit``); with ``nonce``, discord.py also sends ``enforce_nonce``
        (without one it sends a random nonce, so its own retries never post twice)."""
        loop = asyncio.get_running_loop()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self._post_once(channel_id, payload, nonce)
            except discord.HTTPException as e:
                wait = _refused_rate_limit(e)
                if wait is None or attempt == MAX_ATTEMPTS or loop.time() + wait > deadline:
                    raise
                log.warning("discord answered HTTP 429 channel=%s: sending again in %.2fs",
                            target.name, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _post_once(
        self, channel_id: int, payload: dict[str, Any], nonce: str | None
    ) -> str:
        channel = self._client.get_partial_messageable(channel_id)
        kwargs = message_kwargs(payload)
        if nonce is None:
            message = await channel.send(**kwargs)
            return str(message.id)
        try:
            message = await channel.send(nonce=nonce, **kwargs)
        except discord.NotFound as e:
            if e.code != UNKNOWN_MESSAGE:
                raise
            # Discord's answer to a nonce whose message was posted and then deleted within
            # the window: the part did reach the channel once (and someone removed it).
            log.warning("discord part with nonce %s was posted and has been deleted since: "
                        "not posted again", nonce)
            return f"deleted:{nonce}"
        return str(message.id)


class DiscordSender:
    """``Sender`` for every Discord target: the webhook when the target has one, else the bot
    (a permanent error when there is no bot, i.e. no ``DISCORD_BOT_TOKEN``)."""

    platform = "discord"

    def __init__(
        self, webhook: DiscordWebhookSender, bot: DiscordBotSender | None = None
    ) -> None:
        self._webhook = webhook
        self._bot = bot

    def _pick(self, target: Target) -> DiscordWebhookSender | DiscordBotSender:
        if target.webhook:
            return self._webhook
        if self._bot is None:
            raise DeliveryError("discord", target.name,
                                "no webhook URL and no DISCORD_BOT_TOKEN to post by channel id",
                                permanent=True)
        return self._bot

    async def send(self, target: Target, digest: Digest) -> list[str]:
        return await self._pick(target).send(target, digest)

    async def notify(self, target: Target, text: str) -> str:
        return await self._pick(target).notify(target, text)

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        return self._pick(target).parts(target, digest)

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
        return await self._pick(target).send_part(target, part, ref=ref)


def _channel_id(target: Target) -> int:
    if not target.channel_id or not target.channel_id.isdigit():
        raise DeliveryError("discord", target.name,
                            "no Discord channel id configured (a number like 123456789012345678)",
                            permanent=True)
    return int(target.channel_id)


async def _post_all(
    target: Target,
    payloads: list[dict[str, Any]],
    refs: list[str],
    post: Callable[[dict[str, Any], float], Awaitable[str | None]],
    *,
    timeout: float,
    pacer: _Pacer,
    key: int,
) -> list[str]:
    """Post ``payloads`` in order, each within ``timeout`` seconds (``post`` gets that deadline
    on the event loop's clock) and spaced by ``pacer``; stop at the first failure with a
    ``DeliveryError``. A post that returns no id was posted: it is ``unknown:<its ref>``."""
    sent: list[str] = []
    for payload, ref in zip(payloads, refs, strict=True):
        await pacer.wait(key)
        try:
            async with asyncio.timeout(timeout) as budget:
                deadline = budget.when()
                assert deadline is not None
                message_id = await post(payload, deadline)
        except Exception as e:
            error = delivery_error(target, e)
            if sent:
                log.warning("discord digest partly posted channel=%s posted=%s",
                            target.name, ",".join(sent))
            raise error from e
        finally:
            pacer.sent(key)
        sent.append(message_id or f"{UNKNOWN_ID}:{ref}")
    return sent


class _Pacer:
    """Messages to one channel at least ``min_interval`` seconds apart (the Slack sender's
    pacing), and none before the time a webhook's spent rate-limit bucket resets."""

    def __init__(self, min_interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._min_interval = min_interval
        self._clock = clock
        self._last: dict[int, float] = {}
        self._held: dict[int, float] = {}

    async def wait(self, key: int) -> None:
        last = self._last.get(key)
        ready = max(-math.inf if last is None else last + self._min_interval,
                    self._held.get(key, -math.inf))
        delay = ready - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def sent(self, key: int) -> None:
        self._last[key] = self._clock()

    def hold(self, key: int, seconds: float) -> None:
        self._held[key] = self._clock() + seconds


def webhook_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A rendered payload as the JSON of a webhook execution (what discord.py would send for
    ``message_kwargs``): embeds normalised by ``discord.Embed``, never pinging anyone."""
    body: dict[str, Any] = {}
    if payload.get("content"):
        body["content"] = payload["content"]
    embeds = [discord.Embed.from_dict(e).to_dict() for e in payload.get("embeds") or ()]
    if embeds:
        body["embeds"] = embeds
    body["tts"] = False
    body["allowed_mentions"] = discord.AllowedMentions.none().to_dict()
    return body


async def _read_text(response: aiohttp.ClientResponse) -> str:
    """The body as text: its charset when it names a known one, else UTF-8; never raises on
    bad bytes."""
    raw = await response.read()
    try:
        return raw.decode(response.charset or "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _json_or_none(text: str) -> Any:
    """``text`` decoded as JSON whatever the Content-Type said; None when it is not JSON."""
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _seconds(value: Any) -> float | None:
    """A number of seconds from a JSON value or a header; None unless finite and >= 0."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_after(headers: Mapping[str, str], answer: Any) -> float | None:
    """The seconds a 429 asks to wait: ``retry_after`` of its JSON body, else its
    ``Retry-After`` header (seconds or an HTTP date), else ``X-RateLimit-Reset-After``;
    None when it says nothing usable."""
    if isinstance(answer, dict):
        seconds = _seconds(answer.get("retry_after"))
        if seconds is not None:
            return seconds
    header = headers.get("Retry-After")
    if header:
        seconds = retry_after_header(header, time.time())
        if seconds is not None:
            return seconds
    return _seconds(headers.get("X-RateLimit-Reset-After"))


def _refused_rate_limit(error: discord.HTTPException) -> float | None:
    """The wait of a 429 discord.py raised instead of waiting (no ``Via`` header, or a body
    it could not decode), from its body or headers; None for any other error."""
    if error.status != 429:
        return None
    headers = getattr(error.response, "headers", None) or {}
    return retry_after(headers, _json_or_none(error.text))


def http_reason(status: int, answer: Any, text: str) -> str:
    """``HTTP <status> <message>``: Discord's JSON ``message`` (and ``errors``), else the
    start of the body."""
    detail = " ".join(text.split())[:200]
    if isinstance(answer, dict) and isinstance(answer.get("message"), str):
        detail = answer["message"]
        if answer.get("errors"):
            detail += " " + json.dumps(answer["errors"], ensure_ascii=False)
    return f"HTTP {status} {detail}".strip()


def _message_id(target: Target, status: int, answer: Any, text: str) -> str | None:
    """The id of the message a 2xx answer describes; None (and a warning) when it has none."""
    if isinstance(answer, dict):
        value = answer.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            message_id = str(value).strip()
            if message_id and len(message_id) <= 100 and message_id.isprintable():
                return message_id
    log.warning("discord webhook answered HTTP %d without a message id channel=%s body=%r: "
                "counted as posted, not sent again", status, target.name, text[:200])
    return None


def _failed(target: Target, reason: str, *, permanent: bool) -> DeliveryError:
    reason = " ".join(reason.split())[:200]
    log.warning("discord post failed channel=%s reason=%s permanent=%s",
                target.name, reason, permanent)
    return DeliveryError("discord", target.name, reason, permanent=permanent)


def delivery_error(target: Target, error: BaseException) -> DeliveryError:
    """discord.py's and aiohttp's errors as a ``DeliveryError``, permanent when retrying
    cannot help; the details go to the log, a short reason to the ledger."""
    if isinstance(error, DeliveryError):
        return error
    permanent = False
    if isinstance(error, discord.HTTPException):
        reason = f"HTTP {error.status}" + (f" {error.text}" if error.text else "")
        permanent = error.status in PERMANENT_STATUSES
    elif isinstance(error, discord.RateLimited):
        reason = f"rate limited for {error.retry_after:.0f}s"
    elif isinstance(error, TimeoutError):
        reason = "timed out (rate limited or Discord unreachable)"
    elif isinstance(error, _NETWORK_ERRORS):
        reason = f"network error ({type(error).__name__})"
    else:
        log.exception("discord post failed unexpectedly channel=%s", target.name)
        reason = f"unexpected error ({type(error).__name__})"
    return _failed(target, reason, permanent=permanent)
