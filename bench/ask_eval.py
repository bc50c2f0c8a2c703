"""Quality and latency of digests.ask.answer over tests/ask/data, beside a plain baseline.

Run by hand: `.venv/bin/python bench/ask_eval.py [-v] [--no-store | --db URL]` (-v lists the
misses; --db asks an already filled store instead of building one).
Prints, for candidates = all articles and for candidates = the top 3 articles by idf-weighted
overlap (what retrieval hands over): top-1 accuracy on answerable questions (the expected fact is
in the answer), the share of unanswerable questions refused, how many answers are wrong rather
than empty (the worst outcome), and latency per question. The baseline is the sentence sharing
the most question words, with no threshold (so it never refuses).

Then, unless --no-store, the whole path a user takes: the real news of the shared corpus (27
feeds, ~1,200 articles) plus the topics tests' 160 articles and the sample, ingested into a
fresh SQLite store, asked tests/ask/data/news_questions.jsonl through ``digests.ask.ask``
(retrieval included). Half of those questions have no answer in the store.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, installed or not

from digests.ask import MIN_CONFIDENCE, answer, ask  # noqa: E402
from digests.models import StoredArticle  # noqa: E402
from digests.text import STOPWORDS, split_sentences, stem, tokens  # noqa: E402
from tests.ask.dataset import (  # noqa: E402
    Question,
    articles,
    news_questions,
    newsroom_sources,
    questions,
    top_by_overlap,
)

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
    def one(row: Question) -> str:
        return pick(row.question, pool if k is None else top_by_overlap(row.question, pool, k))

    report(name, rows, one, verbose)


def report(name: str, rows: list[Question], get: Callable[[Question], str], verbose: bool) -> None:
    """Answered right / refused right / latency of ``get`` (the answer text) over ``rows``."""
    right = refused = n_ans = n_un = wrong = 0
    times: list[float] = []
    for row in rows:
        t0 = time.perf_counter()
        text = get(row)
        times.append(time.perf_counter() - t0)
        ok = row.right(text)
        wrong += bool(text) and not ok  # a confident wrong answer: worse than none
        if row.expected:
            n_ans += 1
            right += ok
        else:
            n_un += 1
            refused += ok
        if verbose and not ok:
            print(f"  MISS {row.question!r}\n       expected {row.expected!r}\n"
                  f"       got {text[:160]!r}")
    ms = sorted(t * 1000 for t in times)
    print(
        f"{name:<34} answered {right}/{n_ans} = {right / max(1, n_ans):.1%}   "
        f"refused {refused}/{n_un} = {refused / max(1, n_un):.1%}   wrong {wrong}   "
        f"latency median {statistics.median(ms):.2f} ms, p95 {ms[int(0.95 * len(ms))]:.2f} ms"
    )


def evaluate_store(verbose: bool, db_url: str | None) -> None:
    """``ask`` over a SQLite store holding the newsroom, as ``digestbot ask`` runs it: a fresh
    one, or ``db_url`` when given (filled beforehand, e.g. by ``digestbot ingest``)."""
    import asyncio
    import tempfile

    from digests.pipeline import SourceSpec, ingest
    from digests.settings import load_settings
    from digests.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'news.db'}"
        store = Store.open(url)
        try:
            if db_url is None:
                sources = newsroom_sources(Path(tmp))
                if not sources:
                    print("store: shared corpus absent, skipped")
                    return
                specs = [SourceSpec(str(p)) for p in sources]
                asyncio.run(ingest(specs, store, load_settings(None, db_url=url)))
            rows = news_questions()
            print(f"store: {store.count_articles()} articles, {len(rows)} questions")
            report("ask (newsroom store)", rows, lambda r: ask(r.question, store).answer, verbose)
        finally:
            store.close()


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
    if "--no-store" not in sys.argv:
        db = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else None
        evaluate_store(verbose, db)


if __name__ == "__main__":
    main()
