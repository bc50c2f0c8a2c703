"""Full-text search: ranked, filtered, and safe for any query text on both backends."""

from __future__ import annotations

import re
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
    assert [h.article.title for h in hits][:1] == ["Port strike halts container traffic"]
    assert [h.score >= 2 for h in hits] == [True, False]  # both words, then "strike" alone


def test_all_words_first_then_most(filled: Store) -> None:
    both = filled.search("strike ballot")
    assert [h.article.title for h in both] == [
        "Election officials count the votes",  # both words
        "Port strike halts container traffic",  # "strike" only
    ]
    assert both[0].score > both[1].score
    either = filled.search("ballot mediator")  # no article has both words
    assert {h.article.title for h in either} == {
        "Election officials count the votes",
        "Port strike halts container traffic",
    }
    assert len(filled.search("strike ballot", limit=1)) == 1


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


# --- wording: stop words, word sets, the same on both backends --------------------------------


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("what is the news about cocaine", ["news", "cocaine"]),
        ("cocaine OR heroin", ["cocaine", "heroin"]),
        ("Cocaine, or heroin?", ["cocaine", "heroin"]),
        ("Trump\u2019s tariffs", ["trump", "tariffs"]),  # the possessive's "s" is a letter
        ("who won the vote", ["won", "vote"]),  # "won" is a word; "won't" is a stop word
        ("the", ["the"]),  # stop words alone are still searched
        ("What is it?", ["what", "is", "it"]),
        ("won't", ["won", "t"]),
        ("ü ñ", ["ü", "ñ"]),  # single letters alone are searched (FTS5 folds the accents)
        ("Don", ["don"]),  # PostgreSQL's list has "don" (of "don't"): a stop word on both
        ("Don Bradman", ["bradman"]),
        ("", []),
        ("!!! ???", []),
        ("covid 19 a b", ["covid", "19"]),
    ],
)
def test_query_terms_leave_stop_words_out(query: str, terms: list[str]) -> None:
    from digests.store.search import query_terms

    assert query_terms(query) == terms


def test_query_terms_cap_counts_content_words() -> None:
    from digests.store.search import MAX_TERMS, query_terms

    words = [f"w{i}x" for i in range(MAX_TERMS + 4)]
    pasted = " the of and ".join(words)
    assert query_terms(pasted) == words[:MAX_TERMS]


@pytest.fixture
def drugs(store: Store, new_article: MakeArticle) -> Store:
    """Cocaine in three articles, "report" in six: the rarer word's articles come first."""
    texts = [
        ("Cocaine seized at the docks", "Officers found cocaine in a container of fruit."),
        ("Cocaine gangs fight over routes", "The gangs move cocaine by sea, a report says."),
        ("Smugglers jailed", "Two men who shipped cocaine in coffee sacks were jailed."),
        ("Weather report for the weekend", "The report expects rain on Saturday."),
        ("School inspection report published", "The report praised the teachers."),
        ("Annual report shows profits up", "The company report shows a rise in sales."),
        ("Traffic report: roadworks on the ring road", "Expect delays, the report warns."),
        ("Budget report delayed", "The treasury report will come out next month."),
        ("Harvest festival draws crowds", "Thousands came to the fair in the rain."),
    ]
    store.add_articles(
        [
            new_article(title, body, published=NOW - timedelta(hours=i), topics={"drugs": 0.9}
                        if "ocaine" in title + body else {"other": 0.9})
            for i, (title, body) in enumerate(texts)
        ]
    )
    return store


def test_all_words_then_the_rarer_word_then_the_common_one(drugs: Store) -> None:
    hits = drugs.search("cocaine report")
    titles = [h.article.title for h in hits]
    assert titles[0] == "Cocaine gangs fight over routes"  # both words
    assert set(titles[1:3]) == {"Cocaine seized at the docks", "Smugglers jailed"}
    assert len(titles) == 8 and "Harvest festival draws crowds" not in titles
    assert [int(h.score) for h in hits] == [2] + [1] * 7  # whole part: the words matched
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert [h.article.id for h in drugs.search("what is the latest report on cocaine?")] == [
        h.article.id for h in hits
    ]
    # The snippet marks the words searched, not the stop words.
    assert "**is**" not in drugs.search("what is cocaine")[0].snippet


def test_past_the_word_set_budget_any_word_fills_up(
    drugs: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query of many words stops searching word sets one by one; any word then fills up."""
    from digests.store import search as search_module

    full = drugs.search("cocaine report rain", limit=9)
    # No article has all three words; of the pairs, "report rain" is rarer than "cocaine report".
    assert [h.article.title for h in full[:2]] == [
        "Weather report for the weekend", "Cocaine gangs fight over routes"
    ]
    monkeypatch.setattr(search_module, "MAX_WORD_SETS", 1)  # only "cocaine rain": no match
    capped = drugs.search("cocaine report rain", limit=9)
    assert {h.article.id for h in capped} == {h.article.id for h in full}  # filled up all the same
    assert [h.score for h in capped] == sorted((h.score for h in capped), reverse=True)


def test_stop_words_alone_honour_the_filters(drugs: Store) -> None:
    """On PostgreSQL (whose index has no stop words) this is a scan of the newest articles."""
    every = drugs.search("the", limit=20)
    assert len(every) == 8  # every article but the crowds' has "the"
    in_topic = drugs.search("the", topic="drugs", limit=20)
    assert {h.article.title for h in in_topic} == {
        "Cocaine seized at the docks", "Cocaine gangs fight over routes"
    }
    recent = drugs.search("the", since=NOW - timedelta(hours=1, minutes=30), limit=20)
    assert {h.article.title for h in recent} == {
        "Cocaine seized at the docks", "Cocaine gangs fight over routes"
    }
    both = drugs.search("by the", limit=20)
    assert both[0].article.title == "Cocaine gangs fight over routes" and both[0].score >= 2


# The Snowball english stop list PostgreSQL ships (english.stop), as the test's reference.
_SNOWBALL_ENGLISH = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what which "
    "who whom this that these those am is are was were be been being have has had having do "
    "does did doing a an the and but if or because as until while of at by for with about "
    "against between into through during before after above below to from up down in out on "
    "off over under again further then once here there when where why how all any both each "
    "few more most other some such no nor not only own same so than too very s t can will "
    "just don should now"
)


@pytest.mark.postgres
def test_every_word_postgres_drops_is_a_stop_word(pg_admin: sa.Engine) -> None:
    """Else a query could hold a word the PostgreSQL index cannot find but SQLite's can."""
    from digests.store.search import query_terms
    from digests.text import STOPWORDS

    snowball = set(_SNOWBALL_ENGLISH.split())
    candidates = sorted({*snowball, *(w for s in STOPWORDS for w in re.findall(r"\w+", s))})
    with pg_admin.connect() as conn:
        dropped = [
            w for w in candidates
            if conn.execute(sa.text("SELECT to_tsvector('english', :w) = ''::tsvector"),
                            {"w": w}).scalar_one()
        ]
    assert len(dropped) >= 120
    assert [w for w in dropped if query_terms(f"{w} cocaine") != ["cocaine"]] == []
