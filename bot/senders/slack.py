"""Posting to Slack with the bot token: digests (Block Kit) and plain notices.

Retries are slack_sdk's own retry handlers on the client (429 honours ``Retry-After``; 5xx and
connection errors back off, each with a cap), so a rate-limited post is sent once it is allowed
and never twice. On top, this sender paces posts to at most one per ``min_interval`` seconds per
channel, and keeps one digest's messages together (a lock per channel).

Delivery sends a digest one part at a time (``parts`` / ``send_part``) and records progress
after each, so a crashed send resumes at the first unsent part. The one part that may have been
in flight is looked up before it is sent again: every part carries message ``metadata``
(``event_type`` ``digestbot_delivery``, ``event_payload.ref`` = ``<delivery id>:<part>``), and
``find_part`` searches the channel's recent history (``conversations.history`` with
``include_all_metadata``) for that ref.

Slack's error codes decide whether a failure is permanent; the error text goes to the log and to
``DeliveryError``, never into the channel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot.types import Target
from digests.errors import DeliveryError
from digests.models import Digest
from digests.render import slack as render_slack

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EVENT_TYPE = "digestbot_delivery"  # message metadata marking a digest part
HISTORY_PAGES = 3  # at most 3 x 200 recent messages are searched for a part's ref
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "is_archived",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
    }
)

_NETWORK_ERRORS = (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError,
                   ValueError)


def api_url_from_env() -> str:
    """``$SLACK_API_URL`` (a proxy, or a fake in tests), else Slack's own."""
    return os.environ.get("SLACK_API_URL") or DEFAULT_API_URL


def make_slack_client(
    token: str | None,
    *,
    base_url: str | None = None,
    rate_limit_retries: int = 3,
    server_error_retries: int = 2,
    connection_retries: int = 2,
    backoff: float = 0.5,
    timeout: int = 30,
) -> AsyncWebClient:
    """The one way the bot builds a Web API client: base URL from the environment, and
    slack_sdk's retry handlers for 429 (``Retry-After``), 5xx and dropped connections."""
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    handlers: list[AsyncRetryHandler] = [
        AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        AsyncServerErrorRetryHandler(max_retry_count=server_error_retries,
                                     interval_calculator=interval),
        AsyncConnectionErrorRetryHandler(max_retry_count=connection_retries,
                                         interval_calculator=interval),
    ]
    return AsyncWebClient(
        token=token,
        base_url=base_url or api_url_from_env(),
        timeout=timeout,
        retry_handlers=handlers,
    )


def escape_plain(text: str) -> str:
    """Text for Slack with its control characters escaped, line breaks kept."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackSender:
    """``Sender`` for Slack: ``chat.postMessage`` with the bot token, paced per channel; also a
    part sender that can find a tagged part again, for resumable delivery."""

    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        min_interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_sent: dict[str, float] = {}

    async def send(self, target: Target, digest: Digest) -> list[str]:
        """Post the digest's messages in order; their ``ts`` values."""
        channel = _channel(target)
        payloads = render_slack.render(digest)
        sent: list[str] = []
        async with self._lock(channel):
            for payload in payloads:
                try:
                    sent.append(await self._post(channel, payload))
                except DeliveryError:
                    if sent:
                        log.warning("slack digest partly posted channel=%s topic=%s posted=%s",
                                    channel, digest.topic, ",".join(sent))
                    raise
        log.info("slack digest posted channel=%s topic=%s messages=%d",
                 channel, digest.topic, len(sent))
        return sent

    async def notify(self, target: Target, text: str) -> str:
        """Post a plain notice, no formatting and no mentions; its ``ts``."""
        channel = _channel(target)
        payload = {"text": escape_plain(text[:3900]), "mrkdwn": False,
                   "unfurl_links": False, "unfurl_media": False}
        async with self._lock(channel):
            return await self._post(channel, payload)

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        """The digest's messages, to be sent one by one with ``send_part``."""
        return render_slack.render(digest)

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
        """Post one part tagged with ``ref`` in its metadata; its ``ts``."""
        channel = _channel(target)
        payload = {**part, "metadata": {"event_type": EVENT_TYPE, "event_payload": {"ref": ref}}}
        async with self._lock(channel):
            return await self._post(channel, payload)

    async def find_part(self, target: Target, ref: str, *, since: datetime) -> str | None:
        """The ts of the message tagged ``ref`` posted after ``since``; None if not found.

        Raises ``DeliveryError`` when the history cannot be read (no scope, not in channel):
        the caller then cannot tell and sends the part again.
        """
        channel = _channel(target)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                response = await self._client.conversations_history(
                    channel=channel, oldest=f"{since.timestamp() - 5:.6f}",
                    include_all_metadata=True, limit=200, cursor=cursor,
                )
            except (SlackApiError, SlackClientError, OSError) as e:
                raise DeliveryError("slack", channel, f"cannot read history ({e})") from e
            for message in response.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE and payload.get("ref") == ref:
                    ts = message.get("ts")
                    return str(ts) if ts else None
            cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
            if not cursor:
                break
        return None

    def _lock(self, channel: str) -> asyncio.Lock:
        return self._locks.setdefault(channel, asyncio.Lock())

    async def _post(self, channel: str, payload: dict[str, Any]) -> str:
        """One ``chat.postMessage``, waiting first so the channel sees at most one per interval."""
        last = self._last_sent.get(channel)
        if last is not None:
            wait = self._min_interval - (self._clock() - last)
            if wait > 0:
                await self._sleep(wait)
        try:
            response = await self._client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as e:
            raise _delivery_error(channel, e) from e
        except _NETWORK_ERRORS as e:
            log.warning("slack post failed channel=%s error=%s", channel, type(e).__name__)
            raise DeliveryError("slack", channel, f"network error ({type(e).__name__})") from e
        finally:
            self._last_sent[channel] = self._clock()
        ts = response.get("ts")
        if not isinstance(ts, str):
            raise DeliveryError("slack", channel, "Slack answered without a message ts")
        return ts


def _channel(target: Target) -> str:
    if not target.channel_id:
        raise DeliveryError("slack", target.name, "no Slack channel id configured",
                            permanent=True)
    return target.channel_id


def _delivery_error(channel: str, error: SlackApiError) -> DeliveryError:
    code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
    permanent = code in PERMANENT_ERRORS
    log.warning("slack post failed channel=%s error=%s status=%s permanent=%s",
                channel, code, error.response.status_code, permanent)
    return DeliveryError("slack", channel, code, permanent=permanent)
