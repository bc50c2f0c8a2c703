"""``fingerprints.title_key``: one key for one headline as outlets print it, None for titles
that cannot identify a story (too short, too few content words, a series or a format)."""

from __future__ import annotations

import pytest

from digests.store import fingerprints as fp

HEADLINE = "Militia rejects disarmament plan and government's four-month deadline"


def test_a_distinctive_title_has_a_stable_hex_key() -> None:
    key = fp.title_key(HEADLINE)
    assert key is not None and len(key) == 32 and int(key, 16) >= 0
    assert fp.title_key(HEADLINE) == key
    assert (
        fp.title_key("Militia rejects disarmament plan and government's five-month deadline") != key
    )


@pytest.mark.parametrize(
    "variant",
    [
        HEADLINE + " - BBC News",
        HEADLINE + " | Reuters",
        HEADLINE + " – The Guardian",
        HEADLINE + " — The New York Times",
        HEADLINE + " | TMZ.com",
        HEADLINE + " — Backchannel — Medium",
        HEADLINE.upper(),
        "militia REJECTS disarmament plan and Government’s four‑month deadline",  # curly, U+2011
        "  Militia rejects\tdisarmament plan and government's four-month deadline.  ",
        "Militia rejects disarmament plan and government’s “four-month” deadline!",
    ],
)
def test_site_suffixes_case_quotes_and_spacing_do_not_count(variant: str) -> None:
    assert fp.title_key(variant) == fp.title_key(HEADLINE)


def test_accents_and_unicode_forms_do_not_count() -> None:
    plain = fp.title_key("Peru Congress removes interim President Jeri over graft probe")
    assert plain is not None
    for variant in (
        "Peru Congress removes interim President Jerí over graft probe",  # composed í
        "Peru Congress removes interim President Jeri\u0301 over graft probe",  # i + combining
        "PERU CONGRESS REMOVES INTERIM PRESIDENT JERÍ OVER GRAFT PROBE",
        "Peru Congress removes interim President Jerí over graft probe",  # fullwidth: NFKC
    ):
        assert fp.title_key(variant) == plain, variant
    assert fp.title_key("Straße closures planned after Munich summit protests") == fp.title_key(
        "STRASSE closures planned after Munich summit protests"
    )  # casefold, not lower


def test_dotted_abbreviations_read_as_letters() -> None:
    assert fp.title_key("U.S. and Iran wrap up second round of nuclear talks") == fp.title_key(
        "US and Iran wrap up second round of nuclear talks"
    )


@pytest.mark.parametrize(
    "tail",
    [
        "Day Five",  # a part of a series, not a site
        "Zelensky meets Trump",  # a clause: lowercase words
        "February 17, 2025",  # digits
        "can this help save it?",
        "Live",
    ],
)
def test_tails_that_are_not_site_names_are_kept(tail: str) -> None:
    head = "Winter Olympics medal table shows Norway far ahead"
    assert fp.title_key(f"{head} - {tail}") != fp.title_key(head)


@pytest.mark.parametrize(
    "title",
    [
        "Oil prices fall",  # 3 words
        "Protests test Indonesia's democracy",  # 4 words
        "Is Netflix making us stupid?",  # 5 words, 3 content words
        "Why we're becoming disconnected from nature",
        "What is it that they want from us",  # all stopwords but one
        "",
        "   ",
        "- BBC News",
    ],
)
def test_short_or_vague_titles_have_no_key(title: str) -> None:
    assert fp.title_key(title) is None


@pytest.mark.parametrize(
    "title",
    [
        "Live: Health insurers surge ahead of premium hike, ASX rises",
        "Live updates: Russia launches massive drone attack on Kyiv overnight",
        "Ukraine war live blog: the latest from the front line today",
        "2026 Winter Olympics opening ceremony — as it happened",
        "The Latest: Storm knocks out power to thousands across the coast",
        "Morning briefing: Markets rally as inflation cools across Europe",
        "Your evening briefing on the biggest stories from around the world",
        "The War Room newsletter: What the Bondi Beach attack tells us",
        "Podcast: Ring Is Back and Scarier Than Ever",
        "An Interview with Ben Thompson by John Collison on the Cheeky Pint Podcast",
        "Letters: Readers respond to the new city budget and transport plans",
        "Hamas Took More Than 200 Hostages From Israel. Here's What We Know.",
        "Trump Threatens Iraq Over Leadership Change: What to Know",
        "2026 Winter Olympics: What you need to know before the games",
        "The week in pictures: floods, festivals and a royal visit",
        "Quiz of The Week: 7 – 13 February",
        "The Week Unwrapped: Have televised confessions quelled protests in Iran?",
        "The week’s best photos from around the world",
        "Photos of the day: Carnival parades fill the streets of Rio",
        "Chinese New Year celebrations around the world, in pictures",
        "Jesse Jackson, civil rights leader and preacher: a life in pictures",
        "Magazine solutions - February 27, 2026",
        "Africa: All of Africa Today - February 17, 2026",
        "South Africa: Suspect held - South African News Briefs - February 17, 2025",
        "12/18: CBS Evening News with the latest headlines",
        "Today's crossword puzzle answers and hints for the weekend",
    ],
)
def test_generic_titles_have_no_key(title: str) -> None:
    assert fp.title_key(title) is None


def test_a_news_headline_that_mentions_a_format_word_keeps_its_key() -> None:
    assert fp.title_key("Obama clarifies his 'they're real' podcast comment on aliens")
    assert fp.title_key("Over 80 Berlin Film Festival alumni sign open letter on Gaza")
    assert fp.title_key("Corruption watchdog reports increase in global graft")
