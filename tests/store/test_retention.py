"""Pruning old articles: what goes with them, what stays, batches, re-runs, the ledger.

Every test runs on SQLite and PostgreSQL. The tables are checked with plain SQL next to the
store's own reads, so "gone" means gone from the index tables too, not only hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from digests.store import NewArticle, Store
from digests.store.db import create_engine, parse_url
from digests.store.retention import PruneCounts
from tests.store.builders import (
    ELECTION_STORY,
    NOW,
    PORT_STORY,
    MakeArticle,
    lightly_edited,
)

CUTOFF = NOW - timedelta(days=90)
OLD = NOW - timedelta(days=200)
INDEX_BEFORE = NOW - timedelta(days=14)


@pytest.fixture
def sql(store_url: str) -> Iterator[sa.Engine]:
    """A second connection to the same database, for checks below the store's API."""
    engine = create_engine(parse_url(store_url))
    yield engine
    engine.dispose()


def rows(engine: sa.Engine, query: str, **params: object) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query), params)]


def fts_ids(engine: sa.Engine, word: str) -> set[int]:
    """Article ids the full-text index itself still holds for ``word``."""
    if engine.dialect.name == "sqlite":
        query = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :w"
    else:
        query = "SELECT id FROM articles WHERE search_vector @@ plainto_tsquery('english', :w)"
    return {int(r[0]) for r in rows(engine, query, w=word)}


def old_and_new(new_article: MakeArticle) -> list[NewArticle]:
    """Five old zebra articles (one of them about the port strike) and three recent ones."""
    old = [
        new_article(f"Zebra crossing report {i}", f"Zebra sightings in district {i}. " * 6,
                    published=OLD + timedelta(hours=i), fetched_at=OLD + timedelta(hours=i),
                    topics={"security": 0.9, "drugs": 0.1}, evidence=("zebra",))
        for i in range(4)
    ]
    old.append(new_article("Port strike halts zebra cargo", PORT_STORY, published=OLD,
                           fetched_at=OLD, topics={"security": 0.8}))
    new = [
        new_article(f"Election day {i}", ELECTION_STORY + f" Report {i}.",
                    url=f"https://news.example.com/e{i}", topics={"security": 0.6})
        for i in range(3)
    ]
    return old + new


def test_prune_removes_old_articles_everywhere_and_keeps_new_ones(
    store: Store, sql: sa.Engine, new_article: MakeArticle
) -> None:
    outcomes = store.add_articles(old_and_new(new_article))
    old_ids = {o.article_id for o in outcomes[:5]}
    new_ids = {o.article_id for o in outcomes[5:]}
    assert fts_ids(sql, "zebra") == old_ids
    assert [h.article.id for h in store.search("zebra")] != []
    ids = ",".join(str(i) for i in old_ids)
    old_bands = len(rows(sql, f"SELECT * FROM article_bands WHERE article_id IN ({ids})"))
    assert old_bands > 0  # the long port story has near-duplicate bands

    counts = store.prune(CUTOFF)

    assert (counts.articles, counts.topics, counts.bands) == (5, 9, old_bands)
    assert store.count_articles() == 3
    assert all(store.get_article(i) is None for i in old_ids)
    assert {a.id for a in store.get_articles(sorted(new_ids))} == new_ids
    assert store.search("zebra") == [] and fts_ids(sql, "zebra") == set()
    assert [h.article.id for h in store.search("election")] != []
    assert rows(sql, f"SELECT * FROM article_topics WHERE article_id IN ({ids})") == []
    assert rows(sql, f"SELECT * FROM article_bands WHERE article_id IN ({ids})") == []
    # The old stories had no other article: gone. Every story left has an article.
    old_stories = {o.story_id for o in outcomes[:5]}
    assert counts.stories == len(old_stories) == 5
    story_ids = {int(r[0]) for r in rows(sql, "SELECT id FROM stories")}
    assert not story_ids & old_stories
    assert rows(sql, "SELECT id FROM stories s WHERE NOT EXISTS "
                     "(SELECT 1 FROM articles a WHERE a.story_id = s.id)") == []
    # Window and topic reads see only what is left.
    window = store.articles_in_window(OLD - timedelta(days=1), NOW + timedelta(days=1),
                                      topic="security")
    assert {a.id for a in window} == new_ids


def test_a_story_with_old_and_new_articles_keeps_the_new_one_and_its_marks(
    store: Store, sql: sa.Engine, new_article: MakeArticle
) -> None:
    first_seen = NOW - timedelta(days=95)
    [old] = store.add_articles([new_article(
        "Port strike halts traffic", PORT_STORY, published=first_seen, fetched_at=first_seen,
        topics={"security": 0.9},
    )])
    # The same story, run again later by another outlet (within the 7-day story window).
    late = first_seen + timedelta(days=6)
    [again] = store.add_articles([new_article(
        "Port strike enters second week", lightly_edited(PORT_STORY),
        url="https://other.example/port", published=late, fetched_at=NOW,
        topics={"security": 0.9},
    )])
    assert again.status == "new" and again.story_id == old.story_id
    created = rows(sql, "SELECT created_at FROM stories WHERE id = :i", i=old.story_id)
    d = store.claim_delivery("desk", "security@daily 08:00", "w1", worker="a",
                             now=first_seen, topic="security")
    assert d is not None
    store.mark_delivered(d.id, ["m1"], [old.story_id], first_seen)

    counts = store.prune(CUTOFF)

    assert (counts.articles, counts.stories, counts.delivered_stories) == (1, 0, 0)
    assert store.get_article(old.article_id) is None
    kept = store.get_article(again.article_id)
    assert kept is not None and kept.story_id == old.story_id
    # The story keeps its id and first-seen time, and stays delivered to the channel:
    # the article left in it is not posted again as news.
    assert rows(sql, "SELECT created_at FROM stories WHERE id = :i", i=old.story_id) == created
    assert store.delivered_story_ids("desk", "security") == {old.story_id}
    delivery = store.get_delivery(d.id)
    assert delivery is not None and delivery.status == "delivered"
    assert counts.deliveries == 0


def test_old_items_stored_recently_are_kept(store: Store, new_article: MakeArticle) -> None:
    # A feed (or a folder of old files) still offering old items: pruning them would only
    # make the next poll store them again.
    [o] = store.add_articles([new_article("Archive piece from last year", "Old news. " * 5,
                                          published=OLD, fetched_at=NOW - timedelta(days=3))])
    assert store.count_prunable(CUTOFF) == PruneCounts()
    assert store.prune(CUTOFF) == PruneCounts()
    assert store.get_article(o.article_id) is not None


def test_dry_run_counts_equal_what_prune_removes_and_a_rerun_removes_nothing(
    store: Store, new_article: MakeArticle
) -> None:
    outcomes = store.add_articles(old_and_new(new_article))
    [mixed_old] = store.add_articles([new_article(
        "Port strike, day two", lightly_edited(PORT_STORY), url="https://other.example/p2",
        published=OLD + timedelta(days=2), fetched_at=NOW - timedelta(days=1),
    )])
    assert mixed_old.story_id == outcomes[4].story_id  # keeps that story alive
    gone_story, kept_story = outcomes[0].story_id, outcomes[4].story_id
    old_time = OLD + timedelta(days=1)
    done = store.claim_delivery("desk", "s@hourly", "w-old", worker="a", now=old_time,
                                topic="security")
    mixed = store.claim_delivery("desk2", "s@hourly", "w-mixed", worker="a", now=old_time,
                                 topic="security")
    empty = store.claim_delivery("desk", "s@hourly", "w-empty", worker="a", now=old_time)
    assert done is not None and mixed is not None and empty is not None
    store.mark_delivered(done.id, ["m1"], [gone_story], old_time)
    store.mark_delivered(mixed.id, ["m2"], [gone_story, kept_story], old_time)
    store.mark_delivered(empty.id, [], [], old_time)

    dry = store.count_prunable(CUTOFF, index_before=INDEX_BEFORE)
    real = store.prune(CUTOFF, index_before=INDEX_BEFORE)

    assert real == dry
    assert (real.articles, real.stories, real.delivered_stories) == (5, 4, 2)
    # "done" and "empty" recorded nothing still stored; "mixed" still marks the kept story.
    assert real.deliveries == 2
    assert store.get_delivery(done.id) is None and store.get_delivery(empty.id) is None
    assert store.get_delivery(mixed.id) is not None
    assert store.delivered_story_ids("desk", "security") == set()
    assert store.delivered_story_ids("desk2", "security") == {kept_story}
    assert store.count_prunable(CUTOFF, index_before=INDEX_BEFORE) == PruneCounts()
    assert store.prune(CUTOFF, index_before=INDEX_BEFORE) == PruneCounts()


def test_small_batches_can_stop_and_resume_with_the_same_result(
    store: Store, sql: sa.Engine, new_article: MakeArticle
) -> None:
    items = [
        new_article(f"Old item {i}", f"Old body number {i} about harbours. " * 4,
                    published=OLD + timedelta(minutes=i % 3), fetched_at=OLD)
        for i in range(7)
    ]
    store.add_articles([*items, new_article("Fresh item", "Fresh body. " * 4)])
    expected = store.count_prunable(CUTOFF)
    assert expected.articles == 7

    batches: list[PruneCounts] = []
    first = store.prune(CUTOFF, batch_size=2, on_batch=batches.append,
                        keep_going=lambda: False)
    assert first.articles == 2 and batches == [first]
    # Stopped between batches: consistent, nothing half-deleted.
    assert store.count_articles() == 6
    assert rows(sql, "SELECT id FROM stories s WHERE NOT EXISTS "
                     "(SELECT 1 FROM articles a WHERE a.story_id = s.id)") == []

    batches.clear()
    rest = store.prune(CUTOFF, batch_size=2, on_batch=batches.append)
    assert [b.articles for b in batches] == [2, 2, 1]  # bounded: never more than asked
    assert first + rest == expected
    assert store.count_articles() == 1


def test_claimed_deliveries_are_never_pruned(store: Store) -> None:
    old_time = OLD
    claimed = store.claim_delivery("desk", "s@hourly", "w1", worker="dead:1", now=old_time)
    failed = store.claim_delivery("desk", "s@hourly", "w2", worker="a", now=old_time)
    recent = store.claim_delivery("desk", "s@hourly", "w3", worker="a", now=NOW)
    assert claimed is not None and failed is not None and recent is not None
    store.mark_failed(failed.id, "HTTP 503", permanent=False, now=old_time)
    store.mark_delivered(recent.id, [], [], NOW)

    counts = store.prune(CUTOFF)

    assert counts == PruneCounts(deliveries=1)
    assert store.get_delivery(failed.id) is None  # long past any retry
    assert store.get_delivery(claimed.id) is not None  # in progress as far as we know
    assert store.get_delivery(recent.id) is not None
    assert [d.id for d in store.pending_deliveries(NOW)] == [claimed.id]


def test_band_index_forgets_old_articles_but_keeps_them(
    store: Store, sql: sa.Engine, new_article: MakeArticle
) -> None:
    three_weeks = NOW - timedelta(days=21)
    [kept] = store.add_articles([new_article("Port strike", PORT_STORY, published=three_weeks,
                                             fetched_at=three_weeks)])
    [recent] = store.add_articles([new_article("Election", ELECTION_STORY)])
    bands = {int(r[0]): int(r[1]) for r in rows(
        sql, "SELECT article_id, count(*) FROM article_bands GROUP BY article_id")}
    assert bands[kept.article_id] > 0 and bands[recent.article_id] > 0

    counts = store.prune(CUTOFF, index_before=INDEX_BEFORE, batch_size=1)

    assert counts == PruneCounts(bands=bands[kept.article_id])
    assert store.get_article(kept.article_id) is not None
    assert [h.article.id for h in store.search("dock workers")] == [kept.article_id]
    left = {int(r[0]) for r in rows(sql, "SELECT article_id FROM article_bands")}
    assert left == {recent.article_id}


def test_band_trim_steps_past_many_articles_with_one_time(
    store: Store, sql: sa.Engine, new_article: MakeArticle
) -> None:
    # A folder of files with one modification time: more articles share a time than a step
    # takes; the step still moves on.
    when = NOW - timedelta(days=30)
    bodies = [PORT_STORY.replace("northern", f"northern{i}").replace("Monday", f"day{i}")
              for i in range(3)]
    store.add_articles([new_article(f"Port {i}", body, url=f"https://p.example/{i}",
                                    published=when, fetched_at=when)
                        for i, body in enumerate(bodies)])
    store.add_articles([new_article("Election", ELECTION_STORY)])
    before = int(rows(sql, "SELECT count(*) FROM article_bands")[0][0])
    counts = store.prune(CUTOFF, index_before=INDEX_BEFORE, batch_size=1)
    after = int(rows(sql, "SELECT count(*) FROM article_bands")[0][0])
    assert counts.bands == before - after > 0 and counts.articles == 0
    assert store.count_articles() == 4


def test_a_pruned_story_is_no_longer_marked_delivered(
    store: Store, new_article: MakeArticle
) -> None:
    [old] = store.add_articles([new_article("Old report", "Old body text. " * 5,
                                            published=OLD, fetched_at=OLD)])
    d = store.claim_delivery("desk", "s@daily 08:00", "w", worker="a", now=OLD,
                             topic="security")
    assert d is not None
    store.mark_delivered(d.id, ["m"], [old.story_id], OLD)

    counts = store.prune(CUTOFF)

    assert (counts.stories, counts.delivered_stories, counts.deliveries) == (1, 1, 1)
    # SQLite hands out ids above the current maximum: with everything pruned, the next story
    # may get the old id. It must not count as already delivered to the channel.
    [new] = store.add_articles([new_article("New report", "New body text. " * 5)])
    assert new.story_id not in store.delivered_story_ids("desk", "security")
    assert store.delivered_story_ids("desk", "security") == set()
