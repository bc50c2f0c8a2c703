"""Full-text search: ranked, filtered, and safe for any query text on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from digests.store import Store
from digests.store.db import create_engine, parse_url
from tests.store.builders import ELECTION_STORY, NOW, PORT_STORY, MakeArticle

HOSTILE = [
    "",
    "   ",
    '"',
    "'",
    '"unbalanced',
    "((strike",
    "strike)",
    "NEAR(strike port, 3)",
    "strike NEAR port",
    "port*",
    "*",
    "-strike",
    "strike AND OR NOT",
    "title:strike",
    "^strike",
    "{title body}: strike",
    "strike'; DROP TABLE articles; --",
    "\\x00 strike \x00",
    "!@#$%^&*()_+=[]{}|;:,.<>?/~`",
    "strike " * 2000,  # ~14 kB
    "x" * 10_000,
    "東京 ストライキ",
    "مرحبا بالعالم",
    "Ünïcödé café",
    "🚀🚀🚀",
    "a & b | c <-> d ! e",
    "strike:* & !port",
]


@pytest.fixture
def filled(store: Store, new_article: MakeArticle) -> Store:
    store.add_articles(
        [
            new_article(
                "Port strike halts container traffic",
                PORT_STORY,
                topics={"security": 0.2, "economy": 0.9},
                published=NOW - timedelta(hours=5),
            ),
            new_article(
                "Province votes in close election",
                ELECTION_STORY,
                topics={"politics": 0.9},
                published=NOW - timedelta(hours=3),
            ),
            new_article(
                "Election officials count the votes",
                "Counting continued overnight. A strike by drivers delayed some ballot boxes.",
                topics={"politics": 0.8},
                published=NOW - timedelta(hours=1),
            ),
            new_article(
                "東京の港でストライキ",
                "港湾労働者がストライキ を 行った。 東京 ストライキ",
                published=NOW - timedelta(hours=2),
            ),
        ]
    )
    return store


def test_hostile_queries_never_fail(filled: Store) -> None:
    for query in HOSTILE:
        hits = filled.search(query)
        assert isinstance(hits, list), query[:40]
        assert all(h.article.id > 0 and isinstance(h.score, float) for h in hits), query[:40]
    # The words inside the noise still search.
    assert filled.search("NEAR(strike port, 3)")[0].article.title.startswith("Port strike")
    assert filled.search('"unbalanced strike ((')[0].article.title.startswith("Port strike")


def test_empty_query_is_empty(filled: Store) -> None:
    assert filled.search("") == []
    assert filled.search("!!! ???") == []


def test_title_match_ranks_first(filled: Store) -> None:
    hits = filled.search("strike")
    titles = [h.article.title for h in hits]
    assert titles[0] == "Port strike halts container traffic"
    assert "Election officials count the votes" in titles
    assert "Province votes in close election" not in titles
    assert hits[0].score >= hits[-1].score


def test_stemming_and_case(filled: Store) -> None:
    hits = filled.search("STRIKES Harbour")
    assert [h.article.title for h in hits] == ["Port strike halts container traffic"]


def test_all_words_first_then_any(filled: Store) -> None:
    both = filled.search("strike ballot")
    assert [h.article.title for h in both] == ["Election officials count the votes"]
    either = filled.search("ballot mediator")  # no article has both words
    assert {h.article.title for h in either} == {
        "Election officials count the votes",
        "Port strike halts container traffic",
    }


def test_single_letters_do_not_widen_an_any_word_search(
    filled: Store, new_article: MakeArticle
) -> None:
    """Diacritics are folded, so "ü ñ" are the words "u" and "n" of every "U.N." (SQLite):
    beside a real word they are not searched alone."""
    filled.add_articles([new_article("U.N. envoy visits port", "The U.N. envoy arrived.")])
    assert filled.search("🚀🔥 ü ñ 中文") == []
    assert [h.article.title for h in filled.search("ñ ballot")] == [
        "Election officials count the votes"
    ]


def test_topic_and_since_filters(filled: Store) -> None:
    assert [h.article.title for h in filled.search("strike", topic="politics")] == [
        "Election officials count the votes"
    ]
    assert filled.search("strike", topic="security") == []  # scored, not a member
    recent = filled.search("strike", since=NOW - timedelta(hours=2))
    assert [h.article.title for h in recent] == ["Election officials count the votes"]


def test_limit(filled: Store) -> None:
    assert len(filled.search("strike", limit=1)) == 1
    assert filled.search("strike", limit=0) == []


def test_recency_breaks_ties(store: Store, new_article: MakeArticle) -> None:
    store.add_articles(
        [
            new_article(
                "Flood warning", "River levels rise fast.", published=NOW - timedelta(days=2)
            ),
            new_article(
                "Flood warning", "River levels rise slow.", url="https://b.example/x", published=NOW
            ),
        ]
    )
    hits = store.search("flood")
    assert len(hits) == 2 and hits[0].article.published == NOW


def test_snippet_marks_matches(filled: Store) -> None:
    [hit] = filled.search("mediator")
    assert "**mediator**" in hit.snippet
    assert len(hit.snippet.split()) <= 35
    [inflected] = filled.search("halts")
    assert "**halted**" in inflected.snippet
    [title_only] = filled.search("close")  # only the title has it: the title is the snippet
    assert title_only.snippet == "Province votes in **close** election"


def test_non_latin_search(filled: Store) -> None:
    hits = filled.search("東京")
    assert [h.article.title for h in hits] == ["東京の港でストライキ"]


def test_capped_ranking_keeps_newest_and_rare_word_matches(
    store: Store, store_url: str, new_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap both backends rank the newest matches plus every match of the rarer words."""
    from digests.store import search as search_module

    monkeypatch.setattr(search_module, "RANK_CAP", 20)
    monkeypatch.setattr(search_module, "MIN_RANK_CAP", 20)
    monkeypatch.setattr(search_module, "PG_RANK_CAP", 20)
    old = new_article(
        "Zanzibarite found near the harbour",
        "Geologists found zanzibarite, a rare mineral, in rocks near the old harbour wall.",
        published=NOW - timedelta(days=30),
    )
    common = [
        new_article(
            f"Harbour report number {i}",
            f"Ships number {i} and {i * 7} docked in the harbour after the morning tide "
            f"while crew {i * 13} unloaded cargo {i * 31}.",
            published=NOW - timedelta(days=29) + timedelta(hours=i),
        )
        for i in range(60)
    ]
    store.add_articles([old, *common])
    if store.dialect == "postgresql":
        # PostgreSQL tells common words by the planner's statistics, which ANALYZE gathers.
        engine = create_engine(parse_url(store_url))
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE articles"))
            estimates = search_module._pg_match_estimates(conn, ["harbour", "zanzibarite"])
        engine.dispose()
        assert estimates is not None and search_module._pick_rare(estimates, 20) == ["zanzibarite"]

    hits = store.search("harbour", limit=5)
    assert len(hits) == 5
    assert all("harbour" in (h.article.title + h.article.body).lower() for h in hits)
    # No article has all three words: the any-word fallback still finds the rare one, which
    # is older than every capped "harbour" match.
    rare = store.search("harbour zanzibarite quokkas", limit=5)
    assert rare and rare[0].article.title == "Zanzibarite found near the harbour"


def test_postgres_ranks_every_match_before_the_table_has_statistics(
    store: Store, new_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new PostgreSQL table has no statistics yet: nothing is capped away by guesswork."""
    from digests.store import search as search_module

    monkeypatch.setattr(search_module, "PG_RANK_CAP", 5)
    old = new_article(
        "Zanzibarite found near the harbour",
        "Geologists found zanzibarite in rocks near the harbour wall.",
        published=NOW - timedelta(days=30),
    )
    common = [
        new_article(
            f"Harbour note {i}",
            f"The harbour saw ship {i} dock at dawn {i * 3}.",
            published=NOW - timedelta(days=29) + timedelta(hours=i),
        )
        for i in range(12)
    ]
    store.add_articles([old, *common])
    rare = store.search("harbour zanzibarite quokkas", limit=3)
    assert rare and rare[0].article.title == "Zanzibarite found near the harbour"
