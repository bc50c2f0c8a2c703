"""pipeline.store_articles: articles stored already by URL or GUID are counted as duplicates
without a second classify/summarize pass, unless their source revised them; every decision
stays the store's."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digests.models import Article
from digests.pipeline import BATCH, SourceSpec, Stored, ingest, store_articles
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
    first = store_articles(store, batch, topics, NOW)
    assert (first.new, first.duplicates, first.updated, len(first.new_ids)) == (5, 0, 0, 5)
    stored = store.get_articles(list(first.new_ids))
    assert [a.summary for a in stored] == [summarize(a.title, a.body).summary for a in batch]
    known = store.known_articles(batch)
    assert [k.id if k else None for k in known] == sorted(first.new_ids)
    assert not any(k.revised_by(a) for k, a in zip(known, batch, strict=True) if k)

    again = store_articles(store, batch, topics, NOW)
    assert again == Stored(new=0, duplicates=5, updated=0, new_ids=())
    assert store.count_articles() == 5


def test_another_source_with_the_same_link_never_overwrites(store: Store, topics: Topics) -> None:
    """A teaser from another feed linking to a stored article is a duplicate: the full text
    stays. A feed's own item under a new GUID but an old link is not a revision either."""
    first = _article(1, guid="guid-1")
    [first_id] = store_articles(store, [first], topics, NOW).new_ids
    teaser = replace(first, body="Short teaser.", source="https://other.example/feed.xml")
    sibling = replace(first, body="Another item sharing the link.", guid="guid-2")
    other_item = replace(_article(4, guid="guid-1"), source="https://other.example/feed.xml")
    known = store.known_articles([teaser, sibling, other_item])
    assert [k.id if k else None for k in known] == [first_id, first_id, None]
    assert not any(k.revised_by(a) for k, a in zip(known, [teaser, sibling], strict=False) if k)

    counts = store_articles(store, [teaser, sibling, other_item], topics, NOW)
    assert (counts.new, counts.duplicates, counts.updated) == (1, 2, 0)
    [added] = store.get_articles(list(counts.new_ids))
    assert added.source == "https://other.example/feed.xml"
    kept = store.get_article(first_id)
    assert kept is not None
    assert (kept.body, kept.summary) == (first.body, summarize(first.title, first.body).summary)


def test_a_revision_from_the_same_source_is_stored_over_the_old_text(
    store: Store, topics: Topics
) -> None:
    """The feed corrected its item (same GUID, other words, a tracking parameter added to the
    link): it is counted as a duplicate and updated, its summary and topics follow the new
    text, and it keeps its id, URL, story and time."""
    first = _article(1, guid="guid-1")
    [first_id] = store_articles(store, [first], topics, NOW).new_ids
    before = store.get_article(first_id)
    assert before is not None and before.in_topic("drugs")
    corrected_body = (
        "The port authority said on Saturday that 14 dock workers were arrested over a pay "
        "protest, not a drugs case, and that no cargo was seized. An earlier version of this "
        "report was wrong. The workers were released without charge after six hours."
    )
    corrected = replace(
        first, url=first.url + "?utm_source=rss", title="Dock workers held after pay protest",
        body=corrected_body, published=datetime(2026, 3, 1, tzinfo=UTC),
    )

    counts = store_articles(store, [corrected], topics, NOW.replace(hour=18))

    assert (counts.new, counts.duplicates, counts.updated) == (0, 1, 1)
    after = store.get_article(first_id)
    assert after is not None
    assert (after.title, after.body) == (corrected.title, corrected_body)
    assert after.summary == summarize(corrected.title, corrected_body).summary
    assert not after.in_topic("drugs")
    assert (after.url, after.story_id, after.published, after.fetched_at) == (
        before.url, before.story_id, before.published, before.fetched_at
    )
    assert store.count_articles() == 1
    assert store_articles(store, [corrected], topics, NOW).updated == 0  # now a plain repeat


@pytest.mark.parametrize(
    "change",
    [
        {"body": BODY.replace(" ", "  ") + " Case file 1."},  # spacing only: same words
        {"body": BODY.replace(". ", ".\n\n") + " Case file 1!"},  # paragraphs, punctuation
        {"body": "   "},  # emptied: a glitch of the feed, not an edit
    ],
    ids=["spacing", "punctuation", "emptied"],
)
def test_what_is_not_a_revision(store: Store, topics: Topics, change: dict[str, str]) -> None:
    first = _article(1, guid="guid-1")
    [first_id] = store_articles(store, [first], topics, NOW).new_ids
    counts = store_articles(store, [replace(first, **change)], topics, NOW)
    assert (counts.new, counts.duplicates, counts.updated) == (0, 1, 0)
    kept = store.get_article(first_id)
    assert kept is not None and kept.body == first.body


def test_exact_repeat_under_another_url_is_a_duplicate(store: Store, topics: Topics) -> None:
    a = _article(1)
    b = replace(a, url="https://mirror.example.org/seizure")
    c = _article(2)
    counts = store_articles(store, [a, b, c], topics, NOW)
    assert (counts.new, counts.duplicates) == (2, 1)
    assert sorted(x.url for x in store.get_articles(list(counts.new_ids))) == sorted([a.url, c.url])


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


def test_an_article_dated_in_the_future_is_news_now(store: Store, topics: Topics) -> None:
    """A wrong time zone or a typo'd year must not keep an item out of every digest until
    that date: it is stored with the time it was first seen. Past and missing times: as
    given, and now."""
    ahead = replace(_article(1), published=NOW + timedelta(hours=5))
    typo = replace(_article(2), published=NOW.replace(year=2062))
    past = replace(_article(3), published=NOW - timedelta(days=2))
    undated = replace(_article(4), published=None)
    ids = store_articles(store, [ahead, typo, past, undated], topics, NOW).new_ids
    stored = {a.url: a.published for a in store.get_articles(list(ids))}
    assert [stored[a.url] for a in (ahead, typo, past, undated)] == [
        NOW, NOW, NOW - timedelta(days=2), NOW
    ]


def test_two_feeds_with_one_title_never_overwrite_each_other(
    store: Store, topics: Topics
) -> None:
    """Two feeds titled alike share a source name and may both number their GUIDs "1":
    an item matched by GUID alone, under another link, is not a revision of the other."""
    first = _article(1, guid="1")
    [first_id] = store_articles(store, [first], topics, NOW).new_ids
    other = replace(_article(2, guid="1"), body="Asylum claims rose in Europe last year.")
    counts = store_articles(store, [other], topics, NOW)
    assert counts.updated == 0
    kept = store.get_article(first_id)
    assert kept is not None and kept.body == first.body


def test_a_feed_falling_back_to_a_teaser_keeps_the_full_text(
    store: Store, topics: Topics
) -> None:
    first = _article(1, guid="g1")
    [first_id] = store_articles(store, [first], topics, NOW).new_ids
    teaser = replace(first, body="Police in Rotterdam arrested 14 people on Friday [...]")
    assert store_articles(store, [teaser], topics, NOW).updated == 0
    grown = replace(first, body=first.body + " A third suspect was arrested on Sunday.")
    assert store_articles(store, [grown], topics, NOW).updated == 1
    kept = store.get_article(first_id)
    assert kept is not None and kept.body == grown.body


def test_bidi_controls_and_zero_width_spaces_are_not_stored(store: Store, topics: Topics) -> None:
    """U+202E makes "gnp.exe" read "exe.png" in chat; zero-width spaces split words into
    look-alikes. They are dropped from what is stored, and the same item polled again is a
    plain duplicate, not a revision. Joiners (U+200D, emoji and scripts need them) stay."""
    spoof = replace(
        _article(1, guid="g1"),
        title="Invoice \u202egnp.exe\u202c leak",
        body="Ran\u200bsom\u2060ware hit the port.\ufeff Family: \U0001F468\u200d\U0001F469.",
        author="A\u2066li\u2069",
    )
    first = store_articles(store, [spoof], topics, NOW)
    [stored] = store.get_articles(list(first.new_ids))
    assert stored.title == "Invoice gnp.exe leak"
    assert stored.body.startswith("Ransomware hit the port. Family: \U0001F468\u200d\U0001F469")
    assert stored.author == "Ali"
    again = store_articles(store, [spoof], topics, NOW)
    assert (again.new, again.duplicates, again.updated) == (0, 1, 0)
