"""Whether a sentence is about what the question asks, judged by how rare its words are.

Counted over the whole store (``ask`` counts them), the rarest word of a question is what it is
about: "moon" in "What is the capital of the moon?", "Antarctica" in "Who is the president of
Antarctica?". A sentence that holds neither it nor an article title holding it answers another
question, however many common words it shares. Other rare words ("invented" in "Who invented
the telephone?") cost less when missing; so does the attribute a "what is the X of Y" question
asks for ("capital"), when the sentence does not state it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digests.ask.question import Question
from digests.ask.terms import Matcher

# What a sentence keeps of its score when it (and its article's title) lacks the question's
# rarest word; lacks another rare word (one in at most _SPECIFIC of the counting cap); or does
# not state the attribute asked for.
_OFF_TOPIC = 0.5
_RARE_SHARE = 0.25  # the rarest word is what a question is about if in at most this share
_MISSING_SPECIFIC = 0.7
_SPECIFIC = 0.5
_SPECIFIC_SHARE = 0.02  # ... and in at most this share of the store's articles
_NO_ATTRIBUTE = 0.6
# A store of this many articles holds every common word: one in none of them is what the
# question is about and the store never mentions (or a typo), not a paraphrase.
_KNOWN_VOCABULARY = 200
_FOUND = 0.9  # a match at least this good holds the word ("deported"/"deportations")


@dataclass(frozen=True)
class TermCounts:
    """How many stored articles hold each question term (by key), counted up to ``cap``: a
    count of ``cap`` means "at least", i.e. a common word. Terms not counted are absent.
    ``total``: how many articles there are, when known (a word in 8 of 14 is common)."""

    counts: Mapping[str, int]
    cap: int
    total: int | None = None


def candidate_counts(
    q: Question, titles: Sequence[frozenset[str]], bodies: Sequence[frozenset[str]], match: Matcher
) -> TermCounts:
    """Term counts over the candidates themselves, when the store's are not known."""
    return TermCounts(
        {
            t.key: sum(1 for ti, b in zip(titles, bodies, strict=True) if match(t.key, ti | b))
            for t in q.terms
        },
        len(titles),
    )


@dataclass(frozen=True)
class Topic:
    """The keys a sentence must hold to be about the question."""

    rarest: frozenset[str]  # one of these, in the sentence or its article's title
    specific: frozenset[str]  # each of these, or the sentence costs _MISSING_SPECIFIC
    attribute: frozenset[str]  # one of these, in the sentence itself
    unknown: frozenset[str] = frozenset()  # in no stored article: each, or _OFF_TOPIC

    @classmethod
    def of(cls, q: Question, counts: TermCounts, *, from_store: bool) -> Topic:
        """The question's rarest counted terms (in at least one article, fewer than the cap and
        a quarter of the store; none when every term is common) and, with the store's counts,
        its other rare ones (counted over a few candidates, every word looks rare) and those in
        no article of a store big enough to hold every common word."""
        found = {
            t.key: counts.counts[t.key]
            for t in q.terms
            if counts.counts.get(t.key, 0) > 0 and t.weight == 1.0  # not "people", "new"
        }
        least = min(found.values(), default=counts.cap)
        rare = least < counts.cap and (counts.total is None or least <= counts.total * _RARE_SHARE)
        rarest = frozenset(k for k, n in found.items() if rare and n == least)
        most = counts.cap * _SPECIFIC
        if counts.total is not None:
            most = min(most, counts.total * _SPECIFIC_SHARE)
        specific = frozenset(k for k, n in found.items() if from_store and n <= most)
        unknown: frozenset[str] = frozenset()
        if from_store and (counts.total or 0) >= _KNOWN_VOCABULARY:
            unknown = frozenset(
                t.key for t in q.terms if counts.counts.get(t.key) == 0 and t.weight == 1.0
            )
        return cls(rarest, specific - rarest, q.attribute, unknown)

    def factor(self, match: Matcher, keys: frozenset[str], title: frozenset[str]) -> float:
        """What share of its score a sentence (its keys, its article's title) keeps."""
        factor = 1.0
        if self.rarest and not any(
            max(match(k, keys), match(k, title)) >= _FOUND for k in self.rarest
        ):
            factor *= _OFF_TOPIC
        for k in self.specific:
            if max(match(k, keys), match(k, title)) < _FOUND:
                factor *= _MISSING_SPECIFIC
        for k in self.unknown:  # held by no article as asked; maybe in another form
            if max(match(k, keys), match(k, title)) < _FOUND:
                factor *= _OFF_TOPIC
        # "ceo" and "pm" stand for attribute words ("chief executive"): looked up as they are
        if self.attribute and not any(
            k in keys or match(k, keys) >= _FOUND for k in self.attribute
        ):
            factor *= _NO_ATTRIBUTE  # "the capital of the moon" asked, "a Moon city" found
        return factor
