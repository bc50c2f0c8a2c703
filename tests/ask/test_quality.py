"""The quality targets over the test set: >= 85% answered right, >= 90% of the unanswerable
refused, with every article as candidates and with the top few that retrieval would hand over."""

from __future__ import annotations

import pytest

from digests.ask import answer
from tests.ask.dataset import articles, questions, top_by_overlap


@pytest.mark.parametrize("top", [None, 3], ids=["all-articles", "top-3"])
def test_targets(top: int | None) -> None:
    pool = articles()
    rows = questions()
    answerable = [q for q in rows if q.expected]
    unanswerable = [q for q in rows if not q.expected]
    assert len(answerable) >= 30 and len(unanswerable) >= 10

    right, refused, misses = 0, 0, []
    for q in rows:
        cands = pool if top is None else top_by_overlap(q.question, pool, top)
        got = answer(q.question, cands)
        if q.expected:
            ok = q.expected in got.answer
            right += ok
        else:
            ok = got.answer == "" and got.sources == ()
            refused += ok
        if not ok:
            misses.append(q.question)
    accuracy = right / len(answerable)
    refusal = refused / len(unanswerable)
    assert accuracy >= 0.85, (accuracy, misses)
    assert refusal >= 0.90, (refusal, misses)


def test_dataset_expectations_are_in_the_articles() -> None:
    """Every expected fact is text of the article named for it (a typo would fail silently)."""
    bodies = {a.url.rsplit("/", 1)[-1].removesuffix(".txt"): a.body for a in articles()}
    for q in questions():
        if q.expected:
            assert q.article in bodies, q
            assert q.expected in bodies[q.article].replace("\n", " "), q
