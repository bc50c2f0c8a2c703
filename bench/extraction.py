"""Extraction quality on corpus/articles/aeb: token precision/recall/F1 and time per page.

Run by hand: ``.venv/bin/python bench/extraction.py``. Bag-of-whitespace-tokens scores against
``ground-truth.json``'s articleBody, averaged over pages (an empty extraction scores 0).
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests.sources.extract import EXTRACT_SETTINGS, html_to_text

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "articles" / "aeb"

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "no comments": {"include_comments": False},
    "favor_recall": {"favor_recall": True},
    "favor_precision": {"favor_precision": True},
    "favor_recall, no comments": {"favor_recall": True, "include_comments": False},
    "favor_precision, no comments": {"favor_precision": True, "include_comments": False},
    "no comments, no tables": {"include_comments": False, "include_tables": False},
    "favor_precision, no comments, no tables": {
        "favor_precision": True,
        "include_comments": False,
        "include_tables": False,
    },
    "favor_precision, no comments, fast": {
        "favor_precision": True,
        "include_comments": False,
        "fast": True,
    },
}


def scores(predicted: str, truth: str) -> tuple[float, float, float]:
    pred, gold = Counter(predicted.split()), Counter(truth.split())
    common = sum((pred & gold).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(pred.values()), common / sum(gold.values())
    return p, r, 2 * p * r / (p + r)


def evaluate(pages: list[tuple[bytes, str, str]], extract: Callable[[bytes, str], str]) -> str:
    totals = [0.0, 0.0, 0.0]
    start = time.perf_counter()
    for html, url, truth in pages:
        for i, v in enumerate(scores(extract(html, url), truth)):
            totals[i] += v
    per_page = (time.perf_counter() - start) / len(pages) * 1000
    p, r, f = (t / len(pages) for t in totals)
    return f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}  {per_page:.0f} ms/page"


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found: {CORPUS}")
    truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        (
            gzip.decompress((CORPUS / "html" / f"{key}.html.gz").read_bytes()),
            v["url"],
            v["articleBody"],
        )
        for key, v in sorted(truth.items())
        if (CORPUS / "html" / f"{key}.html.gz").is_file()
    ]
    print(f"trafilatura {trafilatura.__version__}, {len(pages)} pages")
    only = sys.argv[1:]
    for name, kwargs in VARIANTS.items():
        if only and name not in only:
            continue

        def run(html: bytes, url: str, kw: dict[str, Any] = kwargs) -> str:
            return trafilatura.extract(html, url=url, **kw) or ""

        print(f"{name:32s} {evaluate(pages, run)}")
    print(
        f"{'html_to_text ' + str(EXTRACT_SETTINGS):32s} "
        f"{evaluate(pages, lambda h, u: html_to_text(h, u).text)}"
    )


if __name__ == "__main__":
    main()
