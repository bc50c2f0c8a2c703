"""digests.summarize: faithful extractive summaries and key facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.errors import UsageError
from digests.models import Summary
from digests.summarize import MAX_SUMMARY_CHARS, key_facts, sentences_of, summarize
from digests.text import split_sentences

SAMPLES = Path(__file__).resolve().parents[2] / "config" / "samples"  # the shipped copy

ARTICLE = """\
Border Deal Signed

By Jane Doe, Staff Reporter

Ministers from both countries signed a border security agreement in Geneva on Tuesday.
The deal commits each side to share intelligence on smuggling networks across the frontier.
Photo: officials shake hands after the ceremony.

What Comes Next

Officials said patrols would double within six months under the new border agreement.
Critics said the border agreement ignored the rights of asylum seekers waiting at the frontier.
Read more: our coverage of the border crisis.
Subscribe to our newsletter for daily updates.
"""


def _load_sample(name: str) -> tuple[str, str]:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"sample {name} not available at {path}")
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body


def test_summary_is_verbatim_sentences_in_original_order() -> None:
    result = summarize("Border deal signed in Geneva", ARTICLE)
    assert isinstance(result, Summary)
    picked = [s for s in split_sentences(ARTICLE) if s in result.summary]
    assert 2 <= len(picked) <= 3
    assert result.summary == " ".join(picked)  # copied verbatim, in text order
    assert picked[0].startswith("Ministers from both countries signed")


def test_headings_bylines_captions_and_boilerplate_are_never_quoted() -> None:
    quotable = sentences_of("Border deal signed in Geneva", ARTICLE)
    joined = " ".join(quotable)
    for junk in ("Border Deal Signed", "What Comes Next", "By Jane Doe", "Photo:", "Read more",
                 "Subscribe"):
        assert junk not in joined
    assert len(quotable) == 4
    result = summarize("Border deal signed in Geneva", ARTICLE, max_sentences=4)
    assert "What Comes Next" not in result.summary and "Subscribe" not in result.summary


def test_one_sentence_body_is_its_own_summary() -> None:
    body = "Police arrested three men."
    result = summarize("Three held", body)
    assert result.summary == body


def test_short_body_gives_fewer_sentences() -> None:
    body = "The port reopened on Monday after a two-day strike. Ships queued outside."
    result = summarize("Port reopens", body)
    assert result.summary == "The port reopened on Monday after a two-day strike."


def test_empty_or_junk_body_gives_empty_summary() -> None:
    assert summarize("Title only", "") == Summary("", ())
    assert summarize("Title only", "\n\n  \n") == Summary("", ())
    assert summarize("Title only", "Read more\nSubscribe now") == Summary("", ())
    # A body that only repeats the title adds nothing either.
    assert summarize("Storm hits coast", "Storm hits coast.").summary == ""


def test_max_sentences_and_length_cap() -> None:
    result = summarize("Border deal signed in Geneva", ARTICLE, max_sentences=1)
    assert len(split_sentences(result.summary)) == 1
    long_body = " ".join(
        f"Sentence number {i} explains another detail of the long border negotiation in depth "
        f"with many words about sovereignty, patrols, funding and oversight."
        for i in range(1, 20)
    )
    assert len(summarize("Talks", long_body, max_sentences=10).summary) <= MAX_SUMMARY_CHARS
    one_huge = "The committee " + "considered the matter at length and " * 30 + "agreed."
    capped = summarize("Committee", one_huge).summary
    assert len(capped) <= MAX_SUMMARY_CHARS and capped.endswith("…")
    assert one_huge.startswith(capped[:-1])


def test_deterministic() -> None:
    first = summarize("Border deal signed in Geneva", ARTICLE)
    for _ in range(3):
        assert summarize("Border deal signed in Geneva", ARTICLE) == first


def test_key_facts_on_crafted_sentences() -> None:
    sentences = [
        "The weather was pleasant and everyone seemed happy.",
        "Police arrested 14 people and seized 2.5 tonnes of cocaine in Rotterdam on Friday.",
        "It was a long day for everyone involved.",
        "The two presidents met in Madrid and signed a trade agreement worth $3bn.",
        "At least 12 people were killed when the bridge collapsed.",
        "Police arrested 14 people and seized 2.5 tonnes of cocaine in the port of Rotterdam.",
    ]
    facts = key_facts(sentences)
    assert facts == (
        "Police arrested 14 people and seized 2.5 tonnes of cocaine in Rotterdam on Friday.",
        "The two presidents met in Madrid and signed a trade agreement worth $3bn.",
        "At least 12 people were killed when the bridge collapsed.",
    )  # text order, fluff left out, the near-repeat dropped


def test_key_facts_trim_long_sentences_to_the_fact_clause() -> None:
    sentence = (
        "In a statement that was read out slowly to reporters gathered outside the ministry "
        "building in the rain, which many of them found tedious and long-winded; "
        "the agency said it had deported 1,700 people since January."
    )
    facts = key_facts([sentence])
    assert facts == ("the agency said it had deported 1,700 people since January.",)


def test_key_facts_at_most_limit() -> None:
    places = ["Lagos", "Quito", "Hanoi", "Oslo", "Lima", "Dakar", "Riga", "Sofia", "Accra", "Baku"]
    crimes = ["fraud", "smuggling", "bribery", "arson", "piracy", "poaching", "extortion",
              "forgery", "hacking", "trafficking"]
    sentences = [
        f"Officers in {place} arrested {n} suspects accused of {crime} on Monday."
        for n, place, crime in zip(range(10, 20), places, crimes, strict=True)
    ]
    assert len(key_facts(sentences)) == 5
    assert len(summarize("Arrests", " ".join(sentences)).key_facts) <= 5


def test_noem_sample_summary_and_facts() -> None:
    title, body = _load_sample("noem-colombia-visit.txt")
    result = summarize(title, body)
    assert (
        "A major highlight of the visit was the signing of a declaration of intent aimed at "
        "facilitating efficient biometric data exchange between Colombia and the United States."
        in result.summary
    )
    assert 2 <= len(split_sentences(result.summary)) <= 3
    assert len(result.summary) <= MAX_SUMMARY_CHARS
    assert any("1,700 deportations" in f for f in result.key_facts)
    assert any("more than 1,000" in f and "arrests" in f for f in result.key_facts)
    assert len(result.key_facts) <= 5
    # Subheadings such as "Important Biometric Cooperation Announced" never appear.
    assert "Announced" not in result.summary
    assert not any("Historic And Effective Diplomacy" in f for f in result.key_facts)


def test_standfirst_without_full_stop_is_quoted_when_nothing_else() -> None:
    result = summarize("Newborn parties are scrambling Japanese politics",
                       "Though small, they have large megaphones")
    assert result.summary == "Though small, they have large megaphones"
    # A title-case line is a heading, not a standfirst: nothing to quote.
    assert summarize("Live updates", "Pauline Hanson Jan 21 2026").summary == ""


def test_key_facts_only_and_bad_budget() -> None:
    result = summarize("Border deal signed in Geneva", ARTICLE, max_sentences=0)
    assert result.summary == ""
    assert any("signed a border security agreement" in f for f in result.key_facts)
    with pytest.raises(UsageError, match="max_sentences"):
        summarize("t", "Some body text here.", max_sentences=-1)
