"""Feed health notices: one "failing" notice per failure streak, one "recovered" when it ends.

The decision is derived from the feed row's consecutive failure count before and after a
poll, so it needs no state of its own and holds across workers and restarts: the lease makes
one worker the only one to move a feed's count, so exactly one of them sees it reach the
threshold (and, later, drop back to zero).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

from bot.types import Target
from digests.settings import Settings

log = logging.getLogger(__name__)

Notifier = Callable[[str], Awaitable[None]]
Change = Literal["failing", "recovered"]


def health_change(before: int, after: int, threshold: int) -> Change | None:
    """What a poll that moved the failure count from ``before`` to ``after`` means."""
    if after == threshold and before < threshold:
        return "failing"
    if after == 0 and before >= threshold:
        return "recovered"
    return None


def failing_notice(url: str, failures: int, error: str | None, next_poll: datetime | None) -> str:
    retry = f"; next try {next_poll:%Y-%m-%d %H:%M} UTC" if next_poll is not None else ""
    return (
        f"Feed {url} is failing: {failures} polls in a row went wrong "
        f"(last error: {error or 'unknown'}){retry}. Retrying with backoff."
    )


def recovered_notice(url: str, failures: int) -> str:
    return f"Feed {url} recovered after {failures} failed polls."


def admin_target(settings: Settings) -> Target | None:
    """The configured admin channel as a delivery target (None: notices go to the log)."""
    if settings.admin_channel is None:
        return None
    channel = settings.channels[settings.admin_channel]
    return Target(
        name=settings.admin_channel,
        platform=channel.platform,
        channel_id=channel.channel,
        webhook=channel.webhook,
    )


class FeedHealth:
    """Turns poll outcomes into notices for the admin channel, or log warnings when none."""

    def __init__(self, threshold: int, notifier: Notifier | None = None) -> None:
        self.threshold = threshold
        self.notifier = notifier

    async def observe(
        self,
        url: str,
        *,
        before: int,
        after: int,
        error: str | None = None,
        next_poll: datetime | None = None,
    ) -> str | None:
        """Send the notice this poll calls for, if any; returns its text."""
        change = health_change(before, after, self.threshold)
        if change is None:
            return None
        if change == "failing":
            text = failing_notice(url, after, error, next_poll)
        else:
            text = recovered_notice(url, before)
        await self._send(text)
        return text

    async def _send(self, text: str) -> None:
        if self.notifier is None:
            log.warning("feed health: %s", text)
            return
        try:
            await self.notifier(text)
        except Exception:
            # A broken admin channel must not stop polling; the notice still reaches the log.
            log.exception("feed health: could not post notice to the admin channel: %s", text)
