"""Shutdown between message parts: once ``stop`` is set, a delivery finishes the part in flight
and starts no other; the row stays claimed, noted as stopped, and any worker resumes it at once
from the next part -- without looking that part up (nothing was in flight), without counting the
stop as a failed attempt, and without writing an error on the row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.app import App
from bot.delivery import claim_abandoned, deliver_subscription, resolve_pending
from bot.delivery_progress import Progress
from bot.senders import Sender
from bot.senders.console import ConsoleSender
from bot.senders.registry import make_senders
from digests.store import Delivery, Store, Subscription
from tests.bot.delivery.helpers import NOW, WORDS, HistorySlackApi, add_story, long_text

ME = "host:1"


@pytest.fixture
def big_sub(store: Store) -> Subscription:
    for i in range(24):
        add_story(store, f"Cyberattack {i} on the {WORDS[i % len(WORDS)]}", summary=long_text(i))
    return store.add_subscription(Subscription(
        id=None, channel_key="desk", platform="slack", channel_id="C1", topic="security",
        schedule="daily 08:00", options={"max_stories": 24}, created_at=NOW,
    ))


@pytest.fixture
def strict_app(make_test_app: Callable[..., App]) -> App:
    """One attempt allowed: a stop counted as an attempt would make the resume give up."""
    return make_test_app(delivery={"min_interval_seconds": 0, "max_attempts": 1})


@pytest.fixture
def strict_senders(strict_app: App, slack_api: HistorySlackApi) -> dict[str, Sender]:
    return make_senders(strict_app, console=ConsoleSender())


def _row(store: Store) -> Delivery:
    [row] = store.pending_deliveries(NOW + timedelta(minutes=1))
    return row


async def _stop_during_part(
    app: App, sub: Subscription, senders: dict[str, Sender], api: HistorySlackApi, part: int,
) -> None:
    """Deliver; set ``stop`` while part ``part`` (1-based) is accepted but not answered."""
    stop = asyncio.Event()
    api.delay = 0.5
    task = asyncio.create_task(deliver_subscription(app, sub, NOW, senders, worker=ME,
                                                    stop=stop))
    await api.wait_for(lambda: len(api.posted) >= part, timeout=20)
    stop.set()
    outcome = await task
    api.delay = 0.0
    assert outcome.status == "stopped", outcome
    assert outcome.message_ids == tuple(m["ts"] for m in api.posted)


async def test_stop_finishes_the_part_in_flight_and_starts_no_other(
    strict_app: App, store: Store, big_sub: Subscription, strict_senders: dict[str, Sender],
    slack_api: HistorySlackApi, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery")
    await _stop_during_part(strict_app, big_sub, strict_senders, slack_api, part=1)
    await asyncio.sleep(0.3)
    assert len(slack_api.posted) == 1
    row = _row(store)
    progress = Progress.decode(row.message_ids)
    assert row.status == "claimed" and row.error is None
    assert progress.sent == (slack_api.posted[0]["ts"],) and progress.stops == (1,)

    # Another worker on another host (its claims are alive) takes it over at once. Without
    # history, a lookup of the next part would warn "cannot verify": none is made.
    slack_api.history = False
    [outcome] = await resolve_pending(strict_app, strict_senders, worker="other:9",
                                      starting=False)
    assert outcome.status == "delivered", outcome
    parts = len(outcome.message_ids)
    assert parts >= 3
    assert slack_api.refs() == [f"{row.id}:{i}" for i in range(parts)]  # each part once
    assert outcome.message_ids == tuple(m["ts"] for m in slack_api.posted)
    done = store.get_delivery(row.id)
    assert done is not None and done.status == "delivered" and done.error is None
    text = caplog.text
    assert (f"delivery {row.id} stopped after part 1 of {parts} for shutdown; the next start "
            "resumes it") in text
    assert f"resuming delivery {row.id} stopped for shutdown by {ME}" in text
    assert "worker died" not in text and "resolving delivery" not in text
    assert "cannot verify" not in text  # nothing was in flight: nothing looked up


async def test_a_stop_before_the_delivery_claims_nothing(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    add_story(store, "Cyberattack hits ministry")
    stop = asyncio.Event()
    stop.set()
    outcome = await deliver_subscription(app, sub, NOW, senders, worker=ME, stop=stop)
    assert outcome.status == "stopped" and outcome.delivery_id is None
    assert store.pending_deliveries(NOW + timedelta(days=1)) == []
    assert slack_api.posted == []
    later = await deliver_subscription(app, sub, NOW, senders, worker=ME)  # the next tick
    assert later.status == "delivered" and len(slack_api.posted) == 1


async def test_a_stop_after_the_last_part_is_a_delivery(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    """A one-message digest stopped during its only part: nothing left to start, delivered."""
    add_story(store, "Cyberattack hits ministry")
    slack_api.delay = 0.5
    stop = asyncio.Event()
    task = asyncio.create_task(deliver_subscription(app, sub, NOW, senders, worker=ME,
                                                    stop=stop))
    await slack_api.wait_for(lambda: len(slack_api.posted) >= 1, timeout=20)
    stop.set()
    outcome = await task
    assert outcome.status == "delivered" and len(outcome.message_ids) == 1
    assert store.pending_deliveries(NOW + timedelta(days=1)) == []


async def test_a_crash_while_resuming_a_stopped_delivery_is_still_a_crash(
    app: App, store: Store, big_sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi, caplog: pytest.LogCaptureFixture,
) -> None:
    """The stop note is about the attempt it was written in: the next holder dying mid-part
    is looked up (and waited for by other hosts) like any crash."""
    caplog.set_level(logging.INFO, logger="bot.delivery")
    await _stop_during_part(app, big_sub, senders, slack_api, part=1)
    slack_api.delay = 0.5
    task = asyncio.create_task(resolve_pending(app, senders, worker=ME))
    await slack_api.wait_for(lambda: len(slack_api.posted) >= 2, timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    slack_api.delay = 0.0
    row = _row(store)
    assert row.attempts == 2 and Progress.decode(row.message_ids).stops == (1,)
    assert not claim_abandoned(row, me="other:9", now=NOW, host="other")
    [outcome] = await resolve_pending(app, senders, worker=ME)  # a restart of that worker
    assert outcome.status == "delivered"
    parts = len(outcome.message_ids)
    assert slack_api.refs() == [f"{row.id}:{i}" for i in range(parts)]  # part 2 found
    assert f"part {row.id}:1 was already posted" in caplog.text


async def test_a_stopped_resume_stops_again_and_counts_no_attempt(
    strict_app: App, store: Store, big_sub: Subscription, strict_senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    """Stopped twice (the second time while resuming), the window still goes out whole."""
    await _stop_during_part(strict_app, big_sub, strict_senders, slack_api, part=1)
    slack_api.delay = 0.5
    stop = asyncio.Event()
    task = asyncio.create_task(resolve_pending(strict_app, strict_senders, worker="other:9",
                                               starting=False, stop=stop))
    await slack_api.wait_for(lambda: len(slack_api.posted) >= 2, timeout=20)
    stop.set()
    [second] = await task
    slack_api.delay = 0.0
    assert second.status == "stopped" and len(slack_api.posted) == 2
    row = _row(store)
    assert row.attempts == 2 and Progress.decode(row.message_ids).stops == (1, 2)
    [outcome] = await resolve_pending(strict_app, strict_senders, worker="third:3",
                                      starting=False)
    assert outcome.status == "delivered", outcome
    parts = len(outcome.message_ids)
    assert slack_api.refs() == [f"{row.id}:{i}" for i in range(parts)]


def test_progress_keeps_its_stops_through_the_row() -> None:
    progress = Progress(7, ("m1",)).stopped(1).add("m2").stopped(3)
    assert Progress.decode(progress.encode()) == progress
    assert progress.sent == ("m1", "m2") and progress.stops == (1, 3)
    assert progress.stopped_in(3) and not progress.stopped_in(2)
    assert Progress.decode(["plan:7", "stopped:x", "m1"]).sent == ("stopped:x", "m1")
