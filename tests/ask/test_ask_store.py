"""ask(): search a real SQLite store with the question's words, then answer from the hits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from digests.ask import ask, search_query
from digests.models import Article, Summary, TopicScore
from digests.store import NewArticle, Store
from tests.ask.dataset import NOW, article_paths, read_title_body


def _new(path: Path, published_days_ago: int = 1) -> NewArticle:
    title, body = read_title_body(path)
    topics = (TopicScore("migration", 0.9, True),) if "noem" in path.name else ()
    return NewArticle(
        article=Article(
            title=title,
            url=path.resolve().as_uri(),
            body=body,
            source="file",
            published=NOW - timedelta(days=published_days_ago),
        ),
        topics=topics,
        summary=Summary(""),
        fetched_at=NOW,
    )


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'ask.db'}")
    store.add_articles([_new(p) for p in article_paths()])
    yield store
    store.close()


def _need_sample() -> None:
    if not any(p.name.startswith("noem") for p in article_paths()):
        pytest.skip("shared sample absent")


def test_ask_answers_from_the_store(filled: Store) -> None:
    _need_sample()
    got = ask("How many people were deported?", filled)
    assert "1,700 deportations" in got.answer
    assert got.sources[0].url.endswith("noem-colombia-visit.txt")


def test_the_telling_word_brings_the_answer_when_the_whole_question_finds_little(
    tmp_path: Path,
) -> None:
    """One article has both "people" and "deported": each word is then searched alone, the
    telling one first and to the full limit, so the article with the count comes in although
    articles saying "deported" more often rank above it and "people" is in as many."""
    _need_sample()
    [noem] = [p for p in article_paths() if p.name.startswith("noem")]
    filler = [
        NewArticle(
            article=Article(
                title=f"{topic} story {i}", url=f"https://e.com/{topic}/{i}", body=body,
                source="e", published=NOW - timedelta(days=1),
            ),
            topics=(), summary=Summary(""), fetched_at=NOW,
        )
        for i, town in enumerate(("Leeds", "Hull", "York", "Bath", "Ely", "Kent", "Rye", "Wells"))
        for topic, body in (
            ("deport", f"A man was deported. Another was deported. Deported again in {town}."),
            ("people", f"People gathered. People cheered. People went home to {town}."),
        )
    ]
    both = replace(filler[0], article=replace(
        filler[0].article, url="https://e.com/both", body="People said he was deported."))
    with Store.open(f"sqlite:///{tmp_path / 'ask.db'}") as store:
        store.add_articles([*filler, both, _new(noem)])
        assert [h.score >= 2 for h in store.search("people deported")][:2] == [True, False]
        assert all("1,700" not in h.article.body for h in store.search("deported", limit=5))
        got = ask("How many people were deported?", store)
    assert "1,700 deportations" in got.answer


def test_ask_answers_who(filled: Store) -> None:
    _need_sample()
    assert "Gustavo Petro" in ask("Who did Noem meet in Bogota?", filled).answer


def test_ask_refuses_when_nothing_stored_answers(filled: Store) -> None:
    got = ask("What is the capital of Peru?", filled)
    assert got.to_json() == {"answer": "", "sources": []}


def test_ask_honours_topic_and_since(filled: Store) -> None:
    _need_sample()
    assert ask("How many people were deported?", filled, topic="drugs").answer == ""
    assert "1,700" in ask("How many people were deported?", filled, topic="migration").answer
    assert ask("How many people were deported?", filled, since=NOW).answer == ""


@pytest.mark.parametrize(
    "question",
    ["", "?!", 'NEAR("x" OR y*) AND -z', "Кто такой Петро?", "deported " * 1500],
)
def test_ask_survives_untrusted_questions(filled: Store, question: str) -> None:
    got = ask(question, filled)
    assert bool(got.answer) == bool(got.sources)


def test_search_query_keeps_plain_content_words() -> None:
    words = search_query('How many people were "deported" from NEAR(Bogotá)* ?')
    assert words == ["people", "deported", "near", "bogotá"]  # lowercase: no FTS operators
    assert search_query("How many?") == []


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The 27 real news feeds of the corpus and the sample, ingested as a user would."""
    import asyncio

    from digests.pipeline import SourceSpec, ingest
    from digests.settings import load_settings
    from tests.cli.harness import SAMPLES, skip_without_corpus

    news = skip_without_corpus("feeds", "news")
    _need_sample()
    url = f"sqlite:///{tmp_path_factory.mktemp('newsroom') / 'ask.db'}"
    settings = load_settings(None, db_url=url)
    store = Store.open(url)
    specs = [SourceSpec(str(news)), SourceSpec(str(SAMPLES))]
    asyncio.run(ingest(specs, store, settings, now=NOW))
    yield store
    store.close()


@pytest.mark.parametrize(
    "question",
    ["How many people were deported?", "How many people were deported from the US to Colombia?"],
)
def test_a_count_among_a_thousand_stored_articles(newsroom: Store, question: str) -> None:
    """Over 1,200 real articles, not a handful: 'deport millions' (a goal), 'since 1999'
    (a year) and WordPress footers do not win, and the sample's count is found although it
    ranks low among the articles about deportations."""
    assert "1,700 deportations" in ask(question, newsroom).answer
