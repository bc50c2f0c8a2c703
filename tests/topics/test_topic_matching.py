"""Matching rules of ``classify``: inflections, phrases, boundaries, case, exclusions, weighting."""

from __future__ import annotations

import pytest

from digests.models import TopicScore
from digests.topics import TopicDefinition, classify, default_topics


def topic(**fields: object) -> dict[str, TopicDefinition]:
    fields.setdefault("description", "test topic")
    return {"t": TopicDefinition.model_validate(fields)}


def score(title: str, body: str, topics: dict[str, TopicDefinition]) -> TopicScore:
    (result,) = classify(title, body, topics)
    return result


@pytest.fixture(scope="module")
def shipped() -> dict[str, TopicDefinition]:
    return default_topics()


def members(title: str, body: str, topics: dict[str, TopicDefinition]) -> set[str]:
    return {s.topic for s in classify(title, body, topics) if s.member}


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("refugee", "Refugees arrive"),
        ("deport", "Man deported to Honduras"),
        ("deport", "plans for deporting thousands"),
        ("smuggle", "caught smuggling people"),
        ("militia", "rival militias clash"),
        ("ally", "US allies meet"),
        ("stop", "boats stopped at sea"),
        ("asylum seeker", "Asylum seekers wait"),
    ],
)
def test_simple_inflections_match(term: str, text: str) -> None:
    result = score(text, "", topic(terms={term: 3}))
    assert result.member and result.evidence == (term,)


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("war", "Forecasters issue a warning about storms"),
        ("war", "The software was written quickly"),
        ("coup", "A coupon for coffee"),
        ("ice", "The device failed"),
        ("drug trafficking", "drug prices and trafficking in bananas"),  # not the phrase
    ],
)
def test_whole_words_and_phrases_only(term: str, text: str) -> None:
    assert score(text, "", topic(terms={term: 3})).score == 0.0


def test_multi_word_phrase_beats_its_parts() -> None:
    topics = topic(terms={"drug": 1, "drug trafficking": 3})
    result = score("Drug trafficking rises", "", topics)
    assert result.evidence == ("drug trafficking",)


def test_capitalised_terms_match_only_in_capitals(shipped: dict[str, TopicDefinition]) -> None:
    assert "migration" in members("ICE agents arrest 40 in Chicago", "", shipped)
    assert (
        members("Canada wins ice hockey gold", "A late goal settled the final.", shipped) == set()
    )
    assert score("IEDs found near base", "", topic(terms={"IED": 3})).member
    assert score("Black ice on roads", "Ice closed the pass.", topic(terms={"ICE": 3})).score == 0


def test_accents_and_curly_apostrophes_are_ignored() -> None:
    topics = topic(terms={"Bogota": 3, "Hamas": 3})
    result = score("Hamas’s envoy in Bogotá", "", topics)
    assert set(result.evidence) == {"Bogota", "Hamas"}


def test_excluded_phrases_hide_their_words(shipped: dict[str, TopicDefinition]) -> None:
    assert members("Social Security benefits to rise 2.8%", "Retirees get more.", shipped) == set()
    assert members("Bank completes data migration to the cloud", "Systems moved.", shipped) == set()
    assert "security" in members("National security adviser resigns", "", shipped)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Coca-Cola raises outlook", "Coca-Cola said price rises offset softer volumes in Mexico."),
        ("Bank apologises after mainframe migration", "Customers were locked out for three days."),
        ("Derelict Victorian asylum to become 300 homes", "The former asylum closed in 1995."),
        ("States sue Meta over social media addiction", "Apps are designed to addict children."),
        ("Flights cancelled as air traffic controllers go on strike", "Unions called the walkout."),
    ],
)
def test_words_of_other_subjects_are_not_the_topic(
    title: str, body: str, shipped: dict[str, TopicDefinition]
) -> None:
    """Hard negatives of the fresh set (bench/topics_eval.py): drink, IT, buildings, apps."""
    assert members(title, body, shipped) == set()


def test_negative_weights_count_against() -> None:
    topics = topic(terms={"cartel": 3, "OPEC": -3})
    assert score("Cartel violence", "", topics).member
    assert not score("OPEC cartel cuts output", "", topics).member


def test_context_terms_count_only_near_a_strong_term() -> None:
    topics = topic(terms={"troops": 3}, context_terms={"attack": 1, "defence": 1})
    alone = score("Late attack wins it", "The defence held until the last minute.", topics)
    assert alone.score == 0.0
    near = score("Troops repel attack", "", topics)
    assert near.evidence == ("troops", "attack")
    assert near.score > score("Troops arrive", "", topics).score


def test_football_is_not_security(shipped: dict[str, TopicDefinition]) -> None:
    title = "Arsenal's defence holds firm as attack fires blanks"
    body = "The back line kept a clean sheet and the striker shot wide twice in the derby."
    assert members(title, body, shipped) == set()


def test_one_strong_term_in_a_short_item_is_a_member() -> None:
    topics = topic(terms={"asylum seekers": 3})
    assert score(
        "Asylum seekers stranded at the port", "Aid groups called for help.", topics
    ).member


def test_a_passing_mention_in_a_long_article_is_not() -> None:
    topics = topic(terms={"asylum seekers": 3.5})
    filler = "The council debated the budget, parking fees and the new library for hours. " * 12
    body = filler + "One speaker mentioned asylum seekers in passing. " + filler
    result = score("Council approves budget", body, topics)
    assert result.score > 0 and not result.member
    # ... while the same mention in a short item counts.
    assert score("Council approves budget", "One speaker mentioned asylum seekers.", topics).member


def test_repeated_evidence_in_a_long_article_counts() -> None:
    topics = topic(terms={"refugees": 3, "asylum": 3})
    para = "Refugees crossed the border overnight, and officials processed asylum claims. "
    filler = "Residents of the town watched from their windows as buses arrived. "
    result = score("A town changes", (para + filler * 3) * 6, topics)
    assert result.member


def test_the_title_weighs_more_than_the_body() -> None:
    topics = topic(terms={"missile": 2})
    in_title = score("Missile test", "Officials spoke on Monday.", topics)
    in_body = score("Officials spoke", "A missile test on Monday.", topics)
    assert in_title.score > in_body.score


def test_evidence_is_strongest_first() -> None:
    topics = topic(terms={"war": 1, "ceasefire": 3, "troops": 2})
    result = score("Ceasefire holds as troops pull back", "The war may end.", topics)
    assert result.evidence == ("ceasefire", "troops", "war")


def test_multi_label_and_order(shipped: dict[str, TopicDefinition]) -> None:
    result = classify(
        "Cartel gunmen kill 15 as Sinaloa factions fight over cocaine routes",
        "The army deployed troops after the massacre.",
        shipped,
    )
    assert [s.topic for s in result] == ["security", "migration", "drugs"]
    assert {s.topic for s in result if s.member} == {"security", "drugs"}
    assert all(0.0 <= s.score <= 1.0 for s in result)


def test_empty_text_scores_zero(shipped: dict[str, TopicDefinition]) -> None:
    assert all(s.score == 0.0 and not s.member for s in classify("", "", shipped))
