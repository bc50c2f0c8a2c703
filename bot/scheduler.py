"""The scheduler of ``digestbot run``: one APScheduler job per subscription, plus poll, refresh
and (when retention is set) the daily prune.

APScheduler 3.x ``AsyncIOScheduler`` with its job store in memory: its FAQ says processes
cannot share a job store, so every worker schedules every subscription itself and the store's
delivery ledger (claimed inside ``deliver``) is what makes a slot post once. Job ids are stable
(``sub:<channel_key>:<topic>``), added with ``replace_existing``, ``coalesce`` and
``max_instances=1``; ``misfire_grace_time`` is ``delivery.misfire_grace``.

What a job delivers is decided by the pure ``due_slots`` over the injected clock: the latest
slot at or before now, if it is within the grace period and not older than the subscription.
So after downtime a missed window is posted once (coalesced), never once per missed tick, and a
new subscription never dumps its backlog. The same check runs for every subscription at start
(catch-up) and for subscriptions a ``refresh`` finds newly added from chat by any worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App, Clock
from bot.schedules import Schedule, parse_schedule
from digests.errors import ConfigError, DigestbotError
from digests.settings import Settings
from digests.store.types import Subscription
from digests.timewindow import parse_window

log = logging.getLogger(__name__)

Deliver = Callable[[Subscription, datetime], Awaitable[Any]]
Poll = Callable[[], Awaitable[Any]]
POLL_JOB = "poll"
REFRESH_JOB = "refresh"
PRUNE_JOB = "prune"


# --- decisions (pure) ---------------------------------------------------------------------


def due_slots(
    schedule: Schedule,
    *,
    now: datetime,
    grace: timedelta,
    last_delivered: datetime | None = None,
    not_before: datetime | None = None,
) -> list[datetime]:
    """The slot to deliver now: at most one, the latest one <= ``now`` (misses coalesce).

    None when that slot is older than ``grace``, already delivered (``last_delivered`` at or
    after it), or older than the subscription (``not_before``: no backlog for new ones).
    """
    slot = schedule.latest_slot(now)
    if slot is None or now - slot > grace:
        return []
    if last_delivered is not None and last_delivered >= slot:
        return []
    if not_before is not None and slot < not_before:
        return []
    return [slot]


def job_id(sub: Subscription) -> str:
    """Stable APScheduler job id of a subscription."""
    return f"sub:{sub.channel_key}:{sub.topic}"


def config_subscriptions(settings: Settings, now: datetime) -> list[Subscription]:
    """Every configured channel with a ``schedule`` -> one subscription per topic.

    Raises ConfigError listing every bad schedule, so ``run`` refuses a typo at start.
    """
    subs: list[Subscription] = []
    problems: list[str] = []
    for name, channel in settings.channels.items():
        if channel.schedule is None:
            continue
        tz = channel.timezone or settings.timezone
        try:
            parse_schedule(channel.schedule, tz)
        except DigestbotError as e:
            problems.append(f"{settings.config_path or '<config>'}: channels.{name}.schedule: {e}")
            continue
        if not channel.topics:
            log.warning("channel %s has a schedule but no topics: nothing to post", name)
        options = channel.model_dump(
            mode="json",
            include={
                "max_stories", "window", "repost_updated", "catch_up", "post_empty", "filters"
            },
        )
        subs.extend(
            Subscription(
                id=None,
                channel_key=name,
                platform=channel.platform,
                channel_id=channel.channel or "",
                topic=topic,
                schedule=channel.schedule,
                timezone=tz,
                options=options,
                source="config",
                created_by="config",
                created_at=now,  # kept by the store on later starts: the backlog guard
            )
            for topic in channel.topics
        )
    if problems:
        raise ConfigError(problems)
    return subs


# --- the shell ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    sub: Subscription
    schedule: Schedule


class DigestScheduler:
    """Runs subscription digests on their schedules and the feed poll on a short tick."""

    def __init__(
        self,
        app: App,
        deliver: Deliver,
        poll: Poll,
        clock: Clock | None = None,
        *,
        poll_every: float = 15.0,
        refresh_every: float = 30.0,
        prune: Poll | None = None,
        prune_every: float = 86400.0,
        prune_first: float = 120.0,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.app = app
        self.deliver = deliver
        self.poll = poll
        self.clock = clock or app.clock
        self.grace = parse_window(app.settings.delivery.misfire_grace)
        self.poll_every = poll_every
        self.refresh_every = refresh_every
        # Retention: ``prune`` runs ``prune_first`` s after start, then every ``prune_every``
        # s (the job itself decides, through a lease, whether this worker is the one).
        self.prune = prune
        self.prune_every = prune_every
        self.prune_first = prune_first
        # Set when shutdown begins (by ``shutdown``, or earlier by whoever passed it in):
        # ``deliver`` hands it to the delivery, which then starts no further message part.
        self.stopping = stopping if stopping is not None else asyncio.Event()
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._schedules: dict[tuple[str, str], Schedule] = {}

    # lifecycle -------------------------------------------------------------------------------

    async def start(self, *, catch_up: bool = True) -> list[tuple[Subscription, datetime]]:
        """Upsert config subscriptions, schedule every job, then catch up missed slots.

        Returns the (subscription, slot) pairs the catch-up handed to ``deliver``.
        """
        await asyncio.to_thread(self._sync_config, self.clock())
        await self._load()
        real_now = datetime.now(UTC)
        self._scheduler.add_job(
            self._run_poll, IntervalTrigger(seconds=self.poll_every, timezone=UTC),
            id=POLL_JOB, name="poll feeds", next_run_time=real_now, **self._job_options(),
        )
        self._scheduler.add_job(
            self.refresh, IntervalTrigger(seconds=self.refresh_every, timezone=UTC),
            id=REFRESH_JOB, name="refresh subscriptions", **self._job_options(),
        )
        if self.prune is not None:
            self._scheduler.add_job(
                self._run_prune, IntervalTrigger(seconds=self.prune_every, timezone=UTC),
                id=PRUNE_JOB, name="prune old articles",
                next_run_time=real_now + timedelta(seconds=self.prune_first),
                **self._job_options(),
            )
        self._scheduler.start()
        log.info("scheduler started: %d subscriptions", len(self._entries))
        if not catch_up:
            return []
        return await self.catch_up(list(self._entries))

    async def shutdown(self, timeout: float = 8.0) -> None:
        """Stop starting jobs, tell running deliveries to start no further message part
        (``stopping``), let them finish the part in flight (up to ``timeout`` s: the runner's
        ``delivery.shutdown_grace``), cancel what is left, then stop.

        Cancelling here, while the senders are still open, leaves a cut delivery ``claimed``
        for the next start to resolve, rather than failing it on a closed connection."""
        self.stopping.set()
        if self._scheduler.state == STATE_RUNNING:
            self._scheduler.pause()
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=timeout)
            if pending:
                log.warning("shutdown: %d jobs still running after %.0fs (delivery."
                            "shutdown_grace): cancelled; a message the platform had accepted "
                            "but not answered may be posted again when the next start resumes "
                            "it", len(pending), timeout)
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=1.0)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down via call_soon

    @property
    def alive(self) -> bool:
        """True while jobs are being scheduled (for /healthz)."""
        return bool(self._scheduler.state == STATE_RUNNING)

    def jobs(self) -> list[Job]:
        return list(self._scheduler.get_jobs())

    def subscriptions(self) -> list[Subscription]:
        return [entry.sub for entry in self._entries.values()]

    # subscriptions ---------------------------------------------------------------------------

    async def refresh(self) -> list[tuple[Subscription, datetime]]:
        """Re-read subscriptions from the store (added/removed from chat by any worker).

        New ones get a job and the catch-up check; returns what that check delivered.
        """
        try:
            added = await self._load()
        except DigestbotError as e:
            log.error("refreshing subscriptions failed: %s", e)
            return []
        return await self.catch_up(added)

    async def catch_up(self, ids: list[str]) -> list[tuple[Subscription, datetime]]:
        """Deliver, once, the latest due slot of each of these subscriptions (if any)."""
        delivered: list[tuple[Subscription, datetime]] = []
        for jid in ids:
            await self._opening_digest(jid)
            slot = await self.run_subscription(jid)
            entry = self._entries.get(jid)
            if slot is not None and entry is not None:
                delivered.append((entry.sub, slot))
        return delivered

    async def _opening_digest(self, jid: str) -> None:
        """``catch_up: true``: one digest of the window before the subscription began.

        Its slot is the subscription's creation time, so the ledger posts it once ever, however
        often the scheduler restarts; without the option a new subscription dumps no backlog.
        """
        entry = self._entries.get(jid)
        if entry is None or not (entry.sub.options or {}).get("catch_up"):
            return
        created = entry.sub.created_at
        if created is None or self.clock() - created > self.grace:
            return
        await self._tracked(self.deliver(entry.sub, created), f"catch-up {jid}")

    async def run_subscription(self, jid: str) -> datetime | None:
        """The job body: deliver the due slot of subscription ``jid``; returns the slot."""
        entry = self._entries.get(jid)
        if entry is None:
            return None
        lock = self._locks.setdefault(jid, asyncio.Lock())
        try:
            async with lock:
                slots = due_slots(
                    entry.schedule, now=self.clock(), grace=self.grace,
                    not_before=entry.sub.created_at,
                )
                for slot in slots:
                    await self._tracked(self.deliver(entry.sub, slot), f"deliver {jid} {slot}")
                return slots[-1] if slots else None
        except asyncio.CancelledError:
            # Shutdown outlasted the drain: the ledger row stays claimed and the next start
            # resolves it, so this is not an error worth a traceback.
            log.info("delivery of %s interrupted by shutdown; the next start resumes it", jid)
            return None

    def _sync_config(self, now: datetime) -> None:
        """Config subscriptions into the store; ones dropped from the config leave it.

        A chat subscription for a channel and topic the config now declares leaves too: the
        two are keyed apart (``slack:C1`` and the config's name), each with its own delivery
        record, so both would post every story. ``/news subscribe`` refuses such a topic;
        this covers one made before the config declared it.
        """
        store = self.app.store
        wanted = config_subscriptions(self.app.settings, now)
        keys = {(s.channel_key, s.topic) for s in wanted}
        declared = {(s.platform, s.channel_id, s.topic): s.channel_key
                    for s in wanted if s.channel_id}
        for sub in wanted:
            store.add_subscription(sub)
        for old in store.list_subscriptions():
            if old.source == "config" and (old.channel_key, old.topic) not in keys:
                store.remove_subscription(old.channel_key, old.topic)
                log.info("removed subscription %s (no longer in the config)", job_id(old))
            elif old.source == "chat" and old.channel_id and (
                name := declared.get((old.platform, old.channel_id, old.topic))
            ):
                store.remove_subscription(old.channel_key, old.topic)
                log.info("removed chat subscription %s (%s, by %s): config channel %s "
                         "declares %s for the same channel", job_id(old), old.schedule,
                         old.created_by or "unknown", name, old.topic)

    async def _load(self) -> list[str]:
        """Make the jobs match the store; returns the ids of jobs that are new."""
        subs = await asyncio.to_thread(self.app.store.list_subscriptions)
        wanted: dict[str, _Entry] = {}
        for sub in subs:
            schedule = await self._schedule_of(sub)
            if schedule is not None:
                wanted[job_id(sub)] = _Entry(sub, schedule)
        added = []
        for jid, entry in wanted.items():
            old = self._entries.get(jid)
            self._entries[jid] = entry
            if old is not None and old.schedule == entry.schedule:
                continue  # options may have changed; the job looks them up when it runs
            self._scheduler.add_job(
                self.run_subscription, entry.schedule.trigger(), args=[jid], id=jid,
                name=f"digest {entry.sub.topic} -> {entry.sub.channel_key}",
                replace_existing=True, **self._job_options(),
            )
            if old is None:
                added.append(jid)
            log.info("scheduled %s: %s (%s)", jid, entry.sub.schedule, entry.sub.timezone)
        for jid in set(self._entries) - set(wanted):
            del self._entries[jid]
            if self._scheduler.get_job(jid) is not None:
                self._scheduler.remove_job(jid)
            log.info("unscheduled %s", jid)
        return added

    async def _schedule_of(self, sub: Subscription) -> Schedule | None:
        key = (sub.schedule, sub.timezone)
        if key not in self._schedules:
            try:
                self._schedules[key] = parse_schedule(sub.schedule, sub.timezone)
            except DigestbotError as e:
                log.error("subscription %s not scheduled: %s", job_id(sub), e)
                if sub.id is not None and sub.last_error != str(e):
                    await asyncio.to_thread(
                        self.app.store.record_subscription_error, sub.id, str(e)
                    )
                return None
        return self._schedules[key]

    # jobs ------------------------------------------------------------------------------------

    async def _run_poll(self) -> None:
        try:
            await self._tracked(self.poll(), "poll")
        except asyncio.CancelledError:  # shutdown outlasted the drain; a feed lease expires
            log.info("poll interrupted by shutdown")

    async def _run_prune(self) -> None:
        if self.prune is None:
            return
        try:
            await self._tracked(self.prune(), "prune")
        except asyncio.CancelledError:  # each batch is one transaction: nothing half-done
            log.info("prune interrupted by shutdown")

    async def track(self, work: Awaitable[Any], what: str) -> None:
        """Run ``work`` (a job run outside the scheduler's own triggers) as a task
        ``shutdown`` waits for, like the scheduled ones; an error is logged, never raised."""
        await self._tracked(work, what)

    async def _tracked(self, work: Awaitable[Any], what: str) -> None:
        """Run ``work`` as a task shutdown can wait for; an error is logged, never raised."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        try:
            await task
        except asyncio.CancelledError:
            raise
        except DigestbotError as e:  # expected (store down, bad input): one line
            log.error("%s failed: %s", what, e)
        except Exception:
            log.exception("%s failed", what)

    def _job_options(self) -> dict[str, Any]:
        return {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": max(1, int(self.grace.total_seconds())),
        }
