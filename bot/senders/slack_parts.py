"""Slack digests posted one message part at a time, each tagged so a restart can verify it.

Delivery records progress after every part, so a crashed send resumes at the first unsent
part. The one part that may have been in flight is looked up before it is sent again: every
``chat.postMessage`` carries message ``metadata`` (``event_type`` ``digestbot_delivery``,
``event_payload.ref`` = ``<delivery id>:<part>``), and ``find_part`` searches the channel's
recent history (``conversations.history`` with ``include_all_metadata``) for that ref.

Built on ``SlackSender`` (pacing, the per-channel lock, retries and error mapping stay there).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.senders.slack import SlackSender
from bot.types import Target
from digests.errors import DeliveryError
from digests.models import Digest
from digests.render import slack as render_slack

log = logging.getLogger(__name__)

EVENT_TYPE = "digestbot_delivery"
HISTORY_PAGES = 3  # at most 3 x 200 recent messages are searched for a ref


class SlackPartSender(SlackSender):
    """``SlackSender`` plus ``parts``/``send_part``/``find_part`` for resumable delivery."""

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        return render_slack.render(digest)

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
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


def _channel(target: Target) -> str:
    if not target.channel_id:
        raise DeliveryError("slack", target.name, "no Slack channel id configured",
                            permanent=True)
    return target.channel_id
