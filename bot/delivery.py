"""Delivery: build a digest, send it, record it in the ledger so each window posts once.

The ledger row (channel key, subscription key ``<topic>@<schedule>``, window key) is claimed
BEFORE anything is sent; the store's unique constraint decides between racing workers. Then:

1. the digest is built (only stories not yet delivered to that channel, the subscription's
   filters, capped with "and N more") and archived; the row records ``plan:<archive id>``;
2. each message part is sent and its id recorded on the row (one transaction per part);
3. the row is marked delivered with its message and story ids; Markdown/HTML files are written.

A failed send is never marked delivered: a transient failure leaves the row ``failed`` (the
next tick within the grace period takes it over and resumes after the parts already sent), a
permanent one marks it ``dead``, records the error on the subscription and tells the admin
channel. ``resolve_pending`` finishes rows a dead process left ``claimed``: parts recorded as
sent are never sent again; the part that was in flight is looked up on the platform when the
sender can (Slack message metadata), deduplicated by the platform when it can (the Discord
bot's nonce, within Discord's few-minute window), and otherwise sent again -- at most one
duplicate message per crash. See the README's "Delivery guarantees".

A shutdown (``stop``, set by ``digestbot run`` on SIGTERM) lets the part in flight finish but
starts no further part: the row stays ``claimed`` with the parts sent so far and a note that
this attempt stopped cleanly (``Progress.stops``), so any worker resumes it at once from the
next part, with nothing to look up and without counting the stop as a failed attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from bot import archive_files
from bot.app import App
from bot.delivery_filters import StoryFilter
from bot.delivery_progress import Progress, record_progress
from bot.health import admin_target
from bot.schedules import parse_schedule, slot_key
from bot.senders import Sender
from bot.types import Target
from digests.compose import build_digest
from digests.errors import DeliveryError, DigestbotError, StoreError, UsageError
from digests.models import Digest
from digests.render import json as render_json
from digests.settings import ChannelSettings, Settings
from digests.store import Delivery, Subscription
from digests.timewindow import parse_window

log = logging.getLogger(__name__)

Status = Literal["delivered", "empty", "already", "failed", "permanent", "skipped",
                 "stopped"]
MANUAL = "manual"
STALE_CLAIM = timedelta(minutes=10)  # a claim this old is abandoned whoever holds it
PLAN_LOCK_TTL = timedelta(seconds=60)  # a plan takes well under a second; a dead planner's
#                                        lease frees itself after this
PLAN_LOCK_WAIT = 30.0  # seconds a plan waits for another one of its channel and topic


class Metrics(Protocol):
    def delivered(self, platform: str, outcome: str) -> None: ...


class StopSignal(Protocol):
    """Set once shutdown begins (an ``asyncio.Event``): a delivery starts no further part."""

    def is_set(self) -> bool: ...


@runtime_checkable
class PartSender(Protocol):
    """A sender that can send a digest one message at a time (so progress can be recorded).

    ``ref`` (``<delivery id>:<part>``) is the same for a part on every attempt: Slack tags the
    message with it, the Discord bot derives its message nonce from it."""

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]: ...

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str: ...


@runtime_checkable
class VerifyingSender(Protocol):
    """A part sender that can tell whether a tagged part already reached the channel."""

    async def find_part(self, target: Target, ref: str, *, since: datetime) -> str | None: ...


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one ledger window came to."""

    status: Status
    channel_key: str
    topic: str
    window_key: str
    platform: str = ""
    message_ids: tuple[str, ...] = ()
    story_ids: tuple[int, ...] = ()
    error: str | None = None
    delivery_id: int | None = None
    archive_id: int | None = None
    more: int = 0


@dataclass(frozen=True)
class Delivered:
    channel: str
    message_id: str
    topic: str


@dataclass(frozen=True)
class Skipped:
    channel: str
    topic: str
    reason: str


@dataclass(frozen=True)
class Failed:
    channel: str
    topic: str
    error: str
    permanent: bool = False


@dataclass(frozen=True)
class PostResult:
    """What ``post_now`` did, per topic; ``to_json`` is ``digestbot post --json``."""

    delivered: tuple[Delivered, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    failed: tuple[Failed, ...] = ()

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "delivered": [
                {"channel": d.channel, "message_id": d.message_id, "topic": d.topic}
                for d in self.delivered
            ],
            "skipped": [
                {"channel": s.channel, "topic": s.topic, "reason": s.reason} for s in self.skipped
            ],
            "failed": [
                {"channel": f.channel, "topic": f.topic, "error": f.error,
                 "permanent": f.permanent}
                for f in self.failed
            ],
        }


# --- identities and targets -----------------------------------------------------------------


def worker_id() -> str:
    """``hostname:pid``: who holds a claim (and whether it can still be alive)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def sub_key(sub: Subscription) -> str:
    return f"{sub.topic}@{sub.schedule}"


def target_for(settings: Settings, channel_key: str, sub: Subscription | None = None) -> Target:
    """The configured channel named ``channel_key``, else a chat channel ``platform:id``."""
    channel = settings.channels.get(channel_key)
    if channel is not None:
        return channel_target(channel_key, channel)
    if sub is not None:
        return Target(name=channel_key, platform=_platform(sub.platform),
                      channel_id=sub.channel_id or None)
    platform, _, channel_id = channel_key.partition(":")
    return Target(name=channel_key, platform=_platform(platform), channel_id=channel_id or None)


def channel_target(name: str, channel: ChannelSettings) -> Target:
    return Target(name=name, platform=channel.platform, channel_id=channel.channel,
                  webhook=channel.webhook)


def _platform(text: str) -> Literal["slack", "discord", "console"]:
    if text == "slack":
        return "slack"
    if text == "discord":
        return "discord"
    return "console"


def unavailable(app: App, target: Target, senders: Mapping[str, Sender]) -> str | None:
    """Why ``target`` cannot be posted to with these senders and secrets; None if it can."""
    if target.platform == "slack" and not app.secrets.slack_bot_token:
        return "SLACK_BOT_TOKEN is not set"
    if target.platform == "discord" and not target.webhook and not app.secrets.discord_bot_token:
        return "DISCORD_BOT_TOKEN is not set (and the channel has no webhook)"
    if target.platform not in senders:
        return f"no {target.platform} sender available"
    return None


# --- building (runs in a worker thread: store reads and compose) ----------------------------


@dataclass(frozen=True)
class DigestSpec:
    """What to build for one window: topic, the window [until - window, until), options."""

    topic: str
    until: datetime
    window: str
    channel_key: str
    max_stories: int
    filters: StoryFilter = field(default_factory=StoryFilter)
    repost_updated: bool = False
    updated_since: datetime | None = None  # a delivered story with an article fetched after
    #                                        this is "updated" (when repost_updated)
    in_flight: frozenset[int] = frozenset()  # planned by unfinished windows: left out too


def build_window_digest(app: App, spec: DigestSpec) -> Digest:
    """The digest of ``spec``: topic members in the window, filtered, minus stories already
    delivered to the channel (unless updated and ``repost_updated``), ranked and capped."""
    settings, store = app.settings, app.store
    definition = settings.topic(spec.topic)
    since = spec.until - parse_window(spec.window)
    min_score = max(settings.digest.min_score, spec.filters.min_score)
    articles = store.articles_in_window(since, spec.until, topic=spec.topic, min_score=min_score)
    articles = spec.filters.apply(articles, spec.topic)
    delivered = store.delivered_story_ids(spec.channel_key, spec.topic)
    updated: set[int] = set()
    if spec.repost_updated:
        fresh_after = spec.updated_since or since
        updated = {a.story_id for a in articles
                   if a.story_id in delivered and a.fetched_at > fresh_after}
    return build_digest(
        spec.topic, articles, since=since, until=spec.until, now=spec.until,
        window=spec.window, max_items=spec.max_stories, description=definition.description,
        color=definition.color or "", exclude_story_ids=delivered | spec.in_flight,
        updated_story_ids=updated,
    )


def subscription_spec(app: App, sub: Subscription, slot: datetime) -> DigestSpec:
    """A subscription's window ending at ``slot``, with its options (bad ones: UsageError)."""
    options = sub.options or {}
    window = str(options.get("window") or app.settings.digest.window)
    parse_window(window)
    previous = parse_schedule(sub.schedule, sub.timezone).window_since(slot)
    return DigestSpec(
        topic=sub.topic,
        until=slot,
        window=window,
        channel_key=sub.channel_key,
        max_stories=int(options.get("max_stories") or app.settings.digest.max_stories),
        filters=StoryFilter.from_options(options),
        repost_updated=bool(options.get("repost_updated", False)),
        updated_since=previous,
    )


# --- one ledger window ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    target: Target
    channel_key: str
    sub_key: str
    window_key: str
    topic: str
    spec: DigestSpec | None  # None: resume only (the plan must exist)
    post_empty: bool = False
    sub: Subscription | None = None


async def deliver_subscription(
    app: App,
    sub: Subscription,
    slot: datetime,
    senders: Mapping[str, Sender],
    *,
    metrics: Metrics | None = None,
    worker: str | None = None,
    stop: StopSignal | None = None,
) -> DeliveryOutcome:
    """Deliver ``sub``'s window ending at ``slot`` once (the scheduler's job body); once
    ``stop`` is set, no further message part is started."""
    slot = slot.astimezone(UTC)
    target = target_for(app.settings, sub.channel_key, sub)
    key = slot_key(slot)
    reason = unavailable(app, target, senders)
    if reason is not None:
        log.warning("delivery skipped channel=%s topic=%s reason=%s",
                    sub.channel_key, sub.topic, reason)
        if sub.id is not None and sub.last_error != reason:
            await asyncio.to_thread(app.store.record_subscription_error, sub.id, reason)
        _count(metrics, target.platform, "skipped")
        return DeliveryOutcome("skipped", sub.channel_key, sub.topic, key, target.platform,
                               error=reason)
    try:
        spec = subscription_spec(app, sub, slot)
    except DigestbotError as e:
        return await _refuse(app, sub, target, key, str(e), metrics)
    job = _Job(target, sub.channel_key, sub_key(sub), key, sub.topic, spec,
               post_empty=bool((sub.options or {}).get("post_empty", False)), sub=sub)
    if stop is not None and stop.is_set():  # shutting down: claim nothing new
        return DeliveryOutcome("stopped", sub.channel_key, sub.topic, key, target.platform)
    return await _claim_and_run(app, job, senders, metrics, worker or worker_id(), stop)


async def post_now(
    app: App,
    channel_name: str,
    *,
    topic: str | None = None,
    window: str | None = None,
    senders: Mapping[str, Sender] | None = None,
    metrics: Metrics | None = None,
    worker: str | None = None,
) -> PostResult:
    """``digestbot post``: each of the channel's topics (or ``topic``) posted now, through the
    ledger (window ``manual:<now>``) so its stories count as delivered to that channel.
    ``worker`` (default: this process) is the ledger's name for who sends."""
    settings = app.settings
    channel = settings.channels.get(channel_name)
    if channel is None:
        known = ", ".join(sorted(settings.channels)) or "none configured"
        raise UsageError(f"unknown channel {channel_name!r} (known: {known})")
    if topic is not None:
        settings.topic(topic)
    topics = [topic] if topic else list(channel.topics)
    if not topics:
        raise UsageError(f"channel {channel_name!r} has no topics: give --topic")
    window = window or channel.window or settings.digest.window
    parse_window(window)
    if senders is None:
        from bot.senders.registry import open_senders

        async with open_senders(app) as opened:
            return await _post_topics(app, channel_name, channel, topics, window, opened, metrics,
                                      worker or worker_id())
    return await _post_topics(app, channel_name, channel, topics, window, senders, metrics,
                              worker or worker_id())


async def _post_topics(
    app: App,
    name: str,
    channel: ChannelSettings,
    topics: Sequence[str],
    window: str,
    senders: Mapping[str, Sender],
    metrics: Metrics | None,
    worker: str,
) -> PostResult:
    target = channel_target(name, channel)
    delivered: list[Delivered] = []
    skipped: list[Skipped] = []
    failed: list[Failed] = []
    reason = unavailable(app, target, senders)
    if reason is not None:
        return PostResult(skipped=tuple(Skipped(name, t, reason) for t in topics))
    options = {"filters": channel.filters.model_dump(mode="json")}
    for topic in topics:
        # A post that was killed or failed part-way is finished first (its sent parts are
        # never sent again); the new window then leaves out every story that has gone out.
        left = await resolve_pending(app, senders, metrics=metrics, worker=worker,
                                     starting=False, channel_key=name, topic=topic)
        failed_part_way = await _resume_failed_posts(app, name, target, topic, senders,
                                                     metrics, worker)
        for outcome in [*left, *failed_part_way]:
            if outcome.status == "delivered":
                delivered += [Delivered(name, mid, topic) for mid in outcome.message_ids]
            elif outcome.status in ("failed", "permanent"):
                failed.append(Failed(name, topic, outcome.error or "failed",
                                     outcome.status == "permanent"))
        now = app.clock().astimezone(UTC)
        spec = DigestSpec(
            topic=topic, until=now, window=window, channel_key=name,
            max_stories=channel.max_stories or app.settings.digest.max_stories,
            filters=StoryFilter.from_options(options), repost_updated=channel.repost_updated,
        )
        job = _Job(target, name, f"{topic}@{MANUAL}/{window}",
                   f"{MANUAL}:{now.isoformat(timespec='microseconds')}", topic, spec)
        outcome = await _claim_and_run(app, job, senders, metrics, worker)
        if outcome.status == "delivered":
            delivered += [Delivered(name, mid, topic) for mid in outcome.message_ids]
        elif outcome.status in ("failed", "permanent"):
            failed.append(Failed(name, topic, outcome.error or "failed",
                                 outcome.status == "permanent"))
        else:
            skipped.append(Skipped(name, topic, _skip_text(outcome, window)))
    return PostResult(tuple(delivered), tuple(skipped), tuple(failed))


async def _resume_failed_posts(
    app: App, name: str, target: Target, topic: str, senders: Mapping[str, Sender],
    metrics: Metrics | None, worker: str,
) -> list[DeliveryOutcome]:
    """Resume this channel's ``post`` windows of ``topic`` that failed after sending some of
    their parts (within the grace period), oldest first: the rest of their parts goes out."""
    since = app.clock() - parse_window(app.settings.delivery.misfire_grace) - STALE_CLAIM
    rows = await asyncio.to_thread(app.store.in_flight_deliveries, name, topic, since)
    outcomes = []
    for row in rows:
        progress = Progress.decode(row.message_ids)
        if not (_partly_sent_post(row) and progress.plan_id is not None):
            continue
        job = _Job(target, name, row.sub_key, row.window_key, topic, None)
        log.info("resuming a post that failed part-way channel=%s topic=%s window=%s sent=%d",
                 name, topic, row.window_key, len(progress.sent))
        outcomes.append(await _claim_and_run(app, job, senders, metrics, worker))
    return outcomes


def _partly_sent_post(row: Delivery) -> bool:
    return (row.status == "failed" and row.window_key.startswith(f"{MANUAL}:")
            and bool(Progress.decode(row.message_ids).sent))


def _skip_text(outcome: DeliveryOutcome, window: str) -> str:
    if outcome.status == "empty":
        return f"no new stories for {outcome.topic} in the last {window}"
    if outcome.status == "already":
        return "already delivered"
    return outcome.error or outcome.status


async def _claim_and_run(
    app: App, job: _Job, senders: Mapping[str, Sender], metrics: Metrics | None, worker: str,
    stop: StopSignal | None = None,
) -> DeliveryOutcome:
    now = app.clock()
    claim = await asyncio.to_thread(
        app.store.claim_delivery, job.channel_key, job.sub_key, job.window_key,
        worker=worker, now=now, topic=job.topic,
    )
    if claim is None:
        log.debug("window already claimed channel=%s sub=%s window=%s",
                  job.channel_key, job.sub_key, job.window_key)
        return DeliveryOutcome("already", job.channel_key, job.topic, job.window_key,
                               job.target.platform)
    # Attempts a shutdown stopped between parts failed nothing: they do not count.
    attempts = claim.attempts - len(Progress.decode(claim.message_ids).stops)
    if attempts > app.settings.delivery.max_attempts:
        error = f"gave up after {attempts - 1} attempts: {claim.error or 'failed'}"
        await asyncio.to_thread(app.store.mark_failed, claim.id, error, permanent=True,
                                now=app.clock())
        return await _permanent(app, job, claim, error, senders, metrics)
    return await _run(app, job, claim, senders, metrics, stop)


async def _run(
    app: App, job: _Job, claim: Delivery, senders: Mapping[str, Sender],
    metrics: Metrics | None, stop: StopSignal | None = None,
) -> DeliveryOutcome:
    """Send the claimed window (resuming from the row's recorded progress) and record it."""
    store = app.store
    progress = Progress.decode(claim.message_ids)
    # Resuming, the first unsent part may have been in flight when the last holder died, so
    # it is looked up first; not when that holder stopped cleanly between parts.
    verify = progress.plan_id is not None and not progress.stopped_in(claim.attempts - 1)
    base = DeliveryOutcome("failed", job.channel_key, job.topic, job.window_key,
                           job.target.platform, delivery_id=claim.id)
    try:
        digest, progress, planned_at = await _plan(app, job, claim, progress)
    except _LostClaim:
        return _with(base, status="already")
    except DigestbotError as e:
        permanent = not isinstance(e, StoreError)
        await asyncio.to_thread(store.mark_failed, claim.id, _line(e), permanent=permanent,
                                now=app.clock())
        if permanent:
            return await _permanent(app, job, claim, _line(e), senders, metrics)
        _count(metrics, job.target.platform, "failed")
        return _with(base, error=_line(e))
    if digest is None:  # nothing new and empty digests are not posted
        await asyncio.to_thread(store.mark_delivered, claim.id, [], [], app.clock())
        _count(metrics, job.target.platform, "empty")
        return _with(base, status="empty")
    sender = senders[job.target.platform]
    try:
        progress = await _send(app, job, claim, sender, digest, progress, verify, planned_at,
                               stop)
    except _Stopped as e:
        return await _stop(app, claim, e, base)
    except DeliveryError as e:
        await asyncio.to_thread(store.mark_failed, claim.id, e.reason, permanent=e.permanent,
                                now=app.clock())
        if e.permanent:
            return await _permanent(app, job, claim, e.reason, senders, metrics)
        log.warning("delivery failed channel=%s topic=%s window=%s error=%s (will retry)",
                    job.channel_key, job.topic, job.window_key, e.reason)
        _count(metrics, job.target.platform, "failed")
        return _with(base, error=e.reason, message_ids=progress.sent)
    except _LostClaim:
        return _with(base, status="already")
    except StoreError as e:  # progress could not be recorded: stop; the row is retried later
        log.error("delivery interrupted channel=%s topic=%s window=%s: %s",
                  job.channel_key, job.topic, job.window_key, e)
        with contextlib.suppress(StoreError):
            await asyncio.to_thread(store.mark_failed, claim.id, _line(e), permanent=False,
                                    now=app.clock())
        _count(metrics, job.target.platform, "failed")
        return _with(base, error=_line(e), message_ids=progress.sent)
    story_ids = tuple(item.story_id for item in digest.items)
    await asyncio.to_thread(store.mark_delivered, claim.id, list(progress.sent),
                            list(story_ids), app.clock())
    _count(metrics, job.target.platform, "delivered")
    if job.sub is not None and job.sub.id is not None and job.sub.last_error:
        await asyncio.to_thread(store.record_subscription_error, job.sub.id, None)
    await _archive_files(app, digest, job.channel_key, progress.plan_id)
    log.info("digest delivered channel=%s topic=%s window=%s messages=%d stories=%d",
             job.channel_key, job.topic, job.window_key, len(progress.sent), len(story_ids))
    return _with(base, status="delivered", message_ids=progress.sent, story_ids=story_ids,
                 archive_id=progress.plan_id, more=digest.more)


class _LostClaim(Exception):
    """Another worker took this row over (it judged us dead); stop sending."""


class _Stopped(Exception):
    """Shutdown began: ``progress`` (recorded) is as far as this attempt goes."""

    def __init__(self, progress: Progress, parts: int) -> None:
        super().__init__(f"stopped after part {len(progress.sent)} of {parts}")
        self.progress = progress
        self.parts = parts


async def _stop(
    app: App, claim: Delivery, stopped: _Stopped, base: DeliveryOutcome
) -> DeliveryOutcome:
    """Note on the row that this attempt stopped cleanly; it stays ``claimed`` for any worker
    to resume from the next part. If the note cannot be written, the row is resumed as after
    a crash (the next part gets looked up or sent again): nothing is lost either way."""
    progress = stopped.progress
    done = _with(base, status="stopped", message_ids=progress.sent)
    try:
        kept = await asyncio.to_thread(record_progress, app.store, claim.id, claim.worker,
                                       progress.stopped(claim.attempts))
    except StoreError as e:
        log.warning("delivery %s stopped after part %d of %d for shutdown, but the stop was "
                    "not recorded (%s): the next start resumes it as after a crash", claim.id,
                    len(progress.sent), stopped.parts, _line(e))
        return done
    if not kept:
        return _with(base, status="already")
    log.info("delivery %s stopped after part %d of %d for shutdown; the next start resumes it",
             claim.id, len(progress.sent), stopped.parts)
    return done


async def _plan(
    app: App, job: _Job, claim: Delivery, progress: Progress
) -> tuple[Digest | None, Progress, datetime]:
    """The digest to send: the archived plan when resuming, else built, archived, recorded."""
    store = app.store
    if progress.plan_id is not None:
        archived = await asyncio.to_thread(store.get_digest, progress.plan_id)
        if archived is None:
            raise StoreError(f"archived digest {progress.plan_id} of delivery {claim.id} is gone")
        digest = render_json.parse(archived.payload)
        return _linked(app, digest, progress.plan_id), progress, archived.created_at
    if job.spec is None:
        raise UsageError("nothing was sent and the window cannot be rebuilt")
    async with _planning(app, job, f"{claim.worker}:{claim.id}"):
        # Another window of this topic to this channel may be unfinished (a concurrent
        # ``post``, a scheduled window, one failed and to be resumed): its stories are not
        # delivered yet, but they will be, so they are left out here as delivered ones are.
        spec = replace(job.spec, in_flight=await _in_flight_stories(app, job, claim))
        digest = await asyncio.to_thread(build_window_digest, app, spec)
        if digest.empty and not job.post_empty:
            return None, progress, app.clock()
        now = app.clock()
        plan_id = await asyncio.to_thread(
            archive_files.save_digest, store, digest, channel_key=job.channel_key, now=now
        )
        progress = replace(progress, plan_id=plan_id, sent=())
        if not await asyncio.to_thread(record_progress, store, claim.id, claim.worker, progress):
            raise _LostClaim()
    return _linked(app, digest, plan_id), progress, now


@contextlib.asynccontextmanager
async def _planning(app: App, job: _Job, holder: str) -> AsyncIterator[None]:
    """One plan at a time per channel and topic, across processes (a short lease): plans
    made at once would both pick the stories that neither has delivered yet."""
    key = hashlib.sha256(f"{job.channel_key}\0{job.topic}".encode()).hexdigest()[:32]
    name, deadline = f"plan:{key}", time.monotonic() + PLAN_LOCK_WAIT
    store = app.store
    while not await asyncio.to_thread(
        store.try_acquire_lease, name, holder, app.clock(), PLAN_LOCK_TTL
    ):
        if time.monotonic() > deadline:  # transient: the window is retried
            raise StoreError(f"another digest of {job.topic} for {job.channel_key} is being "
                             "planned; will retry")
        await asyncio.sleep(0.1)
    try:
        yield
    finally:
        with contextlib.suppress(StoreError):
            await asyncio.to_thread(store.release_lease, name, holder)


async def _in_flight_stories(app: App, job: _Job, claim: Delivery) -> frozenset[int]:
    """Stories planned by the other unfinished windows of this topic to this channel that
    may still be sent: claimed ones (in progress, or resumed after a crash), failed ones the
    scheduler retries within the grace period, and posts that failed part-way (the next
    ``post`` finishes them); a post that failed before sending anything is never resumed."""
    grace = parse_window(app.settings.delivery.misfire_grace)
    since = app.clock() - grace - STALE_CLAIM
    rows = await asyncio.to_thread(
        app.store.in_flight_deliveries, job.channel_key, job.topic, since
    )
    found: set[int] = set()
    for row in rows:
        plan_id = Progress.decode(row.message_ids).plan_id
        if row.id == claim.id or plan_id is None:
            continue
        if (row.status == "failed" and row.window_key.startswith(f"{MANUAL}:")
                and not _partly_sent_post(row)):
            continue  # a failed post that sent nothing is not resumed: its stories are free
        archived = await asyncio.to_thread(app.store.get_digest, plan_id)
        if archived is not None:
            found.update(item.story_id for item in render_json.parse(archived.payload).items)
    return frozenset(found)


def _linked(app: App, digest: Digest, archive_id: int) -> Digest:
    """The digest with its archive page link (when ``public_url`` is set): derived from the
    archive id alone, so a resumed send renders exactly the same parts."""
    if not app.settings.public_url:
        return digest
    from bot.archive_site import archive_url

    return replace(digest, archive_url=archive_url(app.settings, digest.topic, archive_id))


async def _send(
    app: App,
    job: _Job,
    claim: Delivery,
    sender: Sender,
    digest: Digest,
    progress: Progress,
    verify: bool,
    planned_at: datetime,
    stop: StopSignal | None = None,
) -> Progress:
    """Send the parts not yet recorded, recording each; returns the final progress. Once
    ``stop`` is set no further part is started (``_Stopped``); the one in flight finishes."""
    target = job.target
    if not isinstance(sender, PartSender):
        if progress.sent:  # a whole-digest sender that got this far already finished
            return progress
        ids = await sender.send(target, digest)
        return replace(progress, sent=tuple(ids))
    parts = sender.parts(target, digest)
    channel = f"{target.platform}:{target.channel_id or target.webhook or target.name}"
    async with app.channel_locks.setdefault(channel, asyncio.Lock()):
        for index in range(len(progress.sent), len(parts)):
            if stop is not None and stop.is_set():
                raise _Stopped(progress, len(parts))
            ref = f"{claim.id}:{index}"
            found: str | None = None
            if verify and index == len(progress.sent) and isinstance(sender, VerifyingSender):
                found = await _verify(sender, target, ref, planned_at)
            message_id = found or await sender.send_part(target, parts[index], ref=ref)
            progress = progress.add(message_id)
            if not await asyncio.to_thread(record_progress, app.store, claim.id, claim.worker,
                                           progress):
                raise _LostClaim()
    return progress


async def _verify(
    sender: VerifyingSender, target: Target, ref: str, since: datetime
) -> str | None:
    try:
        found = await sender.find_part(target, ref, since=since)
    except DeliveryError as e:
        log.warning("cannot verify part %s on %s (%s): sending it again", ref, target.name,
                    e.reason)
        return None
    if found:
        log.info("part %s was already posted to %s before the restart: not sent again",
                 ref, target.name)
    return found


async def _archive_files(app: App, digest: Digest, channel_key: str, plan_id: int | None) -> None:
    try:
        await asyncio.to_thread(archive_files.write_files, app.archive_dir, digest,
                                channel_key=channel_key, digest_id=plan_id)
    except OSError as e:
        log.warning("could not write archive files to %s: %s", app.archive_dir, e)


async def _refuse(
    app: App, sub: Subscription, target: Target, key: str, error: str, metrics: Metrics | None
) -> DeliveryOutcome:
    """A subscription whose options are unusable: recorded on it, nothing claimed."""
    log.error("subscription %s@%s unusable: %s", sub.channel_key, sub.topic, error)
    if sub.id is not None and sub.last_error != error:
        await asyncio.to_thread(app.store.record_subscription_error, sub.id, error)
    _count(metrics, target.platform, "permanent")
    return DeliveryOutcome("permanent", sub.channel_key, sub.topic, key, target.platform,
                           error=error)


async def _permanent(
    app: App, job: _Job, claim: Delivery, error: str, senders: Mapping[str, Sender],
    metrics: Metrics | None,
) -> DeliveryOutcome:
    """Record a permanent failure on the subscription and tell the admin channel."""
    log.error("delivery failed permanently channel=%s topic=%s window=%s error=%s",
              job.channel_key, job.topic, job.window_key, error)
    if job.sub is not None and job.sub.id is not None:
        await asyncio.to_thread(app.store.record_subscription_error, job.sub.id, error)
    await notify_admin(app, senders, f"Digest delivery to {job.channel_key} ({job.topic}) "
                       f"failed and will not be retried: {error}", avoid=job.channel_key)
    _count(metrics, job.target.platform, "permanent")
    return DeliveryOutcome("permanent", job.channel_key, job.topic, job.window_key,
                           job.target.platform, error=error, delivery_id=claim.id,
                           message_ids=Progress.decode(claim.message_ids).sent)


async def notify_admin(
    app: App, senders: Mapping[str, Sender], text: str, *, avoid: str | None = None
) -> bool:
    """Post ``text`` to the admin channel (not into ``avoid``); else log it. Never raises."""
    target = admin_target(app.settings)
    if target is None or target.name == avoid or target.platform not in senders:
        log.warning("admin notice: %s", text)
        return False
    try:
        await senders[target.platform].notify(target, text)
    except Exception:
        log.exception("could not post admin notice: %s", text)
        return False
    return True


# --- restart: claims left by a dead process -------------------------------------------------


def claim_abandoned(
    delivery: Delivery, *, me: str, now: datetime, stale_after: timedelta = STALE_CLAIM,
    host: str | None = None, alive: Callable[[int], bool] | None = None,
    starting: bool = True,
) -> bool:
    """Whether the worker holding ``delivery`` is gone: it stopped this attempt for shutdown
    (and said so on the row), it is this worker id from before a restart (``starting``), a
    process of this host that no longer runs, or the claim is older than ``stale_after`` (no
    send takes that long)."""
    if Progress.decode(delivery.message_ids).stopped_in(delivery.attempts):
        return True
    if delivery.worker == me:
        return starting or now - delivery.claimed_at > stale_after
    if now - delivery.claimed_at > stale_after:
        return True
    claim_host, _, pid = delivery.worker.rpartition(":")
    if claim_host == (host or socket.gethostname()) and pid.isdigit():
        return not (alive or _pid_alive)(int(pid))
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def resolve_pending(
    app: App,
    senders: Mapping[str, Sender],
    *,
    metrics: Metrics | None = None,
    worker: str | None = None,
    stale_after: timedelta = STALE_CLAIM,
    starting: bool = True,
    stop: StopSignal | None = None,
    channel_key: str | None = None,
    topic: str | None = None,
) -> list[DeliveryOutcome]:
    """Finish the windows a dead or stopped process left claimed, never resending what the
    ledger records as sent. With ``starting`` (before the scheduler runs any delivery of this
    worker) this worker's own claims count as a dead predecessor's; later calls
    (``starting=False``) take only claims of dead processes, stopped ones and stale ones.
    Once ``stop`` is set, no further row is taken (and the one being sent stops between
    parts). ``channel_key`` and ``topic`` limit it to one channel's topic (``post``)."""
    me = worker or worker_id()
    now = app.clock()
    pending = await asyncio.to_thread(app.store.pending_deliveries, now + timedelta(seconds=1))
    pending = [r for r in pending if (channel_key is None or r.channel_key == channel_key)
               and (topic is None or r.topic == topic)]
    outcomes: list[DeliveryOutcome] = []
    subs: dict[tuple[str, str], Subscription] | None = None
    for row in pending:
        if stop is not None and stop.is_set():
            break
        if not claim_abandoned(row, me=me, now=now, stale_after=stale_after,
                               starting=starting):
            continue
        # ``pending`` was read before the rows above were resumed (which takes a while):
        # another worker may have taken this one over since, so decide on a fresh read.
        fresh = await asyncio.to_thread(app.store.get_delivery, row.id)
        if (fresh is None or fresh.status != "claimed" or fresh.attempts != row.attempts
                or fresh.worker != row.worker):
            continue
        row = fresh
        progress = Progress.decode(row.message_ids)
        stopped = progress.stopped_in(row.attempts)
        # Stopped for shutdown between parts: nothing failed, so no error is written (the
        # earlier one, if any, is kept). The hand-back holds only while the row is still the
        # claim read above: a rescuer that lost the race to another takes nothing.
        error = row.error if stopped else "worker died mid-send"
        released = await asyncio.to_thread(app.store.release_claim, row.id, error,
                                           worker=row.worker, attempts=row.attempts)
        if not released:
            continue
        if stopped:
            log.info("resuming delivery %s stopped for shutdown by %s: %d parts recorded as "
                     "sent", row.id, row.worker, len(progress.sent))
        else:
            log.warning("resolving delivery %s left by %s: %d parts recorded as sent",
                        row.id, row.worker, len(progress.sent))
        if progress.plan_id is None:
            # Nothing was sent. A scheduled window is retaken by its next tick within the
            # grace period; a manual post died with its command.
            if row.window_key.startswith(f"{MANUAL}:"):
                await asyncio.to_thread(app.store.mark_failed, row.id, "abandoned before "
                                        "sending", permanent=True, now=app.clock())
            continue
        if subs is None:
            listed = await asyncio.to_thread(app.store.list_subscriptions)
            subs = {(s.channel_key, sub_key(s)): s for s in listed}
        sub = subs.get((row.channel_key, row.sub_key))
        target = target_for(app.settings, row.channel_key, sub)
        job = _Job(target, row.channel_key, row.sub_key, row.window_key, row.topic, None,
                   sub=sub)
        if unavailable(app, target, senders) is not None:
            continue
        outcomes.append(await _claim_and_run(app, job, senders, metrics, me, stop))
    return outcomes


# --- helpers ----------------------------------------------------------------------------------


def _count(metrics: Metrics | None, platform: str, outcome: str) -> None:
    if metrics is not None:
        metrics.delivered(platform, outcome)


def _with(base: DeliveryOutcome, **changes: Any) -> DeliveryOutcome:
    return replace(base, **changes)


def _line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


__all__ = [
    "Delivered",
    "DeliveryOutcome",
    "DigestSpec",
    "Failed",
    "PartSender",
    "PostResult",
    "Skipped",
    "StopSignal",
    "VerifyingSender",
    "build_window_digest",
    "claim_abandoned",
    "deliver_subscription",
    "notify_admin",
    "post_now",
    "resolve_pending",
    "sub_key",
    "target_for",
    "worker_id",
]
