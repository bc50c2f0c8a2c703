"""Crash safety: a send interrupted between message parts resumes at the first unsent part.

The documented bound (docs/delivery.md): parts the ledger records as sent are never sent
again; the one part in flight at the crash is looked up on Slack (message metadata) and sent
again only when that lookup is impossible -- at most one duplicate message per crash.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.delivery import claim_abandoned, deliver_subscription, resolve_pending
from bot.senders import Sender
from digests.store import Delivery, Store, Subscription
from tests.bot.delivery.helpers import (
    NOW,
    WORDS,
    HistorySlackApi,
    add_story,
    crash_mid_part,
    long_text,
)


def _many_stories(store: Store, n: int = 24) -> None:
    for i in range(n):
        add_story(store, f"Cyberattack {i} on the {WORDS[i % len(WORDS)]}", summary=long_text(i))


async def _crash_mid_part(
    app: App, sub: Subscription, senders: dict[str, Sender], api: HistorySlackApi
) -> int:
    """Kill a delivery while part 1 is accepted by Slack but not yet answered."""
    row_id, _ = await crash_mid_part(app, sub, senders, api, lambda: len(api.posted))
    return row_id


@pytest.fixture
def big_sub(store: Store) -> Subscription:
    return store.add_subscription(Subscription(
        id=None, channel_key="desk", platform="slack", channel_id="C1", topic="security",
        schedule="daily 08:00", options={"max_stories": 24}, created_at=NOW,
    ))


async def test_resume_verifies_in_flight_part_no_duplicates(
    app: App, store: Store, big_sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    _many_stories(store)
    delivery_id = await _crash_mid_part(app, big_sub, senders, slack_api)
    [outcome] = await resolve_pending(app, senders, worker="host:1")  # same id: a restart
    assert outcome.status == "delivered"
    parts = len(outcome.message_ids)
    assert parts >= 3
    assert slack_api.refs() == [f"{delivery_id}:{i}" for i in range(parts)]  # each once
    assert outcome.message_ids == tuple(m["ts"] for m in slack_api.posted)
    assert len(outcome.story_ids) == 24


async def test_resume_without_history_duplicates_only_the_in_flight_part(
    app: App, store: Store, big_sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    _many_stories(store)
    slack_api.history = False
    delivery_id = await _crash_mid_part(app, big_sub, senders, slack_api)
    [outcome] = await resolve_pending(app, senders, worker="host:1")
    parts = len(outcome.message_ids)
    refs = slack_api.refs()
    assert refs == [f"{delivery_id}:0", f"{delivery_id}:1",
                    *(f"{delivery_id}:{i}" for i in range(1, parts))]
    assert len(refs) == parts + 1  # the documented bound: one duplicate message per crash


async def test_crash_before_anything_sent_is_retried_by_the_next_tick(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    add_story(store, "Cyberattack hits ministry")
    claim = store.claim_delivery("desk", "security@daily 08:00", "2026-03-02T08:00:00Z",
                                 worker="host:1", now=NOW, topic="security")
    assert claim is not None
    assert await resolve_pending(app, senders, worker="host:1") == []
    assert store.get_delivery(claim.id).status == "failed"  # type: ignore[union-attr]
    outcome = await deliver_subscription(app, sub, NOW, senders)
    assert outcome.status == "delivered" and outcome.delivery_id == claim.id
    assert len(slack_api.posted) == 1


async def test_live_workers_claims_are_left_alone(
    app: App, store: Store, senders: dict[str, Sender], slack_api: HistorySlackApi,
) -> None:
    claim = store.claim_delivery("desk", "security@daily 08:00", "w", worker="elsewhere:42",
                                 now=NOW, topic="security")
    assert claim is not None
    assert await resolve_pending(app, senders, worker="host:1") == []
    assert store.get_delivery(claim.id).status == "claimed"  # type: ignore[union-attr]


def _row(worker: str, age: timedelta) -> Delivery:
    return Delivery(id=1, channel_key="c", sub_key="s", window_key="w", topic="t",
                    status="claimed", worker=worker, claimed_at=NOW - age)


@pytest.mark.parametrize(
    ("worker", "age", "alive", "abandoned"),
    [
        ("me:1", timedelta(0), True, True),  # our own id from before the restart
        ("box:7", timedelta(0), False, True),  # same host, process gone
        ("box:7", timedelta(0), True, False),  # same host, still running
        ("other:7", timedelta(minutes=1), False, False),  # another host: wait for staleness
        ("other:7", timedelta(minutes=11), True, True),  # stale claim
    ],
)
def test_claim_abandoned(worker: str, age: timedelta, alive: bool, abandoned: bool) -> None:
    result = claim_abandoned(_row(worker, age), me="me:1", now=NOW, host="box",
                             alive=lambda pid: alive)
    assert result is abandoned


def test_own_claims_are_abandoned_only_at_start_or_when_stale() -> None:
    fresh, stale = _row("me:1", timedelta(seconds=5)), _row("me:1", timedelta(minutes=11))
    assert claim_abandoned(fresh, me="me:1", now=NOW, starting=True)
    assert not claim_abandoned(fresh, me="me:1", now=NOW, starting=False)
    assert claim_abandoned(stale, me="me:1", now=NOW, starting=False)


async def test_two_rescuers_of_one_crashed_delivery_send_each_part_once(
    app: App, store: Store, big_sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    """Two workers find the same crashed row at once: one hands it back and resumes it, the
    other takes nothing (the hand-back holds only for the claim both read)."""
    _many_stories(store)
    delivery_id = await _crash_mid_part(app, big_sub, senders, slack_api)
    # stale_after < 0: every claim counts as stale, so both judge the row abandoned at once.
    rescues = await asyncio.gather(*(
        resolve_pending(app, senders, worker=w, stale_after=timedelta(seconds=-1),
                        starting=False)
        for w in ("other:2", "other:3")
    ))
    outcomes = [o for found in rescues for o in found]
    assert [o.status for o in outcomes] == ["delivered"]
    parts = len(outcomes[0].message_ids)
    assert slack_api.refs() == [f"{delivery_id}:{i}" for i in range(parts)]  # each once
