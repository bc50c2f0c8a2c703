"""Answer a question with one or two sentences from stored articles, or refuse.

Extractive on purpose: the answer is always text a publisher wrote, with its source, so a reader
can check it. Each candidate sentence is scored against the question by idf-weighted term
coverage (idf over the candidate sentences; the article's title and the sentence's neighbours
count as weaker context), proximity of the matched terms, and whether the sentence holds the
kind of thing the question asks for (a number for "how many", a date for "when", a name or a
group for "who", a place for "where", a cause for "why"). A sentence must also be about what
the question is about: hold (or have in its title) the question's rarest word by count over
the store, and state the attribute a "what is the X of Y" asks for. Below a calibrated
confidence the answer is empty: an unrelated sentence dressed up as an answer is worse than
none.

``answer`` is pure over candidate articles; ``ask`` fetches them from a store, from several
searches (all the words, each left out in turn, each alone), and counts the question's words.
Parts: ``question`` (what is asked), ``terms`` (how words match), ``evidence`` (answer types),
``topic`` (rarity and attributes), ``scoring`` (``answer``), ``retrieval`` (``ask``),
``result`` (what both return).
"""

from __future__ import annotations

from digests.ask.result import NO_ANSWER, Answer, AnswerSource
from digests.ask.retrieval import SearchableStore, ask, search_query
from digests.ask.scoring import MIN_CONFIDENCE, answer
from digests.ask.topic import TermCounts

__all__ = [
    "MIN_CONFIDENCE",
    "NO_ANSWER",
    "Answer",
    "AnswerSource",
    "SearchableStore",
    "TermCounts",
    "answer",
    "ask",
    "search_query",
]
