"""Feed polling for ``digestbot run``: claim due feeds, fetch and ingest them, schedule the next.

Several workers may poll one store: ``store.claim_due_feeds`` leases each due feed to one of
them, and ``store.release_feed`` records the outcome and the next poll time. The fetching,
parsing, classifying and storing is ``digests.pipeline``; this module only decides when
(interval + jitter, exponential backoff on failure, at least what a 429/503 Retry-After asks) and
reports (metrics, health notices).
Local path sources are re-read by every worker on their interval: the store's dedupe makes a
re-read cheap, so they need no lease.

Only followed feeds are polled: the configured ones (``configured_feeds``: settings sources
and the feeds of configured OPML files) and those added at run time (``bot.following``, used by
``/news feeds add`` and ``digestbot feeds add``). A feed row written by a one-off
``digestbot ingest URL``, or left by a feed taken out of the config, keeps its validators and
health but is not polled. A feed added from chat is fetched like any URL not listed by the
operator (``trusted=False``: no private, loopback or link-local address unless
``fetch.allow_private_addresses``); one added from the CLI is the operator's, so trusted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpx

from bot.app import App
from bot.health import FeedHealth, Notifier
from digests import retry
from digests.errors import DigestbotError, first_line
from digests.pipeline import (
    SourceResult,
    SourceSpec,
    Stored,
    fetch_options,
    read_source,
    resolve_sources,
    store_articles,
)
from digests.settings import Settings
from digests.sources.http import make_client
from digests.store.types import FeedState
from digests.timewindow import parse_duration

log = logging.getLogger(__name__)

CLI_ADDER = "cli"  # ``added_by`` of feeds the operator added with ``digestbot feeds add``
# A feed's server that answers 429/503 with Retry-After is not polled before that time, up to
# this long (digests.retry: the fetch caps it too, and its error says so).
MAX_RETRY_AFTER = timedelta(seconds=retry.MAX_RETRY_AFTER)

Outcome = Literal["ok", "not_modified", "error"]


class FetchMetrics(Protocol):
    """What the poller reports; ``bot/metrics.py::Metrics`` implements it."""

    def fetch(self, outcome: str, seconds: float) -> None: ...

    def ingested(self, n: int) -> None: ...


@dataclass(frozen=True)
class PollReport:
    """What one ``poll_once`` did (feeds by outcome, articles stored)."""

    claimed: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    paths: int = 0
    new: int = 0
    duplicates: int = 0
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class _FeedResult:
    outcome: Outcome
    new: int = 0
    duplicates: int = 0
    notice: str | None = None


# --- decisions (pure) ---------------------------------------------------------------------


def backoff(interval: timedelta, failures: int, cap: timedelta) -> timedelta:
    """Delay before the next poll: the interval, doubled per consecutive failure, capped."""
    if failures <= 0:
        return interval
    return min(interval * 2 ** min(failures - 1, 30), max(cap, interval))


def next_poll_time(
    now: datetime,
    interval: timedelta,
    failures: int,
    *,
    max_backoff: timedelta,
    jitter: timedelta,
    rng: random.Random,
) -> datetime:
    """When to poll again: ``backoff`` plus a random jitter so workers and feeds spread out."""
    spread = timedelta(seconds=rng.uniform(0, jitter.total_seconds())) if jitter else jitter
    return now + backoff(interval, failures, max_backoff) + spread


# --- the shell ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Configured:
    spec: SourceSpec
    interval: timedelta


class Poller:
    """Polls the configured and stored feeds for one worker; call ``poll_once`` on a tick."""

    def __init__(
        self,
        app: App,
        *,
        worker_id: str,
        metrics: FetchMetrics | None = None,
        notifier: Notifier | None = None,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        settings = app.settings
        self.app = app
        self.worker_id = worker_id
        self.metrics = metrics
        self.health = FeedHealth(settings.poll.failure_threshold, notifier)
        self.last_success: datetime | None = None  # last feed fetched fine (for /healthz)
        self.last_poll: datetime | None = None
        self._interval = parse_duration(settings.poll.interval)
        self._jitter = _jitter(settings.poll.jitter)
        self._max_backoff = parse_duration(settings.poll.max_backoff)
        self._lease = parse_duration(settings.poll.lease)
        self._options = fetch_options(settings.fetch)
        self._client = client
        self._own_client = client is None
        self._rng = rng or random.Random()  # jitter only, not security
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._write_lock = asyncio.Lock()
        self._feeds: dict[str, _Configured] = {}
        self._paths: list[_Configured] = []
        self._path_due: dict[str, datetime] = {}
        self._registered = False

    async def poll_once(self, now: datetime | None = None) -> PollReport:
        """Poll every feed due at ``now`` that this worker can claim, and due local paths."""
        now = now or self.app.clock()
        if not self._registered:
            await asyncio.to_thread(self._register_feeds)
            self._registered = True
        claimed = await self._claim(now)
        feed_results = await asyncio.gather(*(self._poll_feed(state, now) for state in claimed))
        path_results = await self._poll_paths(now)
        self.last_poll = now
        results = [*feed_results, *path_results]
        return PollReport(
            claimed=len(claimed),
            ok=sum(r.outcome == "ok" for r in feed_results),
            not_modified=sum(r.outcome == "not_modified" for r in feed_results),
            failed=sum(r.outcome == "error" for r in feed_results),
            paths=len(path_results),
            new=sum(r.new for r in results),
            duplicates=sum(r.duplicates for r in results),
            notices=tuple(r.notice for r in results if r.notice),
        )

    async def aclose(self) -> None:
        if self._client is not None and self._own_client:
            await self._client.aclose()
            self._client = None

    # feeds --------------------------------------------------------------------------------

    def _register_feeds(self) -> None:
        """Read the configured sources (OPML files too); each URL gets a feed row once.

        An existing row keeps its poll state; this runs once per poller, in a thread. The
        configured URLs found here are the ones ``claim_due_feeds`` claims (with the feeds
        added at run time), for the life of this poller.
        """
        self._feeds, self._paths = _configured_sources(self.app.settings, self._interval)
        store = self.app.store
        for url, source in self._feeds.items():
            if store.get_feed(url) is None:
                store.upsert_feed(FeedState(url=url, title=source.spec.name or ""))

    async def _claim(self, now: datetime) -> list[FeedState]:
        return await asyncio.to_thread(
            self.app.store.claim_due_feeds, self.worker_id, now, self._lease,
            configured=tuple(self._feeds),
        )

    async def _poll_feed(self, state: FeedState, now: datetime) -> _FeedResult:
        configured = self._feeds.get(state.url)
        if configured:
            spec = configured.spec
        else:  # added at run time: its articles keep the name (source) it was added with
            trusted = state.added_by == CLI_ADDER
            spec = SourceSpec(state.url, state.title or None, trusted=trusted)
        interval = configured.interval if configured else self._interval
        started = time.perf_counter()
        seconds = 0.0
        try:
            result = await self._fetch(spec)
            seconds = time.perf_counter() - started  # the fetch alone, not the storing
            error = result.failures[0].error if result.failures else None
            stored = Stored()
            if error is None and result.articles:
                stored = await self._store(result, now)
        except DigestbotError as e:
            result, error, stored = SourceResult(spec), first_line(e), Stored()
        except Exception as e:  # one broken feed must not stop the others or keep its lease
            log.exception("poll of %s failed unexpectedly", state.url)
            result, error, stored = SourceResult(spec), f"internal error: {first_line(e)}", Stored()
        new, dups = stored.new, stored.duplicates
        seconds = seconds or time.perf_counter() - started
        outcome: Outcome = (
            "error" if error is not None else "not_modified" if result.not_modified else "ok"
        )
        failures = state.error_count + 1 if error is not None else 0
        next_poll = next_poll_time(
            now, interval, failures,
            max_backoff=self._max_backoff, jitter=self._jitter, rng=self._rng,
        )
        if result.retry_after:  # the server asked for a pause (429/503 Retry-After)
            asked = timedelta(seconds=min(result.retry_after, MAX_RETRY_AFTER.total_seconds()))
            next_poll = max(next_poll, now + asked)
        keep_title = not configured and bool(state.title)  # an added feed keeps its name
        released = await self._release(state.url, result, now, next_poll, error, keep_title)
        self._record(outcome, seconds, new)
        log.info(
            "polled feed url=%s outcome=%s new=%d duplicates=%d updated=%d seconds=%.3f "
            "next_poll=%s%s",
            state.url, outcome, new, dups, stored.updated, seconds, next_poll.isoformat(),
            f" error={error!r}" if error else "",
        )
        notice = None
        if released:
            if error is None:
                self.last_success = now
            notice = await self.health.observe(
                state.url, before=state.error_count, after=failures, error=error,
                next_poll=next_poll,
            )
        return _FeedResult(outcome, new, dups, notice)

    async def _store(self, result: SourceResult, now: datetime) -> Stored:
        """Classify, summarize and store one source's articles, one source at a time.

        Fetches overlap; storing does not: it is CPU work under the GIL plus a write
        transaction, and parallel writers only contend (measured: 50 feeds x 20 items took
        about 4x longer stored concurrently than one after another).
        """
        if not result.articles:
            return Stored()
        async with self._write_lock:
            return await asyncio.to_thread(
                store_articles, self.app.store, result.articles, self.app.settings.topics, now
            )

    async def _fetch(self, spec: SourceSpec) -> SourceResult:
        host = urlsplit(spec.location).hostname or ""
        sem = self._per_host.setdefault(host, asyncio.Semaphore(self.app.settings.poll.per_host))
        async with sem:
            return await read_source(spec, self.app.store, self._http(), self._options)

    async def _release(
        self, url: str, result: SourceResult, now: datetime, next_poll: datetime,
        error: str | None, keep_title: bool = False,
    ) -> bool:
        status = None if error is not None else 304 if result.not_modified else 200
        try:
            released = await asyncio.to_thread(
                self.app.store.release_feed, url, self.worker_id,
                next_poll=next_poll, polled_at=now, etag=result.etag,
                last_modified=result.last_modified, status=status, error=error,
                title=None if keep_title else result.title,
            )
        except DigestbotError as e:
            log.error("could not record the poll of %s: %s (its lease will expire)", url, e)
            return False
        if not released:
            log.warning("lease on %s was lost before the poll finished; result not recorded", url)
        return bool(released)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = make_client(self._options)
        return self._client

    def _record(self, outcome: Outcome, seconds: float, new: int) -> None:
        if self.metrics is None:
            return
        self.metrics.fetch(outcome, seconds)
        if new:
            self.metrics.ingested(new)

    # local paths ----------------------------------------------------------------------------

    async def _poll_paths(self, now: datetime) -> list[_FeedResult]:
        due = [p for p in self._paths if self._path_due.get(p.spec.location, now) <= now]
        results = []
        for source in due:
            self._path_due[source.spec.location] = now + source.interval
            result = await read_source(source.spec, self.app.store, self._http(), self._options)
            for failure in result.failures:
                log.warning("source %s: %s", failure.source, failure.error)
            try:
                stored = await self._store(result, now)
            except DigestbotError as e:
                log.error("could not store articles from %s: %s", source.spec.location, e)
                stored = Stored()
            new, dups = stored.new, stored.duplicates
            if stored.updated:
                log.info("source %s: %d articles updated", source.spec.location, stored.updated)
            if self.metrics is not None and new:
                self.metrics.ingested(new)
            results.append(_FeedResult("error" if result.failures else "ok", new, dups))
        return results


def _configured_sources(
    settings: Settings, default: timedelta
) -> tuple[dict[str, _Configured], list[_Configured]]:
    """Configured feed URLs (OPML files expanded) by URL, and local paths, with intervals."""
    feeds: dict[str, _Configured] = {}
    paths: list[_Configured] = []
    for source in settings.sources:
        interval = parse_duration(source.interval) if source.interval else default
        if source.url:
            spec = SourceSpec(source.url, source.name)
            feeds[source.url] = _Configured(spec, interval)
            continue
        try:
            specs = resolve_sources([source.location], settings)
        except DigestbotError as e:
            log.error("source %s: %s", source.location, e)
            continue
        for spec in specs:
            if spec.error is not None:
                log.error("source %s: %s", spec.location, spec.error)
                continue
            if spec.is_url:  # a feed listed in an OPML file
                feeds.setdefault(spec.location, _Configured(spec, interval))
            else:
                paths.append(_Configured(SourceSpec(spec.location, source.name), interval))
    return feeds, paths


def configured_feeds(settings: Settings) -> dict[str, str | None]:
    """The configured feed URLs (settings sources, then the feeds of configured OPML files,
    in config order) with their configured names; reads the OPML files, so call it from a
    thread in the event loop."""
    feeds, _ = _configured_sources(settings, timedelta(minutes=15))
    return {url: source.spec.name for url, source in feeds.items()}


def _jitter(text: str) -> timedelta:
    """``poll.jitter``: a duration ("30s"), or "0" as settings allows."""
    return timedelta(0) if text.strip() == "0" else parse_duration(text, allow_zero=True)
