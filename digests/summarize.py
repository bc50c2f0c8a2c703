"""Extractive summary and key facts of one article: pure, deterministic, no model, no network.

Why this scoring: on news the lead is hard to beat (FACTS.md), so position is a strong prior;
TF-IDF centrality (cosine to the whole article) keeps sentences on the main thread and weighs
most on the BBC set (bench/rouge.py); the title and the article's own subheadings say what the
writer thought mattered, and a section's first sentence leads that section; concrete facts
(numbers, agreements, arrests) nudge ties. MMR then drops sentences that repeat one already
chosen. Sentences are copied verbatim and returned in their original order, so a summary never
says what the text does not.

An empty body (or one with nothing but headings and boilerplate) gives ``Summary("", ())``: the
digest already shows the title, so repeating it as the summary would add nothing. Key facts
leave out the sentences the summary already quotes, so a digest never shows a line twice; a
one-sentence feed item therefore has a summary and no key facts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import mul

from digests.errors import UsageError
from digests.models import Summary
from digests.text import (
    STOPWORDS,
    collapse_ws,
    content_tokens,
    is_heading,
    paragraphs,
    split_paragraph,
)

__all__ = ["MAX_KEY_FACTS", "MAX_SUMMARY_CHARS", "key_facts", "sentences_of", "summarize"]

MAX_SUMMARY_CHARS = 600
MAX_KEY_FACTS = 5
_MAX_BODY_CHARS = 60_000
_MAX_SENTENCES = 300  # later sentences almost never make a summary; bounds the work per article
_NEAR_DUPLICATE = 0.8  # TF-IDF cosine above which a sentence only repeats a chosen one
_MIN_WORDS = 6
_MAX_CHARS = 400
_MIN_FACT_SCORE = 2.5
_FACT_REPEAT = 0.75  # share of terms two facts may have in common before one is a repeat
_FACT_CLAUSE_CHARS = 200  # longer fact sentences are trimmed to their fact-bearing clauses
# A bullet of the article's list ("- 42 arrested") is no part of the fact: renderers list facts
# themselves, and Markdown would show "- \\- 42 arrested".
_LIST_MARKER = re.compile(r"^(?:[-*•]\s+)+")

# Weights of the sentence score; position leads (see module docstring).
_W_POSITION = 2.0
_W_TITLE = 1.5
_W_HEADING = 0.4
_W_CENTRAL = 3.0
_W_FACT = 0.1
_W_SECTION_LEAD = 0.2
_MMR_LAMBDA = 0.85
_POSITION_DECAY = 0.5

_BOILERPLATE_LEAD = (  # at the start of a line
    r"^(?:read (?:more|the full)|continue reading|subscribe|sign up|click here|follow us|"
    r"share (?:this|on)|advertisement|related(?: articles| stories)?:|see also|"
    r"all rights reserved|copyright|©|image (?:caption|copyright|source)|media caption|"
    r"(?:photo|image|picture|video|credit|source)s?\s*:|watch:|listen:|"
    r"(?:written|reporting|additional reporting|edited) by)"
)
_BOILERPLATE_ANYWHERE = (
    r"\b(?=[AaOoSsGgRrEePp])(?:appeared first on|originally (?:appeared|published) (?:on|in)|"
    r"sign up for our|subscribe to our|our newsletter|all rights reserved|"
    r"(?:getty|ap|afp|reuters|epa) (?:images|photo)|photo by|pictured above)\b"
)
_BOILERPLATE = re.compile(_BOILERPLATE_LEAD + "|" + _BOILERPLATE_ANYWHERE, re.IGNORECASE)
_BYLINE = re.compile(
    r"^by\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})*\s*[,|-]?\s*\S{0,40}$"
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
)
# Each fact pattern opens with a look-ahead for the first characters its alternatives can start
# with: the same matches, but most positions are rejected by one class test instead of trying
# every alternative (these patterns run on every sentence of every article at ingest).
_NUMBER = re.compile(
    r"(?=[$£€¥\dDdHhTtMmBbFfSsEeNn])(?:"
    r"[$£€¥]\s?\d|\d[\d,.]*\s?(?:%|per ?cent|percent)|\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\b"
    r"|\b(?:dozens|hundreds|thousands|millions|billions)\b"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|fifty|hundred|thousand|"
    r"million|billion|trillion)\b)",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\b(?=[MmOoAaNnUuFfLl])"
    r"(?:more than|over|at least|nearly|almost|about|around|up to|fewer than|less than)\s+"
    r"(?:[$£€]?\d|one|two|three|four|five|six|seven|eight|nine|ten|a (?:dozen|hundred|thousand|"
    r"million|billion))",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?=[JjFfMmAaSsOoNnDdTtWw\d])"
    rf"(?:(?:{_MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{_MONTHS})\b|(?:19|20)\d{{2}}\b|"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))",
    re.IGNORECASE,
)
_FACT_VERB = re.compile(
    r"\b(?=[SsAaDdTtPpCcIiEeRrKkWwBbFfVvLlMm])"
    r"(?:sign(?:ed|s|ing)?|agree(?:d|s|ment)|deal|treaty|accord|declaration|pact|"
    r"arrest(?:ed|s)?|detain(?:ed|s)?|charg(?:ed|es)|convict(?:ed|ion)|sentenc(?:ed|e)|"
    r"indict(?:ed|ment)|extradit(?:ed|ion)|deport(?:ed|ation|ations|s)?|expel(?:led)?|"
    r"seiz(?:ed|ure|ures|es)|confiscat(?:ed|ion)|raid(?:ed|s)?|dismantl(?:ed|es)|"
    r"kill(?:ed|ing|s)?|dead|died|deaths?|injur(?:ed|ies)|wounded|shot|bomb(?:ed|ing)|"
    r"attack(?:ed|s)?|fined|banned|approved|passed|voted|elected|resign(?:ed|s)|"
    r"launch(?:ed|es)|announc(?:ed|es)|met|meeting with|visited|talks with)\b",
    re.IGNORECASE,
)
_CLAUSE_SPLIT = re.compile(
    r"(?:;\s+|\s+[—–]\s+|,\s+(?=(?:and|but|while|whereas|which|who|when|after|although|"
    r"though|despite|including|helped|as)\b))"
)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The fact patterns run on every sentence of every article at ingest, and case-insensitive
# matching is the slow part: on lowercased text the same patterns without IGNORECASE find the
# same matches (all their letters are lowercase), except around the four characters below,
# whose lowercase is longer or ASCII, or which IGNORECASE equates with an ASCII letter.
_CASE_UNSAFE = re.compile("[\u0130\u0131\u017f\u212a]")
_NUMBER_LC = re.compile(_NUMBER.pattern)
_QUANTITY_LC = re.compile(_QUANTITY.pattern)
_DATE_LC = re.compile(_DATE.pattern)
# And most sentences hold no digit: the words below let those skip the number, quantity and
# date patterns, and fact verbs are counted by word. Each set holds every word its pattern can
# match without a digit (tests/summarize/test_fast_paths.py derives them from the patterns).
_FACT_WORDS = _word_set(
    """
    accord agreed agreement agrees announced announces approved arrest arrested arrests attack
    attacked attacks banned bombed bombing charged charges confiscated confiscation convicted
    conviction dead deal death deaths declaration deport deportation deportations deported
    deports detain detained detains died dismantled dismantles elected expel expelled
    extradited extradition fined indicted indictment injured injuries kill killed killing kills
    launched launches met pact passed raid raided raids resigned resigns seized seizes seizure
    seizures sentence sentenced shot sign signed signing signs treaty visited voted wounded
    """
)
_FACT_PHRASES = ("meeting with", "talks with")  # _FACT_VERB's two-word forms
_FACT_PHRASE = re.compile(r"\b(?:meeting with|talks with)\b")  # found with `in` first
_NUMBER_WORDS = _word_set(
    "dozens hundreds thousands millions billions two three four five six seven eight nine ten "
    "twelve twenty fifty hundred thousand million billion trillion"
)
# _QUANTITY needs a digit or one of these after its "more than", "about", ... (as a prefix:
# "about sixty" matches "about six"), so a text holding none of them needs no _QUANTITY.
_QUANTITY_NUMBER = re.compile(  # a plain alternation of words: scanned for quickly
    "one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion"
)
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_CURRENCY = re.compile("[$£€¥]")
_BOILERPLATE_LEAD_LC = re.compile(_BOILERPLATE_LEAD)
_BOILERPLATE_ANYWHERE_LC = re.compile(_BOILERPLATE_ANYWHERE)
# Every phrase of _BOILERPLATE_ANYWHERE holds one of these: a text with none skips its scan.
_BOILERPLATE_HINTS = (
    *("appeared", "originally", "sign up", "subscribe", "newsletter", "rights reserved"),
    *("images", "photo", "pictured"),
)
_NAME_STRIP = "\"'“”‘’(),.;:!?"
# A whitespace-separated word whose first character after leading punctuation may be a
# capital (ASCII A-Z or any non-ASCII letter; str.isupper decides): name candidates only.
_NAME_CANDIDATE = re.compile(r"(?<!\S)[" + re.escape(_NAME_STRIP) + r"]*[^\s\x00-@\[-\x7f]\S*")
_FIRST_WORD = re.compile(r"\s*\S*")


@dataclass(frozen=True)
class _Sentence:
    """One candidate sentence with where it stands and what it says."""

    index: int  # order among candidate sentences
    text: str
    terms: tuple[str, ...]
    heading: str  # the subheading above it, "" when none
    opens_section: bool  # first sentence under a subheading: that section's lead


def summarize(title: str, body: str, *, max_sentences: int = 3) -> Summary:
    """Summary of at most ``max_sentences`` sentences (<= 600 chars) and up to 5 key facts.

    ``max_sentences=0`` gives key facts only.
    """
    if max_sentences < 0:
        raise UsageError(f"max_sentences must be 0 or more, not {max_sentences}")
    sentences = _candidates(title, body)
    if not sentences:
        return Summary("", ())
    facts: dict[str, _Facts] = {}  # scored once per text, shared by ranking and key facts
    chosen = _select(title, sentences, max_sentences, facts) if max_sentences else []
    text = " ".join(s.text for s in chosen)
    if len(text) > MAX_SUMMARY_CHARS:  # only when one sentence alone is over the cap
        text = _truncate(text, MAX_SUMMARY_CHARS)
    taken = {s.text for s in chosen}
    rest = [(s.text, s.terms) for s in sentences if s.text not in taken]
    return Summary(text, _key_facts(rest, MAX_KEY_FACTS, facts))


def sentences_of(title: str, body: str) -> list[str]:
    """The body's sentences a summary may quote: no headings, bylines, captions, boilerplate."""
    return [s.text for s in _candidates(title, body)]


def key_facts(sentences: Iterable[str], *, limit: int = MAX_KEY_FACTS) -> tuple[str, ...]:
    """The sentences (or their clauses) that carry numbers, agreements, arrests, deaths, meetings.

    Long sentences are trimmed to the clauses holding the facts; the strongest ``limit`` are kept,
    in text order, without near-repeats.
    """
    return _key_facts([(s, None) for s in sentences], limit, {})


def _key_facts(
    sentences: Sequence[tuple[str, tuple[str, ...] | None]],
    limit: int,
    facts: dict[str, _Facts],
) -> tuple[str, ...]:
    """``key_facts`` over (sentence, its content tokens when known), with a fact cache."""
    scored: list[tuple[float, int, str, tuple[str, ...] | None]] = []
    for i, (sentence, sentence_terms) in enumerate(sentences):
        if not _may_hold_event(sentence):
            continue  # nor does any clause of it: under the fact threshold whatever its names
        fact = _fact_clause(sentence)
        score, event = _cached_facts(fact, facts)
        if score >= _MIN_FACT_SCORE and event:
            scored.append((score, i, fact, sentence_terms if fact == sentence else None))
    scored.sort(key=lambda x: (-x[0], x[1]))
    kept: list[tuple[int, str, set[str]]] = []
    for _score, i, fact, known in scored:
        terms = set(content_tokens(fact) if known is None else known)
        if any(_overlap(terms, other) > _FACT_REPEAT for _j, _f, other in kept):
            continue
        kept.append((i, fact, terms))
        if len(kept) >= limit:
            break
    return tuple(_LIST_MARKER.sub("", fact) for _i, fact, _t in sorted(kept, key=lambda x: x[0]))


def _candidates(title: str, body: str) -> list[_Sentence]:
    """Sentences worth quoting, in order; short fragments only when nothing better exists."""
    if len(body) > _MAX_BODY_CHARS:  # a runaway body (a dump, not an article): read its start
        cut = body.rfind("\n", 0, _MAX_BODY_CHARS)
        body = body[: cut if cut > _MAX_BODY_CHARS // 2 else _MAX_BODY_CHARS]
    title_key = _key(title)
    found: list[tuple[str, str]] = []
    seen = {title_key}
    heading = ""
    standfirsts: list[tuple[str, str]] = []
    for par in paragraphs(body):
        if is_heading(par) or _is_byline(par):
            if is_heading(par):
                heading = par
                if _is_sentence_case(par) and _key(par) not in seen and not _is_boilerplate(par):
                    standfirsts.append((par, ""))
            continue
        for sentence in split_paragraph(par):
            # The splitter's sentences have their whitespace collapsed already.
            key = sentence.casefold().rstrip(_KEY_END)
            if key in seen or _is_boilerplate(sentence):
                continue  # repeats (pull quotes, the title again) and boilerplate
            seen.add(key)
            found.append((sentence, heading))
        if len(found) >= _MAX_SENTENCES:
            break
    good = [(s, h) for s, h in found if len(s.split()) >= _MIN_WORDS and len(s) <= _MAX_CHARS]
    # A feed item's only text is often a standfirst without a full stop ("Though small, they
    # have large megaphones"): quote it rather than nothing.
    pool = good or found or standfirsts[:1]
    out: list[_Sentence] = []
    for i, (s, h) in enumerate(pool):
        opens = bool(h) and (i == 0 or pool[i - 1][1] != h)
        out.append(_Sentence(i, s, tuple(content_tokens(s)), h, opens))
    return out


def _select(
    title: str, sentences: Sequence[_Sentence], k: int, facts: dict[str, _Facts]
) -> list[_Sentence]:
    """Score every sentence, then pick greedily by MMR within the length cap; text order out."""
    if len(sentences) == 1:
        return list(sentences)  # the first pick is always taken: nothing to rank
    idf = _idf([s.terms for s in sentences])
    vectors = [_tfidf(s.terms, idf) for s in sentences]
    if _all_fit(sentences, vectors, k):
        return list(sentences)
    centroid = _tfidf([t for s in sentences for t in s.terms], idf)
    title_vec = _tfidf(content_tokens(title), idf)
    heading_vecs = {h: _tfidf(content_tokens(h), idf) for h in {s.heading for s in sentences}}
    # Scores without their fact term (at most _MAX_FACT_TERM), which needs the fact patterns:
    # MMR asks for a sentence's full score only when the sentence could still win a round.
    bases = []
    for s, vec in zip(sentences, vectors, strict=True):
        position = (1.0 + s.index) ** -_POSITION_DECAY
        heading_sim = _cosine(vec, heading_vecs[s.heading]) if s.heading else 0.0
        bases.append(
            _W_POSITION * position
            + _W_TITLE * _cosine(vec, title_vec)
            + _W_HEADING * heading_sim
            + _W_SECTION_LEAD * s.opens_section
            + _W_CENTRAL * _cosine(vec, centroid)
        )

    def score(i: int) -> float:
        return bases[i] + _fact_term(_cached_facts(sentences[i].text, facts)[0])

    return [sentences[i] for i in sorted(_mmr(bases, score, vectors, sentences, k))]


def _fact_term(fact_score: float) -> float:
    return _W_FACT * min(fact_score, 4.0) / 4.0


_MAX_FACT_TERM = _fact_term(4.0)


def _mmr(
    bases: Sequence[float],
    score: Callable[[int], float],
    vectors: Sequence[_Vector],
    sentences: Sequence[_Sentence],
    k: int,
) -> list[int]:
    """Greedy MMR: each round takes the sentence with the best ``λ·score − (1−λ)·closest``
    (closest: its highest cosine to a sentence already chosen; ties to the earlier sentence),
    skipping near-duplicates and sentences that would break the length cap. ``score(i)`` is
    ``bases[i]`` plus at most ``_MAX_FACT_TERM``.

    Lazily: candidates are visited by their bound ``λ·(base + _MAX_FACT_TERM)`` (closest >= 0),
    and a round stops once no bound can beat the best value found, so a long article costs a
    few scores and cosines per round instead of one per sentence. Same picks as scoring every
    candidate every round.
    """
    bounds = [_MMR_LAMBDA * (b + _MAX_FACT_TERM) for b in bases]
    order = sorted(range(len(bases)), key=lambda i: (-bounds[i], i))
    scores: dict[int, float] = {}
    closest: dict[int, float] = {}  # sentence -> highest cosine to chosen[:compared[sentence]]
    compared: dict[int, int] = {}
    chosen: list[int] = []
    taken: set[int] = set()
    length = 0
    while len(chosen) < k and len(taken) < len(bases):
        best, best_key = -1, (-math.inf, 0)
        for i in order:
            bound = bounds[i]
            if (bound, -i) < best_key:
                if bound < best_key[0]:
                    break  # bounds only fall from here on
                continue
            if i in taken:
                continue
            if i not in scores:
                scores[i] = score(i)
            near = closest.get(i, 0.0)
            for c in chosen[compared.get(i, 0) :]:
                near = max(near, _cosine(vectors[i], vectors[c]))
            closest[i], compared[i] = near, len(chosen)
            key = (_MMR_LAMBDA * scores[i] - (1 - _MMR_LAMBDA) * near, -i)
            if key > best_key:
                best, best_key = i, key
        taken.add(best)
        if closest.get(best, 0.0) > _NEAR_DUPLICATE:
            continue
        extra = len(sentences[best].text) + (1 if chosen else 0)
        if chosen and length + extra > MAX_SUMMARY_CHARS:
            continue
        chosen.append(best)
        length += extra
    return chosen


def _all_fit(sentences: Sequence[_Sentence], vectors: Sequence[_Vector], k: int) -> bool:
    """Whether MMR would take every sentence whatever their scores: few enough, short enough
    together, and no two near-duplicates. Short feed items then skip the scoring."""
    n = len(sentences)
    if n > k or sum(len(s.text) for s in sentences) + n - 1 > MAX_SUMMARY_CHARS:
        return False
    return not any(
        _cosine(vectors[i], vectors[j]) > _NEAR_DUPLICATE
        for i in range(n)
        for j in range(n)
        if i != j
    )


def _idf(docs: Sequence[Sequence[str]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for terms in docs:
        df.update(set(terms))
    n = len(docs)
    return {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}


@dataclass(frozen=True, slots=True)
class _Vector:
    """TF-IDF weights with their norm, computed once: MMR takes many cosines per sentence."""

    weights: dict[str, float]
    norm: float


# The vector maths below iterates with map() rather than generator expressions: the same
# products summed in the same order (so the same floats), without a Python frame per term.


def _tfidf(terms: Iterable[str], idf: dict[str, float]) -> _Vector:
    counts = Counter(terms)
    keys = counts.keys()
    weights = dict(
        zip(keys, map(mul, counts.values(), map(idf.get, keys, repeat(1.0))), strict=True)
    )
    values = weights.values()
    return _Vector(weights, math.sqrt(sum(map(mul, values, values))))


def _cosine(a: _Vector, b: _Vector) -> float:
    x, y = a.weights, b.weights
    if not x or not y:
        return 0.0
    if len(x) > len(y):
        x, y = y, x
    dot = sum(map(mul, x.values(), map(y.get, x.keys(), repeat(0.0))))
    if dot == 0.0:
        return 0.0
    return dot / (a.norm * b.norm)


_Facts = tuple[float, bool]  # fact score, and whether there is an event (see _facts)


def _cached_facts(text: str, cache: dict[str, _Facts]) -> _Facts:
    found = cache.get(text)
    if found is None:
        found = cache[text] = _facts(text)
    return found


def _facts(text: str) -> _Facts:
    """How much concrete fact a sentence carries (numbers, dates, fact verbs, named entities),
    and whether it has an event: names alone make no fact, it takes a number, a date or an
    action verb."""
    if _CASE_UNSAFE.search(text):
        plain_numbers = len(_NUMBER.findall(text))
        numbers = plain_numbers + len(_QUANTITY.findall(text))
        verbs = len(_FACT_VERB.findall(text))
        dates = 1 if _DATE.search(text) else 0  # only whether there is one counts
    else:
        plain_numbers, numbers, verbs, dates = _facts_lowercase(text.lower())
    names = len(_names(text))
    score = 1.5 * min(numbers, 3) + 1.0 * min(verbs, 2) + 0.5 * min(names, 4) + 0.5 * dates
    return score, bool(plain_numbers or verbs or dates)


def _facts_lowercase(text: str) -> tuple[int, int, int, int]:
    """Plain numbers, numbers, fact verbs, dates (0 or 1) of a lowercased, case-safe text:
    what the patterns find, with the patterns run only where they can match."""
    words = _WORD.findall(text)
    verbs = sum(map(_FACT_WORDS.__contains__, words))
    if _FACT_PHRASES[0] in text or _FACT_PHRASES[1] in text:
        verbs += len(_FACT_PHRASE.findall(text))
    digit = _DIGIT.search(text) is not None
    plain_numbers = numbers = 0
    if digit or _CURRENCY.search(text) or not _NUMBER_WORDS.isdisjoint(words):
        plain_numbers = numbers = len(_NUMBER_LC.findall(text))
    if digit or _QUANTITY_NUMBER.search(text):
        numbers += len(_QUANTITY_LC.findall(text))
    dates = 1 if (digit or "day" in text) and _DATE_LC.search(text) else 0
    return plain_numbers, numbers, verbs, dates


_EVENT_WORDS = _FACT_WORDS | _NUMBER_WORDS


def _may_hold_event(text: str) -> bool:
    """False only when ``text`` (and so any part of it) has no event (no number, fact verb or
    date): its fact score is then its names' alone, at most 2.0, under ``_MIN_FACT_SCORE``.
    A cheap test that spares most sentences the fact patterns and the name scan."""
    if _CASE_UNSAFE.search(text):
        return True
    lower = text.lower()
    if _DIGIT.search(lower) or "day" in lower or _FACT_PHRASES[0] in lower:
        return True
    if _FACT_PHRASES[1] in lower:
        return True
    return not _EVENT_WORDS.isdisjoint(_WORD.findall(lower))


def _fact_score(text: str) -> float:
    return _facts(text)[0]


def _names(text: str) -> set[str]:
    """Capitalised words after the first: a cheap stand-in for people, places, organisations."""
    first = _FIRST_WORD.match(text)
    start = first.end() if first else 0
    words = [w.strip(_NAME_STRIP) for w in _NAME_CANDIDATE.findall(text, start)]
    return {w for w in words if w[:1].isupper() and w.lower() not in STOPWORDS}


def _fact_clause(sentence: str) -> str:
    """A long sentence cut down to the span of clauses that carry its facts."""
    if len(sentence) <= _FACT_CLAUSE_CHARS:
        return sentence
    clauses = [c for c in _CLAUSE_SPLIT.split(sentence) if c.strip()]
    if len(clauses) < 2:
        return sentence
    scores = [_fact_score(c) for c in clauses]
    best = max(range(len(clauses)), key=lambda i: (scores[i], -i))
    lo = hi = best
    # Grow the span while neighbours also carry facts and the span stays short.
    while lo > 0 and scores[lo - 1] >= 1.5 and _span_len(clauses, lo - 1, hi) <= _FACT_CLAUSE_CHARS:
        lo -= 1
    while (
        hi + 1 < len(clauses)
        and scores[hi + 1] >= 1.5
        and _span_len(clauses, lo, hi + 1) <= _FACT_CLAUSE_CHARS
    ):
        hi += 1
    start = sentence.find(clauses[lo])
    end = sentence.find(clauses[hi], start) + len(clauses[hi])
    span = sentence[start:end].strip(" ,;—–")
    span = re.sub(r"^(?:and|but|while|whereas)\s+", "", span)
    return span if len(span.split()) >= 4 else sentence


def _span_len(clauses: Sequence[str], lo: int, hi: int) -> int:
    return sum(len(c) + 2 for c in clauses[lo : hi + 1])


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller term set found in the other: 1.0 when one fact repeats another."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _is_sentence_case(line: str) -> bool:
    """A line that reads as a sentence, not a title: few capitalised words, at least four."""
    words = line.split()
    capitalised = sum(1 for w in words[1:] if w[:1].isupper() or w[:1].isdigit())
    return len(words) >= 4 and capitalised <= (len(words) - 1) / 3


def _is_boilerplate(sentence: str) -> bool:
    if _CASE_UNSAFE.search(sentence):
        found = bool(_BOILERPLATE.search(sentence))
    else:
        lower = sentence.lower()
        found = bool(_BOILERPLATE_LEAD_LC.match(lower)) or (
            _has_any(lower, _BOILERPLATE_HINTS) and bool(_BOILERPLATE_ANYWHERE_LC.search(lower))
        )
    return found or _is_byline(sentence)


def _has_any(text: str, parts: Sequence[str]) -> bool:
    return any(map(text.__contains__, parts))


def _is_byline(line: str) -> bool:
    return len(line) <= 80 and bool(_BYLINE.match(line))


_KEY_END = ".!?…: "


def _key(text: str) -> str:
    return collapse_ws(text).casefold().rstrip(_KEY_END)


def _truncate(text: str, limit: int) -> str:
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"
