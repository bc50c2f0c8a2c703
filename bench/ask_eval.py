"""Quality and latency of digests.ask.answer over tests/ask/data, beside a plain baseline.

Run by hand: `.venv/bin/python bench/ask_eval.py [-v]` (-v lists the misses). Prints, for
candidates = all articles and for candidates = the top 3 articles by idf-weighted overlap (what
retrieval hands over): top-1 accuracy on answerable questions (the expected fact is in the
answer), the share of unanswerable questions refused, and latency per question. The baseline is
the sentence sharing the most question words, with no threshold (so it never refuses).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, installed or not

from digests.ask import MIN_CONFIDENCE, answer  # noqa: E402
from digests.models import StoredArticle  # noqa: E402
from digests.text import STOPWORDS, split_sentences, stem, tokens  # noqa: E402
from tests.ask.dataset import Question, articles, questions, top_by_overlap  # noqa: E402

Picker = Callable[[str, Sequence[StoredArticle]], str]


def _words(text: str) -> set[str]:
    return {stem(t) for t in tokens(text) if t not in STOPWORDS}


def baseline(question: str, candidates: Sequence[StoredArticle]) -> str:
    """Most words in common with the question; never refuses."""
    q = _words(question)
    best, best_n = "", 0
    for a in candidates:
        for s in split_sentences(a.body):
            n = len(q & _words(s))
            if n > best_n:
                best, best_n = s, n
    return best


def evaluate(
    name: str,
    rows: list[Question],
    pool: list[StoredArticle],
    pick: Picker,
    k: int | None,
    verbose: bool,
) -> None:
    right = refused = n_ans = n_un = 0
    times: list[float] = []
    for row in rows:
        cands = pool if k is None else top_by_overlap(row.question, pool, k)
        t0 = time.perf_counter()
        text = pick(row.question, cands)
        times.append(time.perf_counter() - t0)
        if row.expected:
            n_ans += 1
            ok = row.expected in text
            right += ok
        else:
            n_un += 1
            ok = text == ""
            refused += ok
        if verbose and not ok:
            print(f"  MISS {row.question!r}\n       expected {row.expected!r}\n"
                  f"       got {text[:160]!r}")
    ms = sorted(t * 1000 for t in times)
    print(
        f"{name:<34} answered {right}/{n_ans} = {right / max(1, n_ans):.1%}   "
        f"refused {refused}/{n_un} = {refused / max(1, n_un):.1%}   "
        f"latency median {statistics.median(ms):.2f} ms, p95 {ms[int(0.95 * len(ms))]:.2f} ms"
    )


def main() -> None:
    verbose = "-v" in sys.argv
    pool = articles()
    rows = questions()
    print(f"{len(pool)} articles, {len(rows)} questions, threshold {MIN_CONFIDENCE}")

    def ours(q: str, c: Sequence[StoredArticle]) -> str:
        return answer(q, c).answer

    for k in (None, 3):
        label = "all articles" if k is None else f"top {k} by overlap"
        evaluate(f"ask.answer ({label})", rows, pool, ours, k, verbose)
        evaluate(f"baseline ({label})", rows, pool, baseline, k, False)


if __name__ == "__main__":
    main()
