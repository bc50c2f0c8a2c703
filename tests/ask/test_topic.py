"""A sentence must be about what the question asks: its rarest word, the attribute asked for,
the doer of a "who did" question, a fact rather than a hypothesis. Pure: ``answer`` over
hand-made candidates, with and without the store's word counts."""

from __future__ import annotations

import pytest

from digests.ask import TermCounts, answer
from digests.ask.evidence import type_evidence
from digests.ask.question import parse_question
from digests.ask.scoring import score_all
from digests.ask.terms import Matcher, content_keys
from digests.ask.topic import Topic
from digests.models import StoredArticle
from tests.ask.dataset import NOW


def _article(i: int, title: str, body: str) -> StoredArticle:
    return StoredArticle(
        id=i, title=title, url=f"https://news.example/{i}", body=body, source="example",
        published=NOW, fetched_at=NOW, story_id=i,
    )


# Two facts in neighbouring sentences: Russia's capital, and a Moon city. Neither says what
# "the capital of the moon" is; each shares one word with that question (the 404 Media story
# that answered it before).
CITIES = _article(
    1,
    "Astronomers map the cities of Soviet postcards",
    "Researchers counted the cities shown on thousands of Soviet-era postcards. "
    "The modern capital Moscow and the former capital St. Petersburg were shown most often, "
    "the study found. "
    "After years of hyping Mars, SpaceX chief Elon Musk now says it is much faster to build a "
    "Moon city than a Mars city. "
    "The postcards are kept in a museum archive in Riga.",
)


RUSSIA = _article(
    10,
    "Moscow marks city day",
    "Moscow, the capital of Russia, marked its city day with parades on Saturday. "
    "Crowds filled Red Square for the evening concert.",
)


def test_a_sentence_holding_one_of_two_words_does_not_answer() -> None:
    """Counted over the store, "moon" (9 articles) is what the question is about: the Moscow
    sentence lacks it, the Moon sentence lacks "capital", the attribute asked for."""
    counts = TermCounts({"capital": 40, "moon": 9}, 40, 1300)
    got = answer("What is the capital of the moon?", [CITIES, RUSSIA], counts=counts)
    assert got.to_json() == {"answer": "", "sources": []}
    counts = TermCounts({"capital": 40, "russia": 40}, 40, 1300)
    got = answer("What is the capital of Russia?", [CITIES, RUSSIA], counts=counts)
    assert got.sources[0].sentence.startswith("Moscow, the capital of Russia")


def test_a_word_no_stored_article_holds_leaves_no_answer() -> None:
    """In a store big enough to hold every common word, one it never holds ("moonbase") is
    what the question is about, not a paraphrase; in a small store, or among a few candidates
    (no counts), it may be either: the test set's paraphrases ("quake") are answered."""
    mayors = _article(
        11,
        "Chicago opens a migrant base camp",
        "Mayor Brandon Johnson's administration says the base camp, built on a private lot, "
        "can hold up to 2,000 people. The city council approved the site on Monday.",
    )
    question = "Who is the mayor of the moonbase?"
    big = TermCounts({"mayor": 30, "moonbase": 0}, 40, 1300)
    assert answer(question, [mayors], counts=big).empty
    topic = Topic.of(parse_question(question), big, from_store=True)
    assert topic.unknown == {"moonbase"}
    small = TermCounts({"mayor": 1, "moonbase": 0}, 40, 14)
    assert Topic.of(parse_question(question), small, from_store=True).unknown == frozenset()


def test_the_rarest_word_in_the_store_is_what_the_question_is_about() -> None:
    """"Mars" (9 articles) is what "the population of Mars" is about, not "population" (36):
    a sentence about a population somewhere else is no answer."""
    census = _article(
        2,
        "Census results published",
        "The population of the region grew to 2.1 million people last year, officials said. "
        "Growth was fastest in the suburbs around the old port.",
    )
    rockets = _article(
        3,
        "Musk postpones Mars plans",
        "He said a rocket fleet would travel to Mars every two years. "
        "The company has not said when the first crew would fly.",
    )
    counts = TermCounts({"population": 36, "mar": 9}, 40, 1300)
    assert answer("What is the population of Mars?", [census, rockets], counts=counts).empty
    # the census still answers the question it does answer
    got = answer("What is the population of the region?", [census, rockets])
    assert "2.1 million" in got.answer


def test_topic_rarest_and_specific_terms() -> None:
    q = parse_question("Who invented the telephone?")
    topic = Topic.of(q, TermCounts({"invent": 13, "telephone": 4}, 40, 1300), from_store=True)
    assert topic.rarest == {"telephone"}
    assert topic.specific == {"invent"}  # rare too: a sentence without it pays for it
    common = Topic.of(q, TermCounts({"invent": 40, "telephone": 40}, 40), from_store=True)
    assert common.rarest == frozenset() and common.specific == frozenset()
    # in a store of 14 articles, a word in 8 of them is not rare, whatever the cap
    small = Topic.of(q, TermCounts({"invent": 8, "telephone": 3}, 40, 14), from_store=True)
    assert small.rarest == {"telephone"} and small.specific == frozenset()
    # counted over a few candidates, every word looks rare: only the rarest counts
    over_candidates = Topic.of(q, TermCounts({"invent": 1, "telephone": 1}, 3), from_store=False)
    assert over_candidates.specific == frozenset()


def test_a_missing_rare_word_costs_the_answer() -> None:
    call = _article(
        4,
        "Leaders speak by phone",
        "Last week, Prime Minister Shehbaz Sharif held a telephone call with the UAE president. "
        "The two leaders discussed trade and investment.",
    )
    counts = TermCounts({"invent": 13, "telephone": 4}, 40, 1300)
    assert answer("Who invented the telephone?", [call], counts=counts).empty


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("What is the capital of the moon?", {"capital"}),
        ("Who is the mayor of Bogotá?", {"mayor"}),
        ("Who is Norway's prime minister?", {"prime", "minister", "pm"}),
        ("What is the ECB's new deposit rate?", {"deposit", "rate"}),
        ("Who is the chief executive of CEPI?", {"chief", "executive", "ceo"}),
        ("What was inflation in the euro area in September?", {"inflation"}),
        ("Which team won the Super Bowl?", set()),  # no "what is the X": nothing to state
        ("What did UK inflation fall to?", set()),
    ],
)
def test_the_attribute_a_question_asks_for(question: str, attribute: set[str]) -> None:
    assert parse_question(question).attribute == attribute


def test_a_sentence_that_does_not_state_the_attribute_does_not_answer() -> None:
    ozone = _article(
        5,
        "Seven good news stories",
        "The ozone hole over Antarctica has shrunk to its fifth-smallest size in three decades, "
        "according to NASA and the National Oceanic and Atmospheric Administration.",
    )
    counts = TermCounts({"president": 40, "antarctica": 1}, 40, 1300)
    assert answer("Who is the president of Antarctica?", [ozone], counts=counts).empty
    assert answer("Who is the president of Antarctica?", [ozone]).empty


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        ("Fighters linked to al-Qaeda have killed at least 50 soldiers at the base.", 1.0),
        ("The Sahel branch of JNIM claimed responsibility for the raid on the base.", 1.0),
        ("Defence Minister Laura Sarabia visited the base on Monday.", 1.0),
        ("The raid would change everything, Jack Keane said on Monday.", 0.8),  # a speaker
        ("The base was quiet on Monday morning after the raid.", 0.0),
    ],
)
def test_who_did_it_can_be_a_group_and_a_speaker_is_less_sure(
    sentence: str, evidence: float
) -> None:
    q = parse_question("Who launched the raid on the army base?")
    keys = frozenset(content_keys(sentence))
    assert type_evidence(sentence, q, keys, Matcher(q.terms, keys)) == evidence


def test_a_hypothesis_is_no_fact() -> None:
    """The same sentence scores less when it only says what would happen."""
    fact = "He did decide to go to war and launched an attack on the army base, he said."
    musing = "If he did decide to go to war and launched an attack on the army base, he said."
    q = parse_question("Who launched the attack on the army base?")
    scored = {
        s.sentence.text: s.score
        for s in score_all(q, [_article(12, "War", fact), _article(13, "War", musing)])
    }
    assert scored[musing] == pytest.approx(0.8 * scored[fact])


def test_how_old_wants_an_age_not_any_number() -> None:
    profile = _article(
        8,
        "Thailand's prime minister on the campaign trail",
        "Prime Minister Anutin Charnvirakul met 3 governors and 40 village heads this week. "
        "Anutin Charnvirakul, 59, grumbled that the trail had left him tired.",
    )
    got = answer("How old is Anutin Charnvirakul?", [profile])
    assert "59" in got.answer and "40 village heads" not in got.answer


@pytest.mark.parametrize(
    ("question_word", "text_word", "matches"),
    [("Greenland", "green", False), ("Chilean", "chile", True), ("Chile", "chilean", True)],
)
def test_a_name_matches_its_forms_not_a_word_it_starts_with(
    question_word: str, text_word: str, matches: bool
) -> None:
    q = parse_question(f"Who visited {question_word} last week?")
    [term] = [t for t in q.terms if t.proper]
    match = Matcher(q.terms, frozenset({text_word}))
    assert (match(term.key, frozenset({text_word})) >= 0.9) is matches
