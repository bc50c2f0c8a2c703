"""Subscriptions, the digest archive, per-day story counts and leader leases."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from digests.store import Store, Subscription
from tests.store.builders import ELECTION_STORY, NOW, PORT_STORY, MakeArticle, lightly_edited


def _sub(topic: str = "security", schedule: str = "weekdays 08:00", **kw: object) -> Subscription:
    return Subscription(None, "security-desk", "slack", "C0123456", topic, schedule, **kw)  # type: ignore[arg-type]


def test_subscription_upsert(store: Store) -> None:
    added = store.add_subscription(_sub(options={"max_items": 5}, source="chat", created_by="U1"))
    assert added.id is not None and added.created_at is not None
    assert added.options == {"max_items": 5} and added.source == "chat"
    store.record_subscription_error(added.id, "channel_not_found")
    assert store.list_subscriptions()[0].last_error == "channel_not_found"
    again = store.add_subscription(_sub(schedule="daily 18:00", timezone="Europe/Berlin"))
    assert again.id == added.id and again.created_at == added.created_at
    assert (again.schedule, again.timezone, again.options) == ("daily 18:00", "Europe/Berlin", {})
    assert again.created_by == "U1" and again.last_error is None
    store.add_subscription(_sub(topic="drugs"))
    store.add_subscription(
        Subscription(None, "beat", "discord", "123", "migration", "hourly", source="config")
    )
    assert [s.topic for s in store.list_subscriptions("security-desk")] == ["drugs", "security"]
    assert len(store.list_subscriptions()) == 3
    assert store.remove_subscription("security-desk", "drugs")
    assert not store.remove_subscription("security-desk", "drugs")
    assert [s.topic for s in store.list_subscriptions("security-desk")] == ["security"]


def test_digest_archive(store: Store) -> None:
    payload = {"topic": "security", "items": [{"title": "Ünïcode ✓", "sources": []}]}
    ids = [
        store.save_digest(
            "security" if i % 2 == 0 else "drugs",
            NOW - timedelta(days=1),
            NOW,
            {**payload, "n": i},
            channel_key="desk" if i else None,
            now=NOW + timedelta(minutes=i),
        )
        for i in range(5)
    ]
    got = store.get_digest(ids[0])
    assert got is not None and got.payload == {**payload, "n": 0} and got.channel_key is None
    assert got.since == NOW - timedelta(days=1) and got.created_at == NOW
    assert [d.id for d in store.list_digests()] == ids[::-1]
    assert [d.id for d in store.list_digests("security")] == [ids[4], ids[2], ids[0]]
    assert [d.id for d in store.list_digests(offset=1, limit=2)] == [ids[3], ids[2]]
    assert store.get_digest(ids[-1] + 100) is None


def test_story_counts_per_day(store: Store, new_article: MakeArticle) -> None:
    day1 = NOW - timedelta(days=1)
    store.add_articles(
        [
            new_article("Port strike", PORT_STORY, published=day1, topics={"security": 0.9}),
            # Same story next day (near-duplicate): counted once, on its first day.
            new_article(
                "Dockers strike",
                lightly_edited(PORT_STORY),
                url="https://o.org/1",
                published=NOW,
                topics={"security": 0.8},
            ),
            new_article("Election", ELECTION_STORY, published=NOW, topics={"security": 0.6}),
            new_article("Weak", "Short text.", published=NOW, topics={"security": 0.1}),
            new_article("Drugs", "Other text.", published=NOW, topics={"drugs": 0.9}),
        ]
    )
    counts = store.story_counts_per_day(NOW - timedelta(days=3), NOW + timedelta(hours=1))
    assert counts == {
        "security": {date(2026, 2, 19): 1, date(2026, 2, 20): 1},
        "drugs": {date(2026, 2, 20): 1},
    }


def test_leader_lease(store: Store) -> None:
    ttl = timedelta(seconds=30)
    assert store.try_acquire_lease("discord-gateway", "a", NOW, ttl)
    assert not store.try_acquire_lease("discord-gateway", "b", NOW + timedelta(seconds=10), ttl)
    assert store.try_acquire_lease(
        "discord-gateway", "a", NOW + timedelta(seconds=20), ttl
    )  # renew
    assert not store.try_acquire_lease("discord-gateway", "b", NOW + timedelta(seconds=45), ttl)
    assert store.try_acquire_lease("discord-gateway", "b", NOW + timedelta(seconds=51), ttl)
    assert store.try_acquire_lease("slack-socket", "a", NOW, ttl)  # names are independent
    assert store.release_lease("discord-gateway", "b")
    assert store.try_acquire_lease("discord-gateway", "c", NOW + timedelta(seconds=52), ttl)


def test_concurrent_lease_one_holder(store: Store) -> None:
    results: dict[str, bool] = {}
    barrier = threading.Barrier(6)

    def race(holder: str) -> None:
        barrier.wait()
        results[holder] = store.try_acquire_lease("gateway", holder, NOW, timedelta(seconds=30))

    threads = [threading.Thread(target=race, args=(f"h{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert list(results.values()).count(True) == 1
