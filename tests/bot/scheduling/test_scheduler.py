"""The scheduler: pure due-slot decisions with a controlled clock, and the job wiring on a real
AsyncIOScheduler and SQLite store (only the one firing test waits, for about a second)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, make_app
from bot.scheduler import DigestScheduler, config_subscriptions, due_slots, job_id
from bot.schedules import ScheduleTrigger, parse_schedule
from digests.errors import ConfigError
from digests.settings import ChannelSettings, DeliverySettings, Secrets, Settings
from digests.store.types import Subscription
from tests.bot.scheduling.helpers import Clock, Recorder

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(hours=6)


# --- due_slots (pure) ---------------------------------------------------------------------------


def test_three_hour_gap_with_hourly_slots_coalesces_into_one() -> None:
    hourly = parse_schedule("hourly", "UTC")
    # Last delivered at 09:00; down until 12:10: 10:00, 11:00 and 12:00 were missed.
    got = due_slots(hourly, now=T0 + timedelta(minutes=10), grace=GRACE,
                    last_delivered=T0 - timedelta(hours=3))
    assert got == [T0]  # one delivery, for the latest slot


def test_missed_slot_outside_the_grace_period_is_dropped() -> None:
    daily = parse_schedule("daily 08:00", "UTC")
    assert due_slots(daily, now=T0, grace=timedelta(hours=6)) == [T0 - timedelta(hours=4)]
    assert due_slots(daily, now=T0, grace=timedelta(hours=3)) == []


def test_already_delivered_slot_is_not_due() -> None:
    hourly = parse_schedule("hourly", "UTC")
    assert due_slots(hourly, now=T0 + timedelta(minutes=5), grace=GRACE, last_delivered=T0) == []


def test_new_subscription_does_not_get_the_backlog() -> None:
    hourly = parse_schedule("hourly", "UTC")
    created = T0 + timedelta(minutes=20)
    assert due_slots(hourly, now=created, grace=GRACE, not_before=created) == []
    later = T0 + timedelta(hours=1, minutes=1)
    due = due_slots(hourly, now=later, grace=GRACE, not_before=created)
    assert due == [T0 + timedelta(hours=1)]


def test_due_slot_respects_the_subscription_time_zone_across_dst() -> None:
    berlin = parse_schedule("daily 08:00", "Europe/Berlin")
    # 31 Mar 2024 (spring forward): 08:00 CEST is 06:00 UTC.
    now = datetime(2024, 3, 31, 6, 30, tzinfo=UTC)
    assert due_slots(berlin, now=now, grace=GRACE) == [datetime(2024, 3, 31, 6, tzinfo=UTC)]


# --- config subscriptions -----------------------------------------------------------------------


def channels_settings(
    tmp_path: Path, database: str | None = None, **channels: ChannelSettings
) -> Settings:
    return Settings(
        database=database or f"sqlite:///{tmp_path / 'bot.db'}",
        timezone="Europe/Berlin",
        channels=channels,
        delivery=DeliverySettings(misfire_grace="6h"),
    )


def test_config_channel_with_schedule_gives_one_subscription_per_topic(tmp_path: Path) -> None:
    settings = channels_settings(
        tmp_path,
        desk=ChannelSettings(platform="slack", channel="C1", topics=("security", "drugs"),
                             schedule="weekdays 08:00", max_stories=5),
        plain=ChannelSettings(platform="console", topics=("migration",)),  # no schedule
    )
    subs = config_subscriptions(settings, T0)
    assert [(s.channel_key, s.topic, s.timezone, s.source) for s in subs] == [
        ("desk", "security", "Europe/Berlin", "config"),
        ("desk", "drugs", "Europe/Berlin", "config"),
    ]
    assert subs[0].options["max_stories"] == 5 and subs[0].channel_id == "C1"


def test_bad_config_schedule_is_a_config_error(tmp_path: Path) -> None:
    settings = channels_settings(
        tmp_path,
        desk=ChannelSettings(platform="console", topics=("security",), schedule="daily 8am"),
    )
    with pytest.raises(ConfigError) as info:
        config_subscriptions(settings, T0)
    assert info.value.problems == [
        "<config>: channels.desk.schedule: bad schedule 'daily 8am': time must be HH:MM "
        "(00:00-23:59)"
    ]


# --- the scheduler on a real store ----------------------------------------------------------------


def open_app(apps: list[App], settings: Settings, clock: Clock) -> App:
    app = make_app(settings, secrets=Secrets(), clock=clock)
    apps.append(app)
    return app


async def test_start_schedules_stable_jobs_and_skips_backlog_of_new_subscriptions(
    tmp_path: Path, apps: list[App]
) -> None:
    settings = channels_settings(
        tmp_path,
        desk=ChannelSettings(platform="console", topics=("security", "drugs"), schedule="hourly"),
    )
    clock = Clock(T0 + timedelta(minutes=10))
    app = open_app(apps, settings, clock)
    rec = Recorder()
    sched = DigestScheduler(app, rec.deliver, rec.poll, clock, poll_every=3600)
    delivered = await sched.start()
    try:
        assert delivered == [] and rec.calls == []  # first start: no backlog
        jobs = {job.id: job for job in sched.jobs()}
        assert set(jobs) == {"sub:desk:security", "sub:desk:drugs", "poll", "refresh"}
        job = jobs["sub:desk:security"]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
        assert isinstance(job.trigger, ScheduleTrigger) and job.trigger.schedule.text == "hourly"
        assert (job.next_run_time.minute, job.next_run_time.second) == (0, 0)  # a slot
        stored = app.store.list_subscriptions()
        assert {(s.channel_key, s.topic, s.source) for s in stored} == {
            ("desk", "security", "config"), ("desk", "drugs", "config")
        }
        await asyncio.sleep(0.05)
        assert rec.polls == 1  # the poll job runs at once on start
        assert sched.alive
    finally:
        await sched.shutdown()
    assert not sched.alive


async def test_restart_after_three_hour_gap_delivers_each_subscription_once(
    tmp_path: Path, apps: list[App], store_url: str
) -> None:
    settings = channels_settings(
        tmp_path,
        store_url,
        desk=ChannelSettings(platform="console", topics=("security", "drugs"), schedule="hourly"),
    )
    clock = Clock(T0 - timedelta(hours=3, minutes=30))  # first run at 08:30
    rec = Recorder()
    first = DigestScheduler(open_app(apps, settings, clock), rec.deliver, rec.poll, clock,
                            poll_every=3600)
    await first.start()
    await first.shutdown()

    clock.now = T0 + timedelta(minutes=10)  # back at 12:10: 09, 10, 11 and 12:00 were missed
    second = DigestScheduler(open_app(apps, settings, clock), rec.deliver, rec.poll, clock,
                             poll_every=3600)
    delivered = await second.start()
    await second.shutdown()
    assert sorted(rec.calls) == [("sub:desk:drugs", T0), ("sub:desk:security", T0)]
    assert len(delivered) == 2


async def test_restart_beyond_the_grace_period_delivers_nothing(
    tmp_path: Path, apps: list[App]
) -> None:
    settings = channels_settings(
        tmp_path,
        desk=ChannelSettings(platform="console", topics=("security",), schedule="daily 08:00"),
    )
    clock = Clock(T0 - timedelta(days=2))
    rec = Recorder()
    sched = DigestScheduler(open_app(apps, settings, clock), rec.deliver, rec.poll, clock)
    await sched.start()
    await sched.shutdown()
    clock.now = T0.replace(hour=15)  # today's 08:00 slot is 7 h old, grace is 6 h
    sched = DigestScheduler(open_app(apps, settings, clock), rec.deliver, rec.poll, clock)
    assert await sched.start() == []
    await sched.shutdown()
    assert rec.calls == []


async def test_refresh_picks_up_chat_subscriptions_and_removals(
    tmp_path: Path, apps: list[App], store_url: str
) -> None:
    settings = channels_settings(tmp_path, store_url)
    clock = Clock(T0 + timedelta(minutes=1))
    app = open_app(apps, settings, clock)
    rec = Recorder()
    sched = DigestScheduler(app, rec.deliver, rec.poll, clock, poll_every=3600)
    await sched.start()
    try:
        # Another worker stores a chat subscription made just before 12:00.
        other = make_app(settings, secrets=Secrets())
        apps.append(other)
        other.store.add_subscription(Subscription(
            id=None, channel_key="slack:C9", platform="slack", channel_id="C9",
            topic="security", schedule="hourly", timezone="UTC", source="chat",
            created_by="U1", created_at=T0 - timedelta(seconds=30),
        ))
        delivered = await sched.refresh()
        assert "sub:slack:C9:security" in {job.id for job in sched.jobs()}
        # Its 12:00 slot came after it was made and the refresh ran late: delivered once.
        assert [(job_id(s), slot) for s, slot in delivered] == [("sub:slack:C9:security", T0)]
        assert await sched.refresh() == []  # not new any more

        other.store.remove_subscription("slack:C9", "security")
        await sched.refresh()
        assert "sub:slack:C9:security" not in {job.id for job in sched.jobs()}
    finally:
        await sched.shutdown()


async def test_config_subscription_removed_from_config_leaves_the_store(
    tmp_path: Path, apps: list[App]
) -> None:
    clock = Clock(T0)
    rec = Recorder()
    with_desk = channels_settings(
        tmp_path, desk=ChannelSettings(platform="console", topics=("security",), schedule="hourly")
    )
    sched = DigestScheduler(open_app(apps, with_desk, clock), rec.deliver, rec.poll, clock)
    await sched.start()
    await sched.shutdown()
    app = open_app(apps, channels_settings(tmp_path), clock)
    sched = DigestScheduler(app, rec.deliver, rec.poll, clock)
    await sched.start()
    await sched.shutdown()
    assert app.store.list_subscriptions() == []
    assert [job.id for job in sched.jobs() if job.id.startswith("sub:")] == []


async def test_bad_chat_schedule_is_recorded_on_the_subscription(
    tmp_path: Path, apps: list[App]
) -> None:
    clock = Clock(T0)
    app = open_app(apps, channels_settings(tmp_path), clock)
    app.store.add_subscription(Subscription(
        id=None, channel_key="discord:5", platform="discord", channel_id="5", topic="drugs",
        schedule="whenever", timezone="UTC", source="chat",
    ))
    rec = Recorder()
    sched = DigestScheduler(app, rec.deliver, rec.poll, clock)
    await sched.start()
    await sched.shutdown()
    (sub,) = app.store.list_subscriptions()
    assert sub.last_error is not None and "bad schedule 'whenever'" in sub.last_error
    assert not any(job.id.startswith("sub:") for job in sched.jobs())


async def test_job_fires_on_its_slot_and_shutdown_waits_for_the_delivery(
    tmp_path: Path, apps: list[App]
) -> None:
    settings = channels_settings(
        tmp_path,
        desk=ChannelSettings(platform="console", topics=("security",), schedule="every 1s"),
    )
    # Real clock here: APScheduler fires on real time; the subscription is made "now".
    app = make_app(settings, secrets=Secrets())
    apps.append(app)
    rec = Recorder(delay=0.3)
    sched = DigestScheduler(app, rec.deliver, rec.poll, poll_every=3600)
    await sched.start()
    try:
        for _ in range(40):
            if rec.calls:
                break
            await asyncio.sleep(0.05)
    finally:
        await sched.shutdown()
    assert rec.calls, "the every-1s subscription never fired"
    jid, slot = rec.calls[0]
    assert jid == "sub:desk:security" and slot.microsecond == 0
    assert rec.finished == len(rec.calls)  # shutdown let the running delivery finish
    slots = [s for _, s in rec.calls]
    assert len(slots) == len(set(slots))  # never the same slot twice


async def test_catch_up_option_posts_one_opening_digest_keyed_by_creation_time(
    tmp_path: Path, apps: list[App]
) -> None:
    settings = channels_settings(
        tmp_path,
        desk=ChannelSettings(
            platform="console", topics=("security",), schedule="daily 08:00", catch_up=True
        ),
        quiet=ChannelSettings(platform="console", topics=("drugs",), schedule="daily 08:00"),
    )
    clock = Clock(T0 + timedelta(minutes=10))
    app = open_app(apps, settings, clock)
    rec = Recorder()
    sched = DigestScheduler(app, rec.deliver, rec.poll, clock, poll_every=3600)
    await sched.start()
    await sched.shutdown()
    created = {s.topic: s.created_at for s in app.store.list_subscriptions()}
    # Only the channel that asked for it gets the opening digest, at its creation time.
    assert rec.calls == [("sub:desk:security", created["security"])]

    # A restart asks again for the SAME slot, so the delivery ledger posts it once ever.
    clock.now += timedelta(minutes=5)
    again = Recorder()
    sched2 = DigestScheduler(app, again.deliver, again.poll, clock, poll_every=3600)
    await sched2.start()
    await sched2.shutdown()
    assert again.calls == [("sub:desk:security", created["security"])]

    # Past the grace period there is no opening digest any more.
    clock.now += GRACE + timedelta(hours=1)
    late = Recorder()
    sched3 = DigestScheduler(app, late.deliver, late.poll, clock, poll_every=3600)
    await sched3.start()
    await sched3.shutdown()
    assert all(call[0] != "sub:desk:security" or call[1] != created["security"]
               for call in late.calls)
