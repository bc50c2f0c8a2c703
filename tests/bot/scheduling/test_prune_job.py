"""Retention in ``digestbot run``: the daily prune job, its lease between workers, the windows
it keeps, and a real ``Service`` pruning soon after start (metrics included)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App, make_app
from bot.retention import LEASE, prune_job
from bot.runner import Service
from bot.scheduler import PRUNE_JOB, DigestScheduler
from digests.settings import RetentionSettings, Secrets, Settings
from digests.store import Store, Subscription
from digests.store.retention import PruneCounts
from tests.bot.scheduling.helpers import Clock, Recorder
from tests.store.builders import make_article

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def settings_for(database: str, articles: str | None = "90d") -> Settings:
    return Settings(database=database, retention=RetentionSettings(articles=articles))


def open_app(apps: list[App], settings: Settings, clock: Clock | None = None) -> App:
    app = make_app(settings, secrets=Secrets(), clock=clock)
    apps.append(app)
    return app


def seed(store: Store, now: datetime, *ages_in_days: int) -> None:
    store.add_articles([
        make_article(f"Item {i} aged {days}", f"Body of item {i}, {days} days old. " * 4,
                     published=now - timedelta(days=days), fetched_at=now - timedelta(days=days))
        for i, days in enumerate(ages_in_days)
    ])


# --- the scheduler's job ------------------------------------------------------------------------


async def test_prune_job_is_daily_and_first_runs_soon_after_start(
    tmp_path: Path, apps: list[App]
) -> None:
    app = open_app(apps, settings_for(f"sqlite:///{tmp_path / 'bot.db'}"))
    rec = Recorder()
    started = datetime.now(UTC)
    sched = DigestScheduler(app, rec.deliver, rec.poll, poll_every=3600, prune=rec.prune,
                            prune_every=86400, prune_first=120)
    await sched.start()
    try:
        job = {j.id: j for j in sched.jobs()}[PRUNE_JOB]
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(days=1)
        wait = job.next_run_time - started
        assert timedelta(seconds=110) < wait < timedelta(seconds=130)
        assert (job.coalesce, job.max_instances) == (True, 1)
    finally:
        await sched.shutdown()

    plain = DigestScheduler(app, rec.deliver, rec.poll, poll_every=3600)
    await plain.start()
    await plain.shutdown()
    assert PRUNE_JOB not in {j.id for j in plain.jobs()}


async def test_prune_job_fires_after_the_first_delay(tmp_path: Path, apps: list[App]) -> None:
    app = open_app(apps, settings_for(f"sqlite:///{tmp_path / 'bot.db'}"))
    rec = Recorder()
    sched = DigestScheduler(app, rec.deliver, rec.poll, poll_every=3600, prune=rec.prune,
                            prune_first=0.05)
    await sched.start()
    try:
        for _ in range(60):
            if rec.prunes:
                break
            await asyncio.sleep(0.05)
    finally:
        await sched.shutdown()
    assert rec.prunes == 1  # once soon after start; the next is a day later


# --- prune_job: lease, retention off, protected windows -----------------------------------------


async def test_one_worker_prunes_per_day(store_url: str, apps: list[App]) -> None:
    clock = Clock(T0)
    a = open_app(apps, settings_for(store_url), clock)
    b = open_app(apps, settings_for(store_url), clock)
    seed(a.store, T0, 200, 150, 1)

    workers = [(a, "host-a:1"), (b, "host-b:1")]
    results = await asyncio.gather(*(prune_job(app, worker=w) for app, w in workers))

    done = [r for r in results if r is not None]
    assert len(done) == 1 and done[0].articles == 2  # one of the two pruned, the other not
    assert a.store.count_articles() == 1
    winner, loser = workers if results[0] is not None else workers[::-1]
    # Later the same day the other worker still does not prune ...
    clock.now = T0 + timedelta(hours=12)
    assert await prune_job(loser[0], worker=loser[1]) is None
    # ... a day later the first to ask does (nothing left to remove), the other not.
    clock.now = T0 + timedelta(days=1)
    assert await prune_job(loser[0], worker=loser[1]) == PruneCounts()
    assert await prune_job(winner[0], worker=winner[1]) is None


async def test_retention_off_prunes_nothing_and_takes_no_lease(
    tmp_path: Path, apps: list[App]
) -> None:
    app = open_app(apps, settings_for(f"sqlite:///{tmp_path / 'bot.db'}", None), Clock(T0))
    seed(app.store, T0, 400)
    assert await prune_job(app, worker="w:1") is None
    assert app.store.count_articles() == 1
    assert app.store.try_acquire_lease(LEASE, "other:2", T0, timedelta(minutes=1))


async def test_windows_that_can_still_be_posted_are_kept(
    store_url: str, apps: list[App]
) -> None:
    app = open_app(apps, settings_for(store_url, "30d"), Clock(T0))
    # A chat subscription whose digests look back 60 days.
    app.store.add_subscription(Subscription(
        id=None, channel_key="slack:C1", platform="slack", channel_id="C1", topic="security",
        schedule="daily 08:00", timezone="UTC", options={"window": "60d"}, source="chat",
    ))
    seed(app.store, T0, 100, 45, 10)
    counts = await prune_job(app, worker="w:1")
    assert counts is not None and counts.articles == 1
    assert sorted(a.title.split()[-1] for a in app.store.articles_in_window(
        T0 - timedelta(days=365), T0)) == ["10", "45"]


# --- a real worker ---------------------------------------------------------------------------


async def test_running_service_prunes_soon_after_start(tmp_path: Path, apps: list[App]) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'bot.db'}")
    app = open_app(apps, settings)
    seed(app.store, datetime.now(UTC), 200, 120, 0)
    service = Service(app, port=0, prune_first=0.05)
    await service.start()
    try:
        for _ in range(100):
            if app.store.count_articles() == 1:
                break
            await asyncio.sleep(0.05)
        assert app.store.count_articles() == 1
        metrics = service.metrics.render().decode()
        assert "digestbot_articles_pruned_total 2.0" in metrics
    finally:
        await service.stop()
