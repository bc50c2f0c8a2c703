"""Feed poll state and leases: each due feed goes to one worker at a time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from digests.store import FeedState, Store
from tests.store.builders import NOW

LEASE = timedelta(minutes=5)
# The configured URLs: every feed ``_feeds`` creates (the tests at the end claim fewer).
ALL = [f"https://feeds.example.com/{i:02d}.xml" for i in range(50)] + [
    "https://later.example/x.xml"
]


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
    a = store.claim_due_feeds("worker-a", NOW, LEASE, limit=6, configured=ALL)
    b = store.claim_due_feeds("worker-b", NOW, LEASE, limit=6, configured=ALL)
    assert len(a) == 6 and len(b) == 4
    assert {f.url for f in a} | {f.url for f in b} == set(urls)
    assert not {f.url for f in a} & {f.url for f in b}
    assert all(f.lease_owner == "worker-a" and f.lease_until == NOW + LEASE for f in a)
    assert a[0].url == urls[-1]  # most overdue first
    assert store.claim_due_feeds("worker-c", NOW, LEASE, configured=ALL) == []


def test_concurrent_claims_are_disjoint(store: Store) -> None:
    urls = _feeds(store, 40)
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def claim(worker: str) -> None:
        barrier.wait()
        got: list[str] = []
        for _ in range(10):
            claimed = store.claim_due_feeds(worker, NOW, LEASE, limit=3, configured=ALL)
            got += [f.url for f in claimed]
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
    assert [f.url for f in store.claim_due_feeds("a", NOW, LEASE, configured=ALL)] == [url]
    assert store.claim_due_feeds("b", NOW + timedelta(minutes=4), LEASE, configured=ALL) == []
    later = NOW + timedelta(minutes=6)
    [taken] = store.claim_due_feeds("b", later, LEASE, configured=ALL)
    assert taken.lease_owner == "b" and taken.lease_until == later + LEASE
    # The first worker comes back late: its result is not written.
    assert not store.release_feed(url, "a", next_poll=NOW + timedelta(hours=1), etag="stale")
    state = store.get_feed(url)
    assert state is not None and state.etag is None and state.lease_owner == "b"


def test_release_records_poll(store: Store) -> None:
    [url] = _feeds(store, 1)
    store.claim_due_feeds("a", NOW, LEASE, configured=ALL)
    nxt = NOW + timedelta(minutes=30)
    assert store.release_feed(
        url, "a", next_poll=nxt, polled_at=NOW, etag='"v1"', status=200, title="T"
    )
    state = store.get_feed(url)
    assert state is not None
    assert (state.etag, state.last_status, state.title, state.next_poll) == ('"v1"', 200, "T", nxt)
    assert state.lease_owner is None and state.lease_until is None
    assert store.claim_due_feeds("b", NOW, LEASE, configured=ALL) == []  # not due until nxt
    # Two failures count up and keep the validators; a success resets the count.
    for i in range(2):
        store.claim_due_feeds("a", nxt + timedelta(minutes=i), LEASE, configured=ALL)
        store.release_feed(
            url, "a", next_poll=nxt + timedelta(minutes=i), error="timeout", status=503
        )
    state = store.get_feed(url)
    assert state is not None and state.error_count == 2 and state.last_error == "timeout"
    assert state.etag == '"v1"'
    store.claim_due_feeds("a", nxt + timedelta(hours=1), LEASE, configured=ALL)
    store.release_feed(url, "a", next_poll=nxt + timedelta(hours=2), status=304)
    state = store.get_feed(url)
    assert state is not None and state.error_count == 0 and state.last_error is None


def test_upsert_keeps_a_held_lease(store: Store) -> None:
    [url] = _feeds(store, 1)
    store.claim_due_feeds("a", NOW, LEASE, configured=ALL)
    store.upsert_feed(FeedState(url=url, title="renamed", lease_owner=None))
    state = store.get_feed(url)
    assert state is not None and state.lease_owner == "a" and state.title == "renamed"


@pytest.mark.parametrize("limit", [0, -1])
def test_non_positive_limit(store: Store, limit: int) -> None:
    _feeds(store, 2)
    assert store.claim_due_feeds("a", NOW, LEASE, limit=limit, configured=ALL) == []


# --- followed feeds: configured URLs and feeds added at run time --------------------------------


def test_claim_takes_configured_and_added_feeds_only(store: Store) -> None:
    configured, added, once = (
        "https://conf.example/feed.xml",
        "https://added.example/feed.xml",
        "https://once.example/feed.xml",  # a one-off ingest, or taken out of the config
    )
    for url in (configured, added, once):
        store.upsert_feed(FeedState(url=url, etag='"e"', last_status=200))
    store.add_feed(added, "Added", "slack:U1", NOW)
    claimed = store.claim_due_feeds("w", NOW, LEASE, configured=[configured])
    assert sorted(f.url for f in claimed) == [added, configured]
    # Leases expired, all three due: the row that is not followed is never claimed.
    later = NOW + LEASE * 2
    assert [f.url for f in store.claim_due_feeds("w2", later, LEASE, configured=[])] == [added]
    even_later = NOW + LEASE * 4
    again = store.claim_due_feeds("w3", even_later, LEASE, configured=[configured, once + "x"])
    assert sorted(f.url for f in again) == [added, configured]
    # The row that is not followed keeps what it had.
    kept = store.get_feed(once)
    assert kept is not None and kept.etag == '"e"' and kept.lease_owner is None


def test_claim_with_no_configured_urls_takes_added_feeds(store: Store) -> None:
    _feeds(store, 3)
    store.add_feed("https://added.example/a.xml", "", "cli", NOW)
    claimed = store.claim_due_feeds("w", NOW, LEASE, configured=())
    assert [f.url for f in claimed] == ["https://added.example/a.xml"]


def test_add_feed_is_idempotent_and_keeps_the_first_adder(store: Store) -> None:
    url = "https://added.example/feed.xml"
    first = store.add_feed(url, "Harbour news", "slack:U1", NOW)
    assert (first.added_by, first.added_at, first.title) == ("slack:U1", NOW, "Harbour news")
    assert first.added and first.next_poll is None and first.error_count == 0
    again = store.add_feed(url, "Other name", "discord:9", NOW + timedelta(hours=1))
    assert again == first  # already added: unchanged, ``added_at`` earlier than the new now


def test_add_feed_over_a_one_off_row_keeps_its_validators(store: Store) -> None:
    url = "https://once.example/feed.xml"
    store.upsert_feed(FeedState(url=url, title="Once", etag='"v1"', last_success=NOW,
                                last_status=200))
    state = store.add_feed(url, "", "cli", NOW + timedelta(minutes=1))
    assert (state.title, state.etag, state.last_success) == ("Once", '"v1"', NOW)
    assert state.added_by == "cli" and state.added_at == NOW + timedelta(minutes=1)


def test_upsert_keeps_added_by_and_added_at(store: Store) -> None:
    url = "https://added.example/feed.xml"
    store.add_feed(url, "Added", "discord:456", NOW)
    # What the poller's registration and a one-off ingest write: no added_* in the state.
    store.upsert_feed(FeedState(url=url, title="Renamed", etag='"v2"', last_status=200))
    state = store.get_feed(url)
    assert state is not None
    assert (state.added_by, state.added_at) == ("discord:456", NOW)
    assert (state.title, state.etag) == ("Renamed", '"v2"')
    # An upsert that names someone else does not take the feed over either.
    store.upsert_feed(FeedState(url=url, added_by="slack:U9", added_at=NOW + LEASE))
    state = store.get_feed(url)
    assert state is not None and (state.added_by, state.added_at) == ("discord:456", NOW)
    # A new row takes them from the state.
    store.upsert_feed(FeedState(url="https://new.example/f", added_by="cli", added_at=NOW))
    new = store.get_feed("https://new.example/f")
    assert new is not None and new.added_by == "cli"


def test_remove_feed_stops_polling_and_keeps_the_row(store: Store) -> None:
    url = "https://added.example/feed.xml"
    store.add_feed(url, "Added", "slack:U1", NOW)
    [claimed] = store.claim_due_feeds("w", NOW, LEASE, configured=())
    store.release_feed(url, "w", next_poll=NOW, polled_at=NOW, etag='"v1"', status=200)
    assert store.remove_feed(url) is True
    assert store.remove_feed(url) is False  # not added any more
    assert store.remove_feed("https://never.example/feed.xml") is False
    state = store.get_feed(url)
    assert state is not None and not state.added and state.added_by is None
    assert state.etag == '"v1"' and state.last_success == NOW
    assert store.claim_due_feeds("w", NOW + timedelta(hours=1), LEASE, configured=()) == []
    # A configured URL is claimed whether or not it was ever added.
    [again] = store.claim_due_feeds("w", NOW + timedelta(hours=1), LEASE, configured=[url])
    assert again.url == claimed.url


def test_claim_with_many_configured_urls(store: Store) -> None:
    """A big OPML file: thousands of configured URLs in one claim."""
    configured = [f"https://feeds.example.org/{i}.xml" for i in range(5000)]
    store.upsert_feed(FeedState(url=configured[4321]))
    store.upsert_feed(FeedState(url="https://other.example/x.xml"))
    claimed = store.claim_due_feeds("w", NOW, LEASE, configured=configured)
    assert [f.url for f in claimed] == [configured[4321]]


def test_add_feed_keeps_the_page_it_was_found_on_until_removed(store: Store) -> None:
    """``found_on`` is written by ``add_feed`` (a new row, or a row not added yet), kept by
    an upsert and by adding again, and cleared by ``remove_feed`` with ``added_at``."""
    url, page = "https://site.example/feed.xml", "https://site.example/"
    added = store.add_feed(url, "Site", "cli", NOW, found_on=page)
    assert added.found_on == page and store.get_feed(url) == added
    assert store.add_feed(url, "", "slack:U1", NOW + LEASE, found_on=None).found_on == page
    store.upsert_feed(FeedState(url=url, title="Site", etag='"v2"'))
    assert [f.found_on for f in store.list_feeds()] == [page]
    assert store.remove_feed(url)
    state = store.get_feed(url)
    assert state is not None and state.found_on is None
    again = store.add_feed(url, "", "cli", NOW + LEASE, found_on="https://site.example/news")
    assert (again.found_on, again.etag) == ("https://site.example/news", '"v2"')
    direct = store.add_feed("https://direct.example/f", "", "cli", NOW)
    assert direct.found_on is None
