"""ROUGE of digests.summarize against lead-3 on ../shared/corpus/summaries/bbc, run by hand.

    .venv/bin/python bench/rouge.py [--sentences 3]

Prints ROUGE-1/2/L F1 (rouge-score, Porter stemming on) for lead-3 and for ``summarize`` at a
fixed sentence budget, the same at each reference's own sentence count, and summarize throughput.
Both systems see the same sentence splitter, so the comparison is about selection only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rouge_score import rouge_scorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests.summarize import sentences_of, summarize
from digests.text import split_sentences

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "summaries" / "bbc"
METRICS = ("rouge1", "rouge2", "rougeL")


def load(corpus: Path) -> list[tuple[str, str, str]]:
    """(title, body, reference) for every article that has a reference summary."""
    out = []
    for art in sorted((corpus / "article").glob("*/*.txt")):
        ref = corpus / "summary" / art.parent.name / art.name
        if not ref.exists():
            continue
        title, _, body = art.read_text(encoding="utf-8", errors="replace").partition("\n")
        out.append((title.strip(), body, ref.read_text(encoding="utf-8", errors="replace")))
    return out


def lead(title: str, body: str, k: int) -> str:
    return " ".join(sentences_of(title, body)[:k])


def ours(title: str, body: str, k: int) -> str:
    return summarize(title, body, max_sentences=k).summary


def evaluate(
    docs: list[tuple[str, str, str]],
    system: Callable[[str, str, int], str],
    budget: Callable[[str], int],
) -> dict[str, float]:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    scores: dict[str, list[float]] = {m: [] for m in METRICS}
    for title, body, ref in docs:
        result = scorer.score(ref, system(title, body, budget(ref)))
        for m in METRICS:
            scores[m].append(result[m].fmeasure)
    return {m: statistics.fmean(v) for m, v in scores.items()}


def row(name: str, figures: dict[str, float]) -> str:
    return f"{name:<28}" + "".join(f"{figures[m]:>9.3f}" for m in METRICS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    docs = load(args.corpus)
    k = args.sentences
    print(f"{len(docs)} BBC articles; F1, rouge-score with stemming\n")
    print(f"{'system':<28}" + "".join(f"{m:>9}" for m in METRICS))
    print(row(f"lead-{k}", evaluate(docs, lead, lambda _r: k)))
    print(row(f"summarize ({k} sentences)", evaluate(docs, ours, lambda _r: k)))

    def ref_len(ref: str) -> int:
        return len(split_sentences(ref))

    # At the reference's own length the 600-char cap binds, so this mostly shows the cap's cost.
    print(row("lead-n (reference length)", evaluate(docs, lead, ref_len)))
    print(row("summarize (reference len)", evaluate(docs, ours, ref_len)))

    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for title, body, _ref in docs:
            summarize(title, body, max_sentences=k)
    elapsed = time.perf_counter() - start
    print(f"\nthroughput: {rounds * len(docs) / elapsed:,.0f} articles/s "
          f"(summary + key facts, {rounds} x {len(docs)} articles, one core)")


if __name__ == "__main__":
    main()
