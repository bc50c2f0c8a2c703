"""Retention in the shell: turn the configured (or asked) age into a safe cutoff, and the daily
prune job of ``digestbot run``.

The cutoff is never later than the oldest moment a digest that can still be posted may reach
(``digests.retention.protected_span`` over every configured and stored window), so a pending
or retried delivery always finds its articles. With several workers, the ``retention`` lease
lets one of them prune per day: whoever takes it holds it for almost a day, and the others'
attempts fail until it runs out (a worker that dies mid-prune leaves the rest to the next day;
every batch is its own transaction, so nothing is half-deleted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.app import App
from digests.errors import UsageError
from digests.retention import BAND_INDEX_KEEP, cutoff, protected_span
from digests.store.retention import PruneCounts
from digests.timewindow import parse_window

log = logging.getLogger(__name__)

LEASE = "retention"
EVERY = timedelta(days=1)
FIRST_AFTER = timedelta(minutes=2)  # after start: let the catch-up deliveries go first
LEASE_TTL = EVERY - timedelta(minutes=10)  # free again before the next daily run


class PruneMetrics(Protocol):
    def pruned(self, articles: int) -> None: ...


@dataclass(frozen=True)
class PrunePlan:
    """What a prune removes: articles published and stored before ``cutoff``, bands of
    articles published before ``index_before``. ``clamped``: the age asked for was shorter
    than what pending digest windows need, so ``cutoff`` is older than asked."""

    now: datetime
    age: timedelta
    cutoff: datetime
    index_before: datetime
    clamped: bool


def digest_windows(app: App) -> list[timedelta]:
    """Every window a scheduled digest may use: the default, the channels', the stored
    subscriptions' (an unreadable one is skipped: its delivery fails before reading)."""
    texts = [app.settings.digest.window]
    texts += [c.window for c in app.settings.channels.values() if c.window]
    texts += [
        str(s.options["window"])
        for s in app.store.list_subscriptions()
        if (s.options or {}).get("window")
    ]
    windows = []
    for text in texts:
        try:
            windows.append(parse_window(text))
        except UsageError:
            continue
    return windows


def plan(app: App, age: timedelta, now: datetime | None = None) -> PrunePlan:
    """The cutoff for ``age``, kept clear of every digest window that can still be posted."""
    now = now or app.clock()
    grace = parse_window(app.settings.delivery.misfire_grace)
    protected = protected_span(digest_windows(app), grace)
    return PrunePlan(
        now=now,
        age=age,
        cutoff=cutoff(now, age, protected),
        index_before=now - BAND_INDEX_KEEP,
        clamped=protected > age,
    )


def prune(
    app: App,
    pruning: PrunePlan,
    *,
    keep_going: Callable[[], bool] | None = None,
    metrics: PruneMetrics | None = None,
) -> PruneCounts:
    """Run ``pruning`` against the store (blocking; batches of ``store.PRUNE_BATCH``); each
    batch is logged and counted as it commits, so an interrupted prune reports what it did."""

    def batch_done(counts: PruneCounts) -> None:
        if counts.articles or counts.deliveries or counts.bands:
            log.info("prune batch: %s", counts.to_json())
        if metrics is not None:
            metrics.pruned(counts.articles)

    return app.store.prune(
        pruning.cutoff,
        index_before=pruning.index_before,
        keep_going=keep_going,
        on_batch=batch_done,
    )


async def prune_job(
    app: App,
    *,
    worker: str,
    metrics: PruneMetrics | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> PruneCounts | None:
    """The daily job: prune per ``retention.articles`` if this worker takes the lease.

    Returns what was removed, or None when retention is off or another worker has pruned
    within the day.
    """
    age = app.settings.retention.max_age
    if age is None:
        return None
    now = app.clock()
    if not await asyncio.to_thread(app.store.try_acquire_lease, LEASE, worker, now, LEASE_TTL):
        log.debug("prune skipped: another worker holds the %s lease", LEASE)
        return None
    pruning = await asyncio.to_thread(plan, app, age, now)
    counts = await asyncio.to_thread(
        prune, app, pruning, keep_going=keep_going, metrics=metrics
    )
    log.info(
        "pruned articles older than %s (published and stored before %s): %s",
        app.settings.retention.articles, pruning.cutoff.isoformat(timespec="seconds"),
        counts.to_json(),
    )
    return counts


__all__ = ["EVERY", "FIRST_AFTER", "LEASE", "PrunePlan", "digest_windows", "plan", "prune",
           "prune_job"]
