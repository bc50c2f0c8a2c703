"""answer(): picking the sentence that answers, refusing when none does, odd input."""

from __future__ import annotations

import json

import pytest

from digests.ask import Answer, AnswerSource, answer
from digests.models import StoredArticle
from tests.ask.dataset import DATA, SAMPLE, articles, stored


@pytest.fixture(scope="module")
def pool() -> list[StoredArticle]:
    return articles()


@pytest.fixture(scope="module")
def noem() -> StoredArticle:
    if not SAMPLE.exists():
        pytest.skip(f"shared sample absent: {SAMPLE}")
    return stored(SAMPLE.resolve(), 100)


@pytest.fixture(scope="module")
def colombia(noem: StoredArticle) -> list[StoredArticle]:
    """Articles about Colombia only: the sample, Bogotá's water, a Colombian cup final."""
    return [
        noem,
        stored(DATA / "articles" / "water-rationing.txt", 101),
        stored(DATA / "articles" / "football-final.txt", 102),
    ]


def test_how_many_picks_the_sentence_with_the_count(noem: StoredArticle) -> None:
    got = answer("How many people were deported?", [noem])
    assert "1,700 deportations" in got.answer
    assert got.sources and got.sources[0].url == noem.url
    assert got.sources[0].title == noem.title


def test_how_many_prefers_a_count_to_an_order_of_magnitude_or_a_year(
    noem: StoredArticle,
) -> None:
    """ "deport millions" (a goal, an order of magnitude) and "since 1999, ... deporting" (a
    year) hold numbers too, but the count answers "how many"."""
    others = [
        StoredArticle(
            id=200, title="Rights groups slam policy", url="https://e.com/a", source="e",
            body="The Trump administration has ramped up efforts to deport millions of "
            "undocumented migrants from the United States.",
            published=noem.published, fetched_at=noem.fetched_at, story_id=200,
        ),
        StoredArticle(
            id=201, title="Swiss vote", url="https://e.com/b", source="e",
            body="The party, which has finished first in every election since 1999, has "
            "repeatedly put forward proposals such as deporting any foreigner convicted of a "
            "minor offence.",
            published=noem.published, fetched_at=noem.fetched_at, story_id=201,
        ),
    ]
    got = answer("How many people were deported?", [*others, noem])
    assert "1,700 deportations" in got.answer
    assert got.sources[0].url == noem.url


def test_who_picks_the_sentence_naming_people(colombia: list[StoredArticle]) -> None:
    got = answer("Who did Noem meet in Bogota?", colombia)
    assert "President Gustavo Petro" in got.answer
    assert {s.title for s in got.sources} == {colombia[0].title}


def test_unrelated_question_is_refused(colombia: list[StoredArticle]) -> None:
    got = answer("What is the capital of Peru?", colombia)
    assert got == Answer("")
    assert got.to_json() == {"answer": "", "sources": []}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did Noem arrive in Bogotá?", "Thursday evening"),  # accents folded
        ("Why did the European Central Bank cut rates?", "because economic growth"),
        ("Where was the H3 rocket launched from?", "Tanegashima"),
        ("What is the ECB's new deposit rate?", "3.25 percent"),  # acronym of a name
        ("Which criminal group is suspected in the Riverside Health attack?", "BlackHarbor"),
        ("How many people were killed by the earthquake in Peru?", "at least 14"),
    ],
)
def test_question_types(pool: list[StoredArticle], question: str, expected: str) -> None:
    if "Noem" in question and not SAMPLE.exists():
        pytest.skip("shared sample absent")
    assert expected in answer(question, pool).answer


@pytest.mark.parametrize(
    "question",
    [
        "How many people were injured during the London Underground strike?",  # no such count
        "Who is the mayor of Medellín?",  # a mayor, and Medellín, but never together
        "Why did Christine Lagarde resign?",  # Lagarde, but no resignation
        "Who won the Tour de France?",
    ],
)
def test_refuses_what_the_articles_do_not_say(pool: list[StoredArticle], question: str) -> None:
    got = answer(question, pool)
    assert got.answer == "" and got.sources == () and got.confidence == 0.0


def test_second_sentence_completes_the_first(noem: StoredArticle) -> None:
    """The signing sentence lacks the name; the one naming Sarabia follows, in reading order."""
    got = answer("Who signed the declaration of intent with Noem?", [noem])
    assert "Laura Sarabia" in got.answer
    assert len(got.sources) == 2
    assert got.answer == " ".join(s.sentence for s in got.sources)
    body = noem.body.replace("\n", " ")
    assert body.index(got.sources[0].sentence) < body.index(got.sources[1].sentence)


def test_sources_are_sentences_of_their_article(pool: list[StoredArticle]) -> None:
    got = answer("How much ransom did the hackers demand from Riverside Health?", pool)
    assert "$4.5 million" in got.answer
    by_url = {a.url: a for a in pool}
    for s in got.sources:
        assert s.sentence in by_url[s.url].body
        assert s.title == by_url[s.url].title
    assert 0.0 < got.confidence <= 1.0


def test_to_json_has_exactly_the_contract_keys(pool: list[StoredArticle]) -> None:
    got = answer("Who won Chile's presidential runoff?", pool).to_json()
    assert set(got) == {"answer", "sources"}
    assert got["answer"]
    assert isinstance(got["sources"], list) and got["sources"]
    for src in got["sources"]:
        assert set(src) == {"title", "url", "sentence"}
    json.dumps(got)  # serialisable as is


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   \n\t ",
        "?",
        "how many",
        "deported " * 2000,  # ~18 kB
        'NEAR(deport* OR "Noem) AND -Bogota^ {col: x} \' ; DROP TABLE articles; --',
        "哥伦比亚总统是谁？",
        "Кто встретился с Ноэм в Боготе?",
        "\x00\x01 \ufeff\u200b 🚀🚀",
        "<script>alert(1)</script> <@U123> <!channel>",
    ],
)
def test_untrusted_questions_give_an_answer(pool: list[StoredArticle], question: str) -> None:
    got = answer(question, pool)
    assert isinstance(got, Answer)
    assert all(isinstance(s, AnswerSource) for s in got.sources)
    assert bool(got.answer) == bool(got.sources)


def test_non_latin_question_finds_nothing_in_english_news(pool: list[StoredArticle]) -> None:
    assert answer("哥伦比亚总统是谁？", pool).answer == ""


def test_no_candidates_or_empty_bodies() -> None:
    assert answer("How many people were deported?", []) == Answer("")
    blank = stored(DATA / "articles" / "ecb-rates.txt", 1)
    empty = StoredArticle(
        id=2, title="t", url="u", body="", source="s", published=blank.published,
        fetched_at=blank.fetched_at, story_id=2,
    )
    assert answer("What is the deposit rate?", [empty]).answer == ""


def test_long_question_is_cut_not_fatal(pool: list[StoredArticle]) -> None:
    question = "How many doses of the malaria vaccine did Nigeria receive? " + "x " * 6000
    assert "846,000" in answer(question, pool).answer
