"""Posting to Discord: through a channel's webhook (no bot token, no gateway) or as the bot.

Both render with ``digests.render.discord`` (payloads already within every embed limit, split
whole stories to a message) and send each payload with ``allowed_mentions`` parsing nothing.

Rate limits are discord.py's: its webhook adapter and its bot HTTP client wait ``retry_after`` on
a 429 (which Discord answers before creating anything, so the retried post appears once) and
retry 5xx a few times; each message also has an overall time budget, so a huge ``retry_after``
becomes a transient ``DeliveryError`` for the delivery layer to retry later instead of a stuck
job. 401/403/404 and a rejected payload (400) are permanent: sending again cannot help.

Discord webhook URLs in the config (``https://discord.com/api/webhooks/<id>/<token>``, with or
without ``/v10``, optionally ``?thread_id=``) are parsed into id and token and sent to the same
path under ``DISCORD_API_URL`` (discord.py builds every URL from ``discord.http.Route.BASE``).

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
import logging
import os
import re
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

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
MESSAGE_TIMEOUT = 60.0  # seconds per message, 429 waits and retries included
_WEBHOOK_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(\d{1,20})/([A-Za-z0-9._-]+)/?$")
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
        match = _WEBHOOK_PATH.match(parts.path) if parts.scheme in ("http", "https") else None
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
    """``Sender`` for channels configured with a webhook URL: discord.py's ``Webhook`` over
    the given aiohttp session (the caller owns and closes it)."""

    platform = "discord"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_url: str | None = None,
        timeout: float = MESSAGE_TIMEOUT,
    ) -> None:
        use_api_url(api_url)
        self._session = session
        self._timeout = timeout
        self._locks: dict[int, asyncio.Lock] = {}

    async def send(self, target: Target, digest: Digest) -> list[str]:
        """Post the digest's messages in order through the webhook; their message ids."""
        address = self._address(target)
        payloads = render_discord.render(digest)
        async with self._locks.setdefault(address.id, asyncio.Lock()):
            sent = await _post_all(target, payloads,
                                   lambda p: self._execute(address, p), self._timeout)
        log.info("discord webhook digest posted channel=%s topic=%s messages=%d",
                 target.name, digest.topic, len(sent))
        return sent

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        """The digest's messages, to be sent one by one with ``send_part``."""
        return render_discord.render(digest)

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
        """Post one part through the webhook; its message id. Webhooks take no nonce, so
        ``ref`` is only logged: a part sent again is posted again."""
        address = self._address(target)
        async with self._locks.setdefault(address.id, asyncio.Lock()):
            [sent] = await _post_all(target, [part],
                                     lambda p: self._execute(address, p), self._timeout)
        log.debug("discord webhook part posted channel=%s ref=%s id=%s", target.name, ref, sent)
        return sent

    async def notify(self, target: Target, text: str) -> str:
        """Post a plain notice through the webhook, no mentions; its message id."""
        address = self._address(target)
        payload = {"content": notice_text(text)}
        async with self._locks.setdefault(address.id, asyncio.Lock()):
            [sent] = await _post_all(target, [payload],
                                     lambda p: self._execute(address, p), self._timeout)
        return sent

    def _address(self, target: Target) -> WebhookAddress:
        if not target.webhook:
            raise DeliveryError("discord", target.name, "no webhook URL configured",
                                permanent=True)
        return WebhookAddress.parse(target.webhook, channel=target.name)

    async def _execute(self, address: WebhookAddress, payload: dict[str, Any]) -> str:
        webhook = discord.Webhook.partial(address.id, address.token, session=self._session)
        kwargs = message_kwargs(payload)
        if address.thread_id is not None:
            kwargs["thread"] = discord.Object(address.thread_id)
        message = await webhook.send(wait=True, **kwargs)
        return str(message.id)


class DiscordBotSender:
    """``Sender`` for channels configured by id: posts as the bot with its logged-in client
    (the gateway connection is not needed to send)."""

    platform = "discord"

    def __init__(self, client: discord.Client, *, timeout: float = MESSAGE_TIMEOUT) -> None:
        self._client = client
        self._timeout = timeout
        self._locks: dict[int, asyncio.Lock] = {}

    async def send(self, target: Target, digest: Digest) -> list[str]:
        """Post the digest's messages in order to the channel; their message ids."""
        channel_id = _channel_id(target)
        payloads = render_discord.render(digest)
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            sent = await _post_all(target, payloads,
                                   lambda p: self._post(channel_id, p), self._timeout)
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
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            [sent] = await _post_all(target, [part],
                                     lambda p: self._post(channel_id, p, nonce=nonce),
                                     self._timeout)
        log.debug("discord part posted channel=%s ref=%s nonce=%s id=%s",
                  target.name, ref, nonce, sent)
        return sent

    async def notify(self, target: Target, text: str) -> str:
        """Post a plain notice to the channel, no mentions; its message id."""
        channel_id = _channel_id(target)
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            [sent] = await _post_all(target, [{"content": notice_text(text)}],
                                     lambda p: self._post(channel_id, p), self._timeout)
        return sent

    async def _post(
        self, channel_id: int, payload: dict[str, Any], *, nonce: str | None = None
    ) -> str:
        """One message; with ``nonce``, discord.py also sends ``enforce_nonce`` (without one
        it sends a random nonce, so its own retries of this request never post twice)."""
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
    post: Callable[[dict[str, Any]], Awaitable[str]],
    timeout: float,
) -> list[str]:
    """Post ``payloads`` in order; stop at the first failure with a ``DeliveryError``."""
    sent: list[str] = []
    for payload in payloads:
        try:
            async with asyncio.timeout(timeout):
                sent.append(await post(payload))
        except Exception as e:
            error = delivery_error(target, e)
            if sent:
                log.warning("discord digest partly posted channel=%s posted=%s",
                            target.name, ",".join(sent))
            raise error from e
    return sent


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
    reason = " ".join(reason.split())[:200]
    log.warning("discord post failed channel=%s reason=%s permanent=%s",
                target.name, reason, permanent)
    return DeliveryError("discord", target.name, reason, permanent=permanent)
