"""The glue between a question and a store: which articles become candidates, and how many
stored articles hold each question word.

A question's words are often common ("Who launched the attack on the army base?"): the article
that answers may lack one of them ("launched"), while articles holding all of them by chance
say nothing useful. So candidates come from several searches, merged: all the words (when
those find fewer than a full page, as in a store that needs every word, each word is left out
in turn too); and each word alone, the rarest first. The one-word searches also count, up to
``PROBE_LIMIT``, the stored articles holding each word: the scorer needs that rarity to know
which word is what the question is about ("moon" in "the capital of the moon").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from itertools import zip_longest
from typing import Protocol

from digests.ask.question import parse_question
from digests.ask.result import NO_ANSWER, Answer
from digests.ask.scoring import answer
from digests.ask.terms import fold, term_key
from digests.ask.topic import TermCounts
from digests.models import StoredArticle
from digests.text import tokens

SEARCH_LIMIT = 20  # articles per multi-word search: the best sentence may sit lower down
PROBE_LIMIT = 30  # articles per one-word search, and the count beyond which a word is common
PROBE_CANDIDATES = 10  # of a one-word search's hits, the best become candidates
MAX_MERGED = 40  # candidates from all the searches: each costs scoring time
MAX_QUERY_WORDS = 12
MAX_PROBES = 8  # words counted one by one (the rest of a long question is left uncounted)
MAX_LEAVE_ONE_OUT = 6  # searches with one word left out, when all the words find little


class _Hit(Protocol):
    @property
    def article(self) -> StoredArticle: ...


class SearchableStore(Protocol):
    """The one store method ``ask`` needs (``digests.store.Store`` has it)."""

    def search(
        self,
        query: str,
        *,
        topic: str | None = ...,
        since: datetime | None = ...,
        limit: int = ...,
    ) -> Sequence[_Hit]: ...


def _query_words(question: str) -> list[tuple[str, str]]:
    """(word as written, its term key) for each content word, safe for any full-text syntax."""
    q = parse_question(question)
    keep = {t.key for t in q.terms}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for tok in tokens(q.text):
        folded = fold(tok)
        key = term_key(tok)
        if key in keep and folded not in seen and re.fullmatch(r"\w+", tok):
            seen.add(folded)
            out.append((tok, key))
    return out[:MAX_QUERY_WORDS]


def search_query(question: str) -> list[str]:
    """The question's content words as plain words, safe for any full-text syntax."""
    return [word for word, _ in _query_words(question)]


def ask(
    question: str,
    store: SearchableStore,
    *,
    topic: str | None = None,
    since: datetime | None = None,
    limit: int = SEARCH_LIMIT,
) -> Answer:
    """Search the store with the question's content words, then pick the answer among the hits
    (see the module docstring for the searches)."""
    pairs = _query_words(question)
    if not pairs:
        return NO_ANSWER

    def search(words: Sequence[str], n: int) -> list[StoredArticle]:
        hits = store.search(" ".join(words), topic=topic, since=since, limit=n)
        return [hit.article for hit in hits]

    words = [w for w, _ in pairs]
    probes = {w: search([w], PROBE_LIMIT) for w in words[:MAX_PROBES]}
    counts: dict[str, int] = {}
    for word, key in pairs:
        if word in probes:  # a key's count is its most frequent form's ("Bogota"/"Bogotá")
            counts[key] = max(counts.get(key, 0), len(probes[word]))
    lists = [search(words, limit)] if len(words) > 1 else []
    if len(words) >= 3 and len(lists[0]) < limit:
        by_rarity = sorted(words, key=lambda w: len(probes.get(w, ())) or PROBE_LIMIT)
        for left_out in by_rarity[::-1][:MAX_LEAVE_ONE_OUT]:
            lists.append(search([w for w in words if w != left_out], limit))
    # a word alone brings its best few articles: those of a common word are mostly noise
    lists.extend(hits[:PROBE_CANDIDATES] for hits in sorted(probes.values(), key=len))
    return answer(
        question,
        _merge(lists, MAX_MERGED),
        counts=TermCounts(counts, PROBE_LIMIT, _total(store)),
    )


def _total(store: SearchableStore) -> int | None:
    """How many articles the store holds, when it says (``Store.count_articles``)."""
    count = getattr(store, "count_articles", None)
    return int(count()) if callable(count) else None


def _merge(lists: Sequence[Sequence[StoredArticle]], most: int) -> list[StoredArticle]:
    """The first list whole, then the others taken in turns, without repeats, up to ``most``:
    every search brings its best articles in before any brings its tail."""
    found: dict[int, StoredArticle] = {}
    if lists:
        for article in lists[0][:most]:
            found.setdefault(article.id, article)
    for row in zip_longest(*lists[1:]):
        for article in row:
            if article is not None and len(found) < most:
                found.setdefault(article.id, article)
    return list(found.values())
