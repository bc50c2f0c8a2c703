"""pipeline.store_articles: articles stored already by URL or GUID are counted as duplicates
without a second classify/summarize pass, and every decision stays the store's."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.models import Article
from digests.pipeline import BATCH, SourceSpec, ingest, store_articles
from digests.settings import load_settings
from digests.store import Store
from digests.summarize import summarize
from digests.topics import TopicDefinition

NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
Topics = dict[str, TopicDefinition]
FEED = "https://feeds.example.com/world.xml"
BODY = (
    "Police in Rotterdam arrested 14 people on Friday and seized 2.5 tonnes of cocaine hidden "
    "in a shipment of bananas, prosecutors said. The arrests followed a two-year investigation "
    "into a smuggling network that moved drugs through the port. Officials said the network "
    "had links to gangs in Colombia and Ecuador."
)


@pytest.fixture(scope="module")
def topics() -> Topics:
    return dict(load_settings(None, db_url="sqlite:///unused.db").topics)


def _article(i: int, *, body: str = BODY, guid: str | None = None) -> Article:
    return Article(
        title=f"Port seizure number {i}",
        url=f"https://news.example.com/port-seizure-{i}",
        body=f"{body} Case file {i}.",
        source=FEED,
        published=NOW,
        guid=guid,
    )


def test_second_pass_only_counts_duplicates(store: Store, topics: Topics) -> None:
    batch = [_article(i, guid=f"g{i}") for i in range(5)]
    new, dups, ids = store_articles(store, batch, topics, NOW)
    assert (new, dups, len(ids)) == (5, 0, 5)
    stored = store.get_articles(ids)
    assert [a.summary for a in stored] == [summarize(a.title, a.body).summary for a in batch]
    assert store.known_articles(batch) == [True] * 5

    again = store_articles(store, batch, topics, NOW)
    assert again == (0, 5, [])
    assert store.count_articles() == 5


def test_known_by_url_or_guid_keeps_what_is_stored(store: Store, topics: Topics) -> None:
    first = _article(1, guid="guid-1")
    _, _, [first_id] = store_articles(store, [first], topics, NOW)
    same_url = replace(_article(2), url=first.url + "?utm_source=rss", body="Rewritten text.")
    same_guid = replace(_article(3, guid="guid-1"), body="Another rewrite of the story.")
    other_feed = replace(_article(4, guid="guid-1"), source="https://other.example/feed.xml")
    assert store.known_articles([same_url, same_guid, other_feed]) == [True, True, False]

    new, dups, ids = store_articles(store, [same_url, same_guid, other_feed], topics, NOW)
    assert (new, dups) == (1, 2)
    [added] = store.get_articles(ids)
    assert added.source == "https://other.example/feed.xml"
    kept = store.get_article(first_id)
    assert kept is not None
    assert (kept.body, kept.summary) == (first.body, summarize(first.title, first.body).summary)


def test_exact_repeat_under_another_url_is_a_duplicate(store: Store, topics: Topics) -> None:
    a = _article(1)
    b = replace(a, url="https://mirror.example.org/seizure")
    c = _article(2)
    new, dups, ids = store_articles(store, [a, b, c], topics, NOW)
    assert (new, dups) == (2, 1)
    assert sorted(x.url for x in store.get_articles(ids)) == sorted([a.url, c.url])


def test_ingest_of_many_batches_and_sources_stores_each_article_once(
    store: Store, topics: Topics, tmp_path: Path
) -> None:
    """A URL repeated by a later source or batch is a duplicate, every new article is stored
    once, and a second run finds only duplicates."""
    folder = tmp_path / "articles"
    folder.mkdir()
    size = BATCH + BATCH // 2  # one source, two batches
    for i in range(size):
        (folder / f"{i:04}.txt").write_text(
            f"Port seizure number {i}\n\n{BODY} Item {i} of the sweep.\n", encoding="utf-8"
        )
    items = "".join(
        f"<item><title>Port seizure number {i}</title><link>https://news.example.com/p{i}</link>"
        f"<description>{BODY} Feed item {i}.</description></item>"
        for i in range(3)
    )
    feed = f'<rss version="2.0"><channel><title>W</title>{items}</channel></rss>'
    (tmp_path / "a.xml").write_text(feed, encoding="utf-8")
    (tmp_path / "b.xml").write_text(feed, encoding="utf-8")  # the same links again
    settings = load_settings(None, db_url="sqlite:///unused.db")
    specs = [SourceSpec(str(folder)), SourceSpec(str(tmp_path / "a.xml")),
             SourceSpec(str(tmp_path / "b.xml"))]

    report = asyncio.run(ingest(specs, store, settings, now=NOW))

    assert (report.new, report.duplicates, report.failed) == (size + 3, 3, ())
    assert len(set(report.new_ids)) == size + 3 == store.count_articles()
    again = asyncio.run(ingest(specs, store, settings, now=NOW))
    assert (again.new, again.duplicates) == (0, size + 6)
