"""digests.text: the sentence splitter and tokenizer every text feature leans on."""

from __future__ import annotations

import pytest

from digests.text import (
    STOPWORDS,
    collapse_ws,
    content_tokens,
    is_heading,
    paragraphs,
    split_sentences,
    tokens,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. and Mr. Smith met on Jan. 5 in Washington. Prices rose 3.5% to $1,700.",
            ["The U.S. and Mr. Smith met on Jan. 5 in Washington.", "Prices rose 3.5% to $1,700."],
        ),
        (
            "He moved to the U.S. The trip was long.",
            ["He moved to the U.S.", "The trip was long."],
        ),
        (
            'He said "It is over." Then he left.',
            ['He said "It is over."', "Then he left."],
        ),
        (
            '"Is it true?" she asked. "Yes!" Officials nodded.',
            ['"Is it true?" she asked.', '"Yes!"', "Officials nodded."],
        ),
        (
            "John F. Kennedy spoke at No. 10 Downing St. in London. The answer was no. Done.",
            ["John F. Kennedy spoke at No. 10 Downing St. in London.", "The answer was no.",
             "Done."],
        ),
        (
            "Shares of Acme Inc. rose. Dr. Jones, of Acme Corp., said e.g. costs fell.",
            ["Shares of Acme Inc. rose.", "Dr. Jones, of Acme Corp., said e.g. costs fell."],
        ),
        ("more advert sales.TimeWarner said so.", ["more advert sales.", "TimeWarner said so."]),
        ("Wait… What happened? Nobody knows!", ["Wait…", "What happened?", "Nobody knows!"]),
    ],
)
def test_split_sentences_news_edge_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_paragraph_breaks_and_headings_end_sentences() -> None:
    text = (
        "First paragraph has no full stop\n\n"
        "Important Biometric Cooperation Announced\n"
        "The story starts here and it\nwraps onto a second line. Second sentence."
    )
    assert split_sentences(text) == [
        "First paragraph has no full stop",
        "Important Biometric Cooperation Announced",
        "The story starts here and it wraps onto a second line.",
        "Second sentence.",
    ]


def test_paragraphs_join_hard_wraps_and_split_finished_lines() -> None:
    text = "One line ends here.\nAnother paragraph starts\nand wraps.\r\n\r\n  Third  one. "
    assert paragraphs(text) == [
        "One line ends here.",
        "Another paragraph starts and wraps.",
        "Third one.",
    ]


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n\t ") == []
    assert paragraphs("") == []


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Important Biometric Cooperation Announced", True),
        ("Historic And Effective Diplomacy", True),
        ("Secretary Noem's Multinational Tour", True),
        ("Key points", True),
        ("The minister signed the accord on Friday.", False),
        ("What happens next?", False),
        ("and then it went on without a capital", False),
        ("", False),
        ("A " + "very long line " * 12, False),
    ],
)
def test_is_heading(line: str, heading: bool) -> None:
    assert is_heading(line) is heading


def test_tokens_are_lowercase_unicode_and_keep_numbers() -> None:
    assert tokens("Noem’s visit to Bogotá: 1,700 deportations, up 3.5%; snake_case") == [
        "noem", "visit", "to", "bogotá", "1,700", "deportations", "up", "3.5", "snake", "case",
    ]
    assert tokens("Zürich İstanbul ÉCOLE") == ["zürich", "i̇stanbul", "école"]


def test_content_tokens_drop_stopwords_and_stem_lightly() -> None:
    assert content_tokens("The arrests were made as police arrested the dealers") == [
        "arrest", "police", "arrest", "dealer",
    ]
    assert "the" in STOPWORDS and "police" not in STOPWORDS


def test_collapse_ws() -> None:
    assert collapse_ws("  a\n\tb   c \u2003") == "a b c"
