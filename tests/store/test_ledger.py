"""The delivery ledger: one post per (channel, subscription, window), even under races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from digests.errors import StoreError
from digests.store import Store
from tests.store.builders import NOW


def test_second_claim_loses(store: Store) -> None:
    first = store.claim_delivery("desk", "security", "2026-02-20", worker="a", now=NOW)
    second = store.claim_delivery("desk", "security", "2026-02-20", worker="b", now=NOW)
    assert first is not None and first.status == "claimed" and first.worker == "a"
    assert first.topic == "security" and first.attempts == 1
    assert second is None
    # Other windows, channels and subscriptions are separate.
    assert store.claim_delivery("desk", "security", "2026-02-21", worker="b", now=NOW)
    assert store.claim_delivery("other", "security", "2026-02-20", worker="b", now=NOW)
    assert store.claim_delivery("desk", "drugs", "2026-02-20", worker="b", now=NOW)


def test_delivered_is_final_and_stories_recorded(store: Store) -> None:
    d = store.claim_delivery("desk", "sub-7", "w1", worker="a", now=NOW, topic="security")
    assert d is not None
    store.mark_delivered(d.id, ["1700000000.000100", "1700000000.000200"], [11, 12, 12], NOW)
    got = store.get_delivery(d.id)
    assert got is not None and got.status == "delivered" and got.delivered_at == NOW
    assert got.message_ids == ("1700000000.000100", "1700000000.000200")
    assert store.delivered_story_ids("desk", "security") == {11, 12}
    assert store.delivered_story_ids("desk", "drugs") == set()
    assert store.delivered_story_ids("other", "security") == set()
    store.mark_failed(d.id, "late error", permanent=False, now=NOW)  # must not undo delivered
    assert store.claim_delivery("desk", "sub-7", "w1", worker="b", now=NOW) is None
    d2 = store.claim_delivery("desk", "sub-7", "w2", worker="a", now=NOW, topic="security")
    assert d2 is not None
    store.mark_delivered(d2.id, ["m3"], [12, 13], NOW)
    assert store.delivered_story_ids("desk", "security") == {11, 12, 13}


def test_failed_claim_can_be_taken_over_once(store: Store) -> None:
    d = store.claim_delivery("desk", "security", "w", worker="a", now=NOW)
    assert d is not None
    store.mark_failed(d.id, "HTTP 503", permanent=False, now=NOW)
    failed = store.get_delivery(d.id)
    assert failed is not None and failed.status == "failed" and failed.error == "HTTP 503"
    retry = store.claim_delivery(
        "desk", "security", "w", worker="b", now=NOW + timedelta(minutes=1)
    )
    assert retry is not None and retry.id == d.id and retry.worker == "b" and retry.attempts == 2
    assert store.claim_delivery("desk", "security", "w", worker="c", now=NOW) is None


def test_permanent_failure_is_never_retried(store: Store) -> None:
    d = store.claim_delivery("desk", "security", "w", worker="a", now=NOW)
    assert d is not None
    store.mark_failed(d.id, "channel_not_found", permanent=True, now=NOW)
    dead = store.get_delivery(d.id)
    assert dead is not None and dead.status == "dead"
    assert store.claim_delivery("desk", "security", "w", worker="b", now=NOW) is None


def test_pending_lists_stale_claims(store: Store) -> None:
    old = store.claim_delivery("desk", "security", "w1", worker="a", now=NOW - timedelta(hours=1))
    store.claim_delivery("desk", "security", "w2", worker="a", now=NOW)
    done = store.claim_delivery("desk", "security", "w3", worker="a", now=NOW - timedelta(hours=2))
    assert old is not None and done is not None
    store.mark_delivered(done.id, ["m"], [], NOW)
    pending = store.pending_deliveries(NOW - timedelta(minutes=10))
    assert [p.id for p in pending] == [old.id]


def test_mark_unknown_delivery(store: Store) -> None:
    with pytest.raises(StoreError, match="no delivery"):
        store.mark_delivered(999, ["m"], [1], NOW)


def test_concurrent_claims_one_winner(store: Store) -> None:
    """Eight threads (separate pooled connections) race for each of five windows."""
    winners: list[tuple[str, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def race(worker: str) -> None:
        barrier.wait()
        for window in range(5):
            got = store.claim_delivery("desk", "security", f"w{window}", worker=worker, now=NOW)
            if got is not None:
                with lock:
                    winners.append((got.window_key, worker))

    threads = [threading.Thread(target=race, args=(f"t{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(w for w, _ in winners) == [f"w{i}" for i in range(5)]


def test_concurrent_retakes_one_winner(store: Store) -> None:
    d = store.claim_delivery("desk", "security", "w", worker="a", now=NOW)
    assert d is not None
    store.mark_failed(d.id, "timeout", permanent=False, now=NOW)
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def race(worker: str) -> None:
        barrier.wait()
        results.append(
            store.claim_delivery("desk", "security", "w", worker=worker, now=NOW) is not None
        )

    threads = [threading.Thread(target=race, args=(f"t{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


def test_progress_is_recorded_only_by_the_claim_holder(store: Store) -> None:
    d = store.claim_delivery("desk", "security", "w-progress", worker="a", now=NOW)
    assert d is not None
    assert store.record_delivery_progress(d.id, ["plan:7", "1700000000.000100"], worker="a")
    got = store.get_delivery(d.id)
    assert got is not None and got.message_ids == ("plan:7", "1700000000.000100")
    # Another worker cannot overwrite it, and nothing changes once the row is delivered.
    assert not store.record_delivery_progress(d.id, ["plan:9"], worker="b")
    store.mark_delivered(d.id, ["1700000000.000100", "1700000000.000200"], [1], NOW)
    assert not store.record_delivery_progress(d.id, ["plan:7"], worker="a")
    final = store.get_delivery(d.id)
    assert final is not None and final.message_ids == ("1700000000.000100", "1700000000.000200")


def test_an_abandoned_claim_is_handed_back_once(store: Store) -> None:
    """Two workers that both judged a claim abandoned: only the first hand-back holds, and
    one made from a stale read never undoes the claim another worker took since."""
    d = store.claim_delivery("desk", "security", "w", worker="dead:1", now=NOW)
    assert d is not None and d.attempts == 1
    assert store.release_claim(d.id, "worker died mid-send", worker="dead:1", attempts=1)
    assert not store.release_claim(d.id, "worker died mid-send", worker="dead:1", attempts=1)
    rescued = store.claim_delivery("desk", "security", "w", worker="b", now=NOW)
    assert rescued is not None and rescued.worker == "b" and rescued.attempts == 2
    # The second rescuer, acting on what it read before: nothing changes.
    assert not store.release_claim(d.id, "worker died mid-send", worker="dead:1", attempts=1)
    row = store.get_delivery(d.id)
    assert row is not None and row.status == "claimed" and row.worker == "b"
    assert store.claim_delivery("desk", "security", "w", worker="c", now=NOW) is None


def test_a_stopped_claim_is_handed_back_without_an_error(store: Store) -> None:
    """A worker stopped for shutdown failed nothing: its row is handed back with no error."""
    d = store.claim_delivery("desk", "security", "w", worker="a", now=NOW)
    assert d is not None
    assert store.release_claim(d.id, None, worker="a", attempts=1)
    row = store.get_delivery(d.id)
    assert row is not None and row.status == "failed" and row.error is None
