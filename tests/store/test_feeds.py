"""Feed poll state and leases: each due feed goes to one worker at a time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from digests.store import FeedState, Store
from tests.store.builders import NOW

LEASE = timedelta(minutes=5)


def _feeds(store: Store, n: int) -> list[str]:
    urls = [f"https://feeds.example.com/{i:02d}.xml" for i in range(n)]
    for i, url in enumerate(urls):
        store.upsert_feed(FeedState(url=url, next_poll=NOW - timedelta(minutes=i)))
    return urls


def test_upsert_get_list(store: Store) -> None:
    state = FeedState(
        url="https://e.com/a.xml",
        title="A",
        etag='W/"abc"',
        last_modified="Thu, 19 Feb 2026 10:00:00 GMT",
        last_polled=NOW,
        next_poll=NOW + timedelta(minutes=15),
        last_status=200,
    )
    store.upsert_feed(state)
    assert store.get_feed(state.url) == state
    store.upsert_feed(FeedState(url=state.url, title="A renamed"))
    got = store.get_feed(state.url)
    assert got is not None and got.title == "A renamed" and got.etag is None
    assert [f.url for f in store.list_feeds()] == [state.url]
    assert store.get_feed("https://e.com/missing.xml") is None


def test_two_workers_get_disjoint_sets(store: Store) -> None:
    urls = _feeds(store, 10)
    store.upsert_feed(
        FeedState(url="https://later.example/x.xml", next_poll=NOW + timedelta(hours=1))
    )
    a = store.claim_due_feeds("worker-a", NOW, LEASE, limit=6)
    b = store.claim_due_feeds("worker-b", NOW, LEASE, limit=6)
    assert len(a) == 6 and len(b) == 4
    assert {f.url for f in a} | {f.url for f in b} == set(urls)
    assert not {f.url for f in a} & {f.url for f in b}
    assert all(f.lease_owner == "worker-a" and f.lease_until == NOW + LEASE for f in a)
    assert a[0].url == urls[-1]  # most overdue first
    assert store.claim_due_feeds("worker-c", NOW, LEASE) == []


def test_concurrent_claims_are_disjoint(store: Store) -> None:
    urls = _feeds(store, 40)
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def claim(worker: str) -> None:
        barrier.wait()
        got: list[str] = []
        for _ in range(10):
            got += [f.url for f in store.claim_due_feeds(worker, NOW, LEASE, limit=3)]
        results[worker] = got

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [u for got in results.values() for u in got]
    assert sorted(claimed) == sorted(urls)  # every feed once, none twice


def test_expired_lease_is_taken_over(store: Store) -> None:
    [url] = _feeds(store, 1)
    assert [f.url for f in store.claim_due_feeds("a", NOW, LEASE)] == [url]
    assert store.claim_due_feeds("b", NOW + timedelta(minutes=4), LEASE) == []
    later = NOW + timedelta(minutes=6)
    [taken] = store.claim_due_feeds("b", later, LEASE)
    assert taken.lease_owner == "b" and taken.lease_until == later + LEASE
    # The first worker comes back late: its result is not written.
    assert not store.release_feed(url, "a", next_poll=NOW + timedelta(hours=1), etag="stale")
    state = store.get_feed(url)
    assert state is not None and state.etag is None and state.lease_owner == "b"


def test_release_records_poll(store: Store) -> None:
    [url] = _feeds(store, 1)
    store.claim_due_feeds("a", NOW, LEASE)
    nxt = NOW + timedelta(minutes=30)
    assert store.release_feed(
        url, "a", next_poll=nxt, polled_at=NOW, etag='"v1"', status=200, title="T"
    )
    state = store.get_feed(url)
    assert state is not None
    assert (state.etag, state.last_status, state.title, state.next_poll) == ('"v1"', 200, "T", nxt)
    assert state.lease_owner is None and state.lease_until is None
    assert store.claim_due_feeds("b", NOW, LEASE) == []  # not due until nxt
    # Two failures count up and keep the validators; a success resets the count.
    for i in range(2):
        store.claim_due_feeds("a", nxt + timedelta(minutes=i), LEASE)
        store.release_feed(
            url, "a", next_poll=nxt + timedelta(minutes=i), error="timeout", status=503
        )
    state = store.get_feed(url)
    assert state is not None and state.error_count == 2 and state.last_error == "timeout"
    assert state.etag == '"v1"'
    store.claim_due_feeds("a", nxt + timedelta(hours=1), LEASE)
    store.release_feed(url, "a", next_poll=nxt + timedelta(hours=2), status=304)
    state = store.get_feed(url)
    assert state is not None and state.error_count == 0 and state.last_error is None


def test_upsert_keeps_a_held_lease(store: Store) -> None:
    [url] = _feeds(store, 1)
    store.claim_due_feeds("a", NOW, LEASE)
    store.upsert_feed(FeedState(url=url, title="renamed", lease_owner=None))
    state = store.get_feed(url)
    assert state is not None and state.lease_owner == "a" and state.title == "renamed"


@pytest.mark.parametrize("limit", [0, -1])
def test_non_positive_limit(store: Store, limit: int) -> None:
    _feeds(store, 2)
    assert store.claim_due_feeds("a", NOW, LEASE, limit=limit) == []
