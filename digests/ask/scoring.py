"""Score every candidate sentence against a question and pick the answer, or none.

Pure over candidate articles: no store, no I/O. See the package docstring for the scoring.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from digests.ask.evidence import NUMBER, type_evidence, type_factor
from digests.ask.question import Question, parse_question
from digests.ask.result import NO_ANSWER, Answer, AnswerSource
from digests.ask.terms import Matcher, acronyms, content_keys
from digests.ask.topic import TermCounts, Topic, candidate_counts
from digests.models import StoredArticle
from digests.text import is_heading, split_sentences

log = logging.getLogger(__name__)


MIN_CONFIDENCE = 0.55
"""Below this the answer is empty. Calibrated on tests/ask/data and checked on the newsroom
store's questions (see bench/ask_eval.py: 0.5 and 0.6 do no better)."""

MAX_BODY_CHARS = 40_000  # of each article; news answers sit early, and pastes can be huge
MAX_CANDIDATES = 50
_SECOND_RATIO = 0.9  # a second sentence must score at least this share of the first
_COMPLEMENT_RATIO = 0.7  # ... or this much, when it holds the answer type the first lacks
# A question word found not in the sentence but in its article still says the sentence is about
# the asked thing: by how much, in the title, in the next or previous sentence, elsewhere.
_IN_TITLE, _NEAR, _IN_ARTICLE = 0.7, 0.5, 0.35
_CONTEXT = 0.5  # share of the score that comes from that context
# A conditional sentence ("If he did decide to ..., it would be") states no fact: its share.
_HYPOTHETICAL = 0.8
_CONDITIONAL = re.compile(r"^\W*(?:if|unless|should|were)\s", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    article: int  # index into the candidates
    index: int  # position in its article
    text: str
    keys: tuple[str, ...]  # content keys in order
    extra: frozenset[str]  # acronyms of its capitalised runs ("European Central Bank" -> "ecb")


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float
    matched: frozenset[str]
    evidence: float


@lru_cache(maxsize=512)
def _article_sentences(body: str) -> tuple[tuple[int, str, tuple[str, ...], frozenset[str]], ...]:
    """(position, text, keys, acronyms) of an article's answerable sentences, cached: the same
    stored articles come back for question after question."""
    out = []
    for i, text in enumerate(split_sentences(body[:MAX_BODY_CHARS])):
        if is_heading(text):
            continue
        keys = content_keys(text)
        if len(keys) >= 3:
            out.append((i, text, keys, acronyms(text)))
    return tuple(out)


def _sentences(candidates: Sequence[StoredArticle]) -> list[Sentence]:
    return [
        Sentence(a, i, text, keys, extra)
        for a, article in enumerate(candidates)
        for i, text, keys, extra in _article_sentences(article.body or "")
    ]


def _weights(
    q: Question,
    sentences: Sequence[Sentence],
    titles: Sequence[frozenset[str]],
    match: Matcher,
) -> dict[str, float]:
    """BM25 idf of each question term over the candidate sentences (titles count as ones).

    A common word found nowhere counts for half: likely the asker's paraphrase. A name found
    nowhere counts in full: the candidates are about something else.
    """
    sets = [frozenset(s.keys) | s.extra for s in sentences] + list(titles)
    n = len(sets)
    out: dict[str, float] = {}
    for t in q.terms:
        df = sum(1 for keys in sets if match(t.key, keys) > 0)
        w = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) * t.weight
        if df == 0 and not t.proper:
            w *= 0.5
        out[t.key] = w
    by_group: dict[int, list[str]] = {}
    for t in q.terms:
        if t.group >= 0:
            by_group.setdefault(t.group, []).append(t.key)
    for keys in by_group.values():  # a name of n words weighs as its rarest word, not n words
        total = sum(out[k] for k in keys)
        if total > 0:
            share = max(out[k] for k in keys) / total
            for k in keys:
                out[k] *= share
    return out


def _proximity(q_keys: frozenset[str], keys: Sequence[str]) -> float:
    """Matched terms close together (1.0) or spread across a long sentence (toward 0)."""
    positions = [i for i, k in enumerate(keys) if k in q_keys]
    if len(positions) < 2:
        return 0.0
    span = positions[-1] - positions[0] + 1
    return len(positions) / span


def score_all(
    q: Question, candidates: Sequence[StoredArticle], counts: TermCounts | None = None
) -> list[Scored]:
    sentences = _sentences(candidates)
    if not sentences or not q.terms:
        return []
    titles = [
        frozenset(content_keys(a.title or "")) | acronyms(a.title or "") for a in candidates
    ]
    bodies: list[set[str]] = [set() for _ in candidates]
    by_pos: dict[tuple[int, int], frozenset[str]] = {}
    for s in sentences:
        bodies[s.article].update(s.keys)
        bodies[s.article].update(s.extra)
        by_pos[(s.article, s.index)] = frozenset(s.keys) | s.extra
    body_sets = [frozenset(b) for b in bodies]
    match = Matcher(q.terms, frozenset().union(*body_sets, *titles))
    weights = _weights(q, sentences, titles, match)
    total = sum(weights.values()) or 1.0
    topic = Topic.of(
        q, counts or candidate_counts(q, titles, body_sets, match), from_store=counts is not None
    )
    q_keys = frozenset(t.key for t in q.terms)

    scored: list[Scored] = []
    for s in sentences:
        keys = by_pos[(s.article, s.index)]
        near = by_pos.get((s.article, s.index - 1), frozenset()) | by_pos.get(
            (s.article, s.index + 1), frozenset()
        )
        own = 0.0
        ctx = 0.0
        matched: set[str] = set()
        missing_proper = False
        for t in q.terms:
            w = weights[t.key]
            m = match(t.key, keys)
            if m:
                matched.add(t.key)
            c = max(
                m,
                _IN_TITLE * match(t.key, titles[s.article]),
                _NEAR * match(t.key, near),
                # a name only elsewhere in the article: the sentence is likely about another
                (_IN_ARTICLE / 2 if t.proper else _IN_ARTICLE) * match(t.key, body_sets[s.article]),
            )
            own += w * m
            ctx += w * c
            if t.proper and c == 0.0:
                missing_proper = True
        if not matched:
            continue
        coverage = (1 - _CONTEXT) * own / total + _CONTEXT * ctx / total
        evidence = type_evidence(s.text, q, keys, match)
        score = coverage * type_factor(evidence, q)
        score += 0.05 * _proximity(q_keys, s.keys)
        if q.numeric_hint and q.qtype in ("other", "entity") and not NUMBER.search(s.text):
            score *= 0.8  # "what is the price/rate/score": a sentence with no figure is weak
        if missing_proper:  # the question names something this article never mentions
            score *= 0.6
        score *= topic.factor(match, keys, titles[s.article])
        if _CONDITIONAL.match(s.text):
            score *= _HYPOTHETICAL  # "If he did decide to ..., it would be": states no fact
        if len(s.keys) > 40:  # run-on sentences match anything
            score *= 40 / len(s.keys)
        scored.append(Scored(s, min(score, 1.0), frozenset(matched), evidence))
    scored.sort(key=lambda x: (-x.score, x.sentence.article, x.sentence.index))
    return scored


def _adds_to(first: Scored, second: Scored) -> bool:
    """The second sentence brings question terms or answer-type evidence the first lacks."""
    if second.sentence.text == first.sentence.text:
        return False
    a, b = set(first.sentence.keys), set(second.sentence.keys)
    if len(a & b) / max(1, len(a | b)) > 0.6:
        return False  # the same fact twice, e.g. a story syndicated in two feeds
    return bool(second.matched - first.matched) or second.evidence > first.evidence


def _second(best: Scored, rest: Sequence[Scored]) -> Scored | None:
    """A second sentence only when it adds to the first and is nearly as good.

    When the best sentence matches the question but lacks what it asks for (a name, a date, a
    cause), a sentence of the same article that has it may follow with a lower score: "the
    signing of a declaration ..." then "Minister Laura Sarabia officiated the signing".
    """
    for other in rest[:4]:
        if other.score < _SECOND_RATIO * best.score:
            break
        if _adds_to(best, other):
            return other
    if best.evidence < 1.0:
        for other in rest:
            if other.score < _COMPLEMENT_RATIO * best.score:
                break
            if other.evidence >= 1.0 and other.sentence.article == best.sentence.article:
                return other
    return None


def answer(
    question: str,
    candidates: Sequence[StoredArticle],
    *,
    min_confidence: float = MIN_CONFIDENCE,
    counts: TermCounts | None = None,
) -> Answer:
    """The best one or two sentences of ``candidates`` answering ``question``, or an empty one.

    ``counts``: how many stored articles hold each question term (``ask`` counts them); else
    they are counted over the candidates (see ``topic``).
    Never raises on odd input (empty, huge, markup, any script): it just finds no answer.
    """
    if not question or not question.strip() or not candidates:
        return NO_ANSWER
    candidates = candidates[:MAX_CANDIDATES]
    q = parse_question(question)
    scored = score_all(q, candidates, counts)
    if not scored or scored[0].score < min_confidence:
        log.debug("ask: no answer (best %.3f)", scored[0].score if scored else 0.0)
        return NO_ANSWER
    best = scored[0]
    second = _second(best, scored[1:])
    chosen = [best] if second is None else [best, second]
    if len(chosen) == 2 and chosen[1].sentence.article == best.sentence.article:
        chosen.sort(key=lambda x: x.sentence.index)  # reading order within one article
    sources = tuple(
        AnswerSource(
            title=candidates[c.sentence.article].title,
            url=candidates[c.sentence.article].url,
            sentence=c.sentence.text,
        )
        for c in chosen
    )
    return Answer(
        answer=" ".join(s.sentence for s in sources),
        sources=sources,
        confidence=round(best.score, 4),
    )
