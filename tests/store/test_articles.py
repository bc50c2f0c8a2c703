"""Articles are stored once, clustered into stories, and read back with what was derived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from digests.errors import StoreError
from digests.store import Store
from tests.store.builders import ELECTION_STORY, NOW, PORT_STORY, MakeArticle, lightly_edited


def test_add_and_read_back(store: Store, new_article: MakeArticle) -> None:
    item = new_article(
        "Port strike halts container traffic",
        PORT_STORY,
        guid="port-1",
        topics={"security": 0.1, "migration": 0.0},
        evidence=("strike",),
        summary="Dock workers walked off the job.",
        key_facts=("4,000 members joined the strike",),
    )
    [outcome] = store.add_articles([item])
    assert outcome.status == "new"
    stored = store.get_article(outcome.article_id)
    assert stored is not None
    assert stored.title == "Port strike halts container traffic"
    assert stored.body == PORT_STORY
    assert stored.story_id == outcome.story_id
    assert stored.summary == "Dock workers walked off the job."
    assert stored.key_facts == ("4,000 members joined the strike",)
    assert {t.topic: t.score for t in stored.topics} == {"security": 0.1, "migration": 0.0}
    assert stored.topics[0].evidence == ("strike",)
    assert stored.published == NOW and stored.published.tzinfo is not None
    assert stored.fetched_at == NOW
    assert store.count_articles() == 1
    assert store.get_article(outcome.article_id + 1000) is None


def test_reingest_gives_zero_new(store: Store, new_article: MakeArticle) -> None:
    batch = [new_article(f"Story number {i}", f"Body of story {i}. " * 5) for i in range(30)]
    first = store.add_articles(batch)
    second = store.add_articles(batch)
    assert [o.status for o in first] == ["new"] * 30
    assert [o.status for o in second] == ["duplicate"] * 30
    assert [o.article_id for o in second] == [o.article_id for o in first]
    assert store.count_articles() == 30


def test_url_variants_are_duplicates(store: Store, new_article: MakeArticle) -> None:
    base = "https://news.example.com/world/port-strike"
    [a] = store.add_articles([new_article("Port strike", "First text.", url=base)])
    variants = [
        base + "/?utm_source=rss",
        base.upper().replace("/WORLD/PORT-STRIKE", "/world/port-strike") + "#top",
        base.replace("https://news.example.com", "https://news.example.com:443") + "?fbclid=1",
    ]
    outcomes = store.add_articles(
        [new_article(f"Other title {i}", f"Other text {i}.", url=u) for i, u in enumerate(variants)]
    )
    assert all(o.status == "duplicate" and o.article_id == a.article_id for o in outcomes)
    assert store.count_articles() == 1


def test_guid_is_per_source(store: Store, new_article: MakeArticle) -> None:
    src = "https://feeds.example.com/a.xml"
    [a] = store.add_articles([new_article("Title one", "Text one.", guid="g-1", source=src)])
    [same] = store.add_articles(
        [
            new_article(
                "Title changed", "Text changed.", guid="g-1", source=src, url="https://x.org/1"
            )
        ]
    )
    [other] = store.add_articles(
        [new_article("Title two", "Text two.", guid="g-1", source="https://b.example/b.xml")]
    )
    assert same.status == "duplicate" and same.article_id == a.article_id
    assert other.status == "new"


def test_content_hash_ignores_case_spacing_and_punctuation(
    store: Store, new_article: MakeArticle
) -> None:
    [a] = store.add_articles([new_article("Port strike", "Workers walked out, union says.")])
    [b] = store.add_articles(
        [new_article("PORT  strike!", "Workers walked out -- union says", url="https://o.org/x")]
    )
    assert b.status == "duplicate" and b.article_id == a.article_id


def test_duplicates_within_one_batch(store: Store, new_article: MakeArticle) -> None:
    one = new_article("Same story", "Same body text here.")
    again = new_article("Same story", "Same body text here.", url="https://mirror.example/x")
    outcomes = store.add_articles([one, again, one])
    assert [o.status for o in outcomes] == ["new", "duplicate", "duplicate"]
    assert len({o.article_id for o in outcomes}) == 1


def test_near_duplicate_joins_story(store: Store, new_article: MakeArticle) -> None:
    [a] = store.add_articles([new_article("Port strike halts container traffic", PORT_STORY)])
    [b] = store.add_articles(
        [
            new_article(
                "Dockers strike at northern port over pay",
                lightly_edited(PORT_STORY),
                source="https://other.example/feed",
                published=NOW + timedelta(hours=3),
            )
        ]
    )
    [c] = store.add_articles([new_article("Province votes in close election", ELECTION_STORY)])
    assert b.status == "new" and b.article_id != a.article_id
    assert b.story_id == a.story_id
    assert c.story_id != a.story_id


def test_near_duplicate_in_same_batch(store: Store, new_article: MakeArticle) -> None:
    outcomes = store.add_articles(
        [
            new_article("Port strike halts container traffic", PORT_STORY),
            new_article("Province votes", ELECTION_STORY),
            new_article(
                "Dockers strike over pay", lightly_edited(PORT_STORY), url="https://o.org/2"
            ),
        ]
    )
    assert [o.status for o in outcomes] == ["new", "new", "new"]
    assert outcomes[2].story_id == outcomes[0].story_id != outcomes[1].story_id


def test_near_duplicate_found_by_a_fresh_process(store_url: str, new_article: MakeArticle) -> None:
    with Store.open(store_url) as first:
        [a] = first.add_articles([new_article("Port strike halts traffic", PORT_STORY)])
    with Store.open(store_url) as second:
        [b] = second.add_articles(
            [
                new_article(
                    "Dockers strike over pay", lightly_edited(PORT_STORY), url="https://o.org/3"
                )
            ]
        )
    assert b.story_id == a.story_id


def test_near_duplicate_a_month_later_is_a_new_story(
    store: Store, new_article: MakeArticle
) -> None:
    [a] = store.add_articles([new_article("Port strike halts traffic", PORT_STORY)])
    [b] = store.add_articles(
        [
            new_article(
                "Dockers strike again",
                lightly_edited(PORT_STORY),
                url="https://o.org/4",
                published=NOW + timedelta(days=30),
            )
        ]
    )
    assert b.status == "new" and b.story_id != a.story_id


def test_window_and_topic_queries(store: Store, new_article: MakeArticle) -> None:
    hour = timedelta(hours=1)
    store.add_articles(
        [
            new_article(
                "Old security item", "Text a.", published=NOW - 30 * hour, topics={"security": 0.9}
            ),
            new_article(
                "Security item", "Text b.", published=NOW - 2 * hour, topics={"security": 0.8}
            ),
            new_article(
                "Weak security item", "Text c.", published=NOW - 1 * hour, topics={"security": 0.55}
            ),
            new_article(
                "Below threshold", "Text d.", published=NOW - 1.5 * hour, topics={"security": 0.3}
            ),
            new_article("Drugs item", "Text e.", published=NOW - 3 * hour, topics={"drugs": 0.7}),
            new_article("Future item", "Text f.", published=NOW + hour, topics={"security": 0.9}),
        ]
    )
    since, until = NOW - 24 * hour, NOW
    all_titles = [a.title for a in store.articles_in_window(since, until)]
    assert all_titles == ["Weak security item", "Below threshold", "Security item", "Drugs item"]
    security = store.articles_in_window(since, until, topic="security")
    assert [a.title for a in security] == ["Weak security item", "Security item"]
    assert all(a.in_topic("security") for a in security)
    strong = store.articles_in_window(since, until, topic="security", min_score=0.6)
    assert [a.title for a in strong] == ["Security item"]
    assert store.articles_in_window(since, until, topic="nonexistent") == []


def test_published_missing_uses_fetched_at(store: Store, new_article: MakeArticle) -> None:
    fetched = NOW - timedelta(minutes=5)
    [o] = store.add_articles([new_article("No date", "Text.", published=None, fetched_at=fetched)])
    stored = store.get_article(o.article_id)
    assert stored is not None and stored.published == fetched


def test_times_come_back_as_aware_utc(store: Store, new_article: MakeArticle) -> None:
    local = datetime(2026, 2, 20, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    [o] = store.add_articles([new_article("Zoned", "Text.", published=local)])
    stored = store.get_article(o.article_id)
    assert stored is not None
    assert stored.published == local
    assert stored.published.utcoffset() == timedelta(0)
    found = store.articles_in_window(
        datetime(2026, 2, 20, 12, 29, tzinfo=UTC), datetime(2026, 2, 20, 12, 31, tzinfo=UTC)
    )
    assert [a.id for a in found] == [o.article_id]


def test_naive_datetime_is_a_clear_error(store: Store, new_article: MakeArticle) -> None:
    with pytest.raises(StoreError, match="naive datetime"):
        store.add_articles([new_article("Naive", "Text.", published=datetime(2026, 1, 1))])
    with pytest.raises(StoreError, match="aware"):
        store.articles_in_window(datetime(2026, 1, 1), NOW)
    assert store.count_articles() == 0


def test_bad_batch_writes_nothing(store: Store, new_article: MakeArticle) -> None:
    good = new_article("Good", "Text.")
    bad = new_article("Bad", "Text 2.", published=datetime(2026, 1, 1))
    with pytest.raises(StoreError):
        store.add_articles([good, bad])
    assert store.count_articles() == 0


def test_unusual_text_is_stored(store: Store, new_article: MakeArticle) -> None:
    body = "Ünïcödé, emoji 🚀, CJK 東京の港でストライキ, RTL مرحبا, quotes ' \" `; DROP TABLE x;"
    [o] = store.add_articles([new_article("Тест заголовок", body, url="https://e.com/ü?q=ä")])
    stored = store.get_article(o.article_id)
    assert stored is not None and stored.body == body and stored.title == "Тест заголовок"


def test_pruned_story_index_starts_new_stories(store: Store, new_article: MakeArticle) -> None:
    [a] = store.add_articles([new_article("Port strike halts traffic", PORT_STORY)])
    assert store.prune_story_index(NOW - timedelta(days=1)) == 0
    assert store.prune_story_index(NOW + timedelta(seconds=1)) > 0
    [b] = store.add_articles(
        [new_article("Dockers strike over pay", lightly_edited(PORT_STORY), url="https://o.org/9")]
    )
    assert b.status == "new" and b.story_id != a.story_id
    assert store.get_article(a.article_id) is not None
