"""The fast paths of summarize and text give exactly what their plain definitions give.

Ingest summarizes every new article, so summarize takes shortcuts (lowercased text with
case-sensitive patterns, lazy MMR, remembered token forms); each is checked here against the
straightforward version it replaced, on crafted and random input.
"""

from __future__ import annotations

import random
import re

import pytest

from digests import summarize as sm
from digests.text import (
    STOPWORDS,
    content_tokens,
    paragraphs,
    split_paragraph,
    split_sentences,
    stem,
    tokens,
)


def _plain_facts(text: str) -> tuple[float, bool]:
    """The fact score and event test as first written: case-insensitive patterns, str.split."""
    numbers = len(sm._NUMBER.findall(text)) + len(sm._QUANTITY.findall(text))
    verbs = len(sm._FACT_VERB.findall(text))
    words = (w.strip("\"'“”‘’(),.;:!?") for w in text.split()[1:])
    names = len({w for w in words if w[:1].isupper() and w.lower() not in STOPWORDS})
    dates = 1 if sm._DATE.search(text) else 0
    score = 1.5 * min(numbers, 3) + 1.0 * min(verbs, 2) + 0.5 * min(names, 4) + 0.5 * dates
    event = bool(sm._NUMBER.search(text) or sm._FACT_VERB.search(text) or sm._DATE.search(text))
    return score, event


TRICKY = [
    "Police ARRESTED 14 people in İstanbul on Friday.",  # dotted capital I: lower() grows
    "The ſigned deal (SIGNED in Paris) was worth $3bn, officials said.",  # long s
    "A 5 K run; the KELVIN sign: 300 K, and a dotless ı in Dıyarbakır.",  # Kelvin sign
    "“Ministers”   met\u00a0in Geneva ‘Tuesday’, and Mr. Smith — AGREED. Nearly TWO hundred.",
    "   leading spaces then Names Like Ana María and ÉMILE Zola in 1999 (March 3)",
    "",
    "one",
    "Over 1,700 DEPORTATIONS; more than 1,000 arrests; 12 per cent; twenty-two.",
]


@pytest.mark.parametrize("text", TRICKY)
def test_facts_match_the_plain_definition(text: str) -> None:
    assert sm._facts(text) == _plain_facts(text)


def test_facts_match_the_plain_definition_on_random_text() -> None:
    rng = random.Random(7)
    pieces = [
        "arrested",
        "Signed",
        "DEAL",
        "met",
        "two",
        "Hundreds",
        "per cent",
        "1,700",
        "3.5",
        "$4",
        "£5",
        "March 3",
        "2024",
        "Monday",
        "more than ten",
        "İ",
        "ı",
        "ſ",
        "K",
        "“Ana”",
        "(Bob)",
        "about",
        "sixty",
        "onerous",
        "over",
        "a dozens",
        "meeting with",
        "talks with",
        "Talks  with",
        "deaths",
        "Signing",
        "tenfold",
        "Sundays",
        "today",
        "¥",
        "the",
        "The",
        ",",
        ".",
        " ",
        "\u00a0",
        "—",
        "killed",
        "sept 9",
    ]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert sm._facts(text) == _plain_facts(text), text


def _plain_mmr(
    scores: list[float], vectors: list[sm._Vector], sentences: list[sm._Sentence], k: int
) -> list[int]:
    """MMR as first written: every remaining candidate scored every round."""
    chosen: list[int] = []
    closest = [0.0] * len(sentences)
    length = 0
    remaining = set(range(len(sentences)))
    while remaining and len(chosen) < k:
        best = max(
            remaining,
            key=lambda i: (sm._MMR_LAMBDA * scores[i] - (1 - sm._MMR_LAMBDA) * closest[i], -i),
        )
        remaining.discard(best)
        if closest[best] > sm._NEAR_DUPLICATE:
            continue
        extra = len(sentences[best].text) + (1 if chosen else 0)
        if chosen and length + extra > sm.MAX_SUMMARY_CHARS:
            continue
        chosen.append(best)
        length += extra
        for i in remaining:
            closest[i] = max(closest[i], sm._cosine(vectors[i], vectors[best]))
    return chosen


def test_lazy_mmr_picks_what_full_mmr_picks() -> None:
    rng = random.Random(11)
    vocabulary = [f"w{i}" for i in range(40)]
    for _ in range(400):
        n = rng.randint(1, 40)
        terms = [
            tuple(rng.choices(vocabulary[: rng.randint(3, 40)], k=rng.randint(0, 12)))
            for _ in range(n)
        ]
        sentences = [
            sm._Sentence(i, "x" * rng.randint(20, 300), t, "", False) for i, t in enumerate(terms)
        ]
        idf = sm._idf([s.terms for s in sentences])
        vectors = [sm._tfidf(s.terms, idf) for s in sentences]
        # Coarse scores make ties, which must break the same way (earlier sentence first).
        bases = [round(rng.random(), 1) for _ in range(n)]
        facts = [rng.choice([0.0, 1.5, 2.5, 4.0, 6.0]) for _ in range(n)]
        scores = [b + sm._fact_term(f) for b, f in zip(bases, facts, strict=True)]
        asked: list[int] = []

        def score(i: int, scores: list[float] = scores, asked: list[int] = asked) -> float:
            asked.append(i)
            return scores[i]

        k = rng.randint(1, 6)
        lazy = sm._mmr(bases, score, vectors, sentences, k)
        assert lazy == _plain_mmr(scores, vectors, sentences, k)
        assert len(asked) == len(set(asked))  # each score asked for once at most


def test_event_prefilter_never_drops_a_fact() -> None:
    texts = [*TRICKY, "Officials Met In Geneva", "Ana María and José Luis spoke", "A Sunday rally"]
    rng = random.Random(5)
    words = ["Geneva", "Ana", "met", "talks with", "sixty", "2024", "Monday", "the", "signing"]
    texts += [" ".join(rng.choices(words, k=rng.randint(1, 8))) for _ in range(2000)]
    for text in texts:
        score, event = sm._facts(text)
        if not sm._may_hold_event(text):
            assert not event and score < sm._MIN_FACT_SCORE, text
            assert not sm._facts(sm._fact_clause(text))[1], text


def _plain_content_tokens(text: str) -> list[str]:
    return [stem(t) for t in tokens(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


@pytest.mark.parametrize(
    "text",
    [
        "Noem's visit: the U.S. and Colombia signed 1,700 deals, 3.5% of it's total.",
        "snake_case_words and under_scores stay apart; a b c 7 x",
        "İstanbul’s mayor met the i̇stanbul council (combining dot) on 9 June",
        "",
    ],
)
def test_content_tokens_match_the_plain_definition(text: str) -> None:
    assert content_tokens(text) == _plain_content_tokens(text)
    assert content_tokens(text) == _plain_content_tokens(text)  # again, from remembered forms


def test_boilerplate_fast_path_matches_case_insensitive_search() -> None:
    lines = [
        "READ MORE: our coverage",
        "Image Copyright Getty",
        "© 2026 Example News",
        "This story Appeared First On Example",
        "Police ſigned up",
        "İmage caption: a ship",
        "The port reopened on Monday.",
    ]
    for line in lines:
        plain = bool(sm._BOILERPLATE.search(line)) or sm._is_byline(line)
        assert sm._is_boilerplate(line) == plain, line


def test_names_skip_the_first_word_and_punctuation() -> None:
    text = "Officials in “Geneva” and (Paris) met The Minister, ÉMILE and émile; Geneva again"
    assert sm._names(text) == {"Geneva", "Paris", "Minister", "ÉMILE"}
    assert sm._names("Geneva") == set()
    assert sm._names("  Geneva  Paris") == {"Paris"}


def _language(pattern: str) -> set[str]:
    """Every string a finite pattern (literals, groups, alternatives, ``?``, literal classes)
    matches: to check the word lists of the fast path against the patterns themselves."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser as p  # type: ignore[attr-defined]

    def expand(items: list[tuple[object, object]]) -> list[str]:
        outs = [""]
        for op, av in items:
            if op is c.LITERAL:
                alts = [chr(av)]  # type: ignore[arg-type]
            elif op is c.SUBPATTERN:
                alts = expand(list(av[3]))  # type: ignore[index]
            elif op is c.BRANCH:
                alts = [e for b in av[1] for e in expand(list(b))]  # type: ignore[index]
            elif op is c.IN and all(kind is c.LITERAL for kind, _ in av):  # type: ignore[attr-defined]
                alts = [chr(v) for _, v in av]  # type: ignore[attr-defined]
            elif op is c.MAX_REPEAT and av[:2] == (0, 1):  # type: ignore[index]
                alts = ["", *expand(list(av[2]))]  # type: ignore[index]
            else:
                raise AssertionError(f"not a finite pattern: {op}")
            outs = [o + a for o in outs for a in alts]
        return outs

    return set(expand(list(p.parse(pattern))))


def _alternatives(compiled: re.Pattern[str]) -> str:
    """The ``(?:...)`` group of a fact pattern, without its ``\\b`` and look-ahead."""
    source = compiled.pattern
    return source[source.index("(?:") : source.rindex(")") + 1]


def test_fact_words_are_the_fact_verb_pattern() -> None:
    language = _language(_alternatives(sm._FACT_VERB).removesuffix(r"\b"))
    assert {w for w in language if " " not in w} == sm._FACT_WORDS
    assert {w for w in language if " " in w} == set(sm._FACT_PHRASES)


def test_number_words_are_the_number_pattern_without_digits() -> None:
    words = _language(r"(?:dozens|hundreds|thousands|millions|billions)")
    tail = sm._NUMBER.pattern[sm._NUMBER.pattern.index("|\\b(?:two") + 3 :].removesuffix(")")
    words |= _language(tail.removesuffix(r"\b"))
    assert words == sm._NUMBER_WORDS
    assert "dozens" in sm._NUMBER.pattern and "trillion" in sm._NUMBER.pattern


@pytest.mark.parametrize(
    "body",
    [
        "First line\r\nwraps here. Second\u00a0sentence!\n\nNew paragraph 。次の文。 end",
        "Heading Line\nA para\u200bgraph with i\u0307 and e\u0301 marks. sales.TimeWarner rose.",
        "  \u0301 starts with a mark.\nAnd goes on.\n\n\ufeffBOM here? Yes.",
    ],
)
def test_split_paragraph_is_split_sentences_of_a_paragraph(body: str) -> None:
    for par in paragraphs(body):
        assert paragraphs(par) == [par]
        assert split_paragraph(par) == split_sentences(par)
    assert [s for p in paragraphs(body) for s in split_paragraph(p)] == split_sentences(body)


def test_boilerplate_fast_path_on_random_lines() -> None:
    rng = random.Random(3)
    pieces = [
        *("read more", "Read More:", "appeared first on", "Originally published in"),
        *("sign up for our", "subscribe to our", "our newsletter", "All Rights Reserved"),
        *("Getty Images", "AP Photo", "reuters photo", "photo by", "pictured above", "photos:"),
        *("the", "port", "reopened", "©", "İ", "ſ", "Written by", "by", ".", "x"),
    ]
    for _ in range(5000):
        line = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        plain = bool(sm._BOILERPLATE.search(line)) or sm._is_byline(line)
        assert sm._is_boilerplate(line) == plain, line
