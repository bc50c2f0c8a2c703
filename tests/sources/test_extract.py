"""html_to_text on a fixture page and on a sample of the real article-extraction benchmark."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.sources.extract import html_to_text

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
AEB = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "articles" / "aeb"


def test_fixture_page() -> None:
    page = html_to_text((DATA / "article.html").read_bytes(), "https://harbour.example/heroin")
    assert page.title == "Port authority seizes record heroin haul"
    assert page.text.startswith("Customs officers at the northern port")
    assert "TRACKME" not in page.text and "INJECTED" not in page.text
    assert page.published == datetime(2026, 2, 12, tzinfo=UTC)
    assert page.author == "Jo Marsh"


@pytest.mark.parametrize("html", ["", "   ", b"", "<html></html>", b"\x00\x01binary"])
def test_empty_or_junk_gives_empty_text(html: str | bytes) -> None:
    assert html_to_text(html).text == ""


def f1(predicted: str, truth: str) -> float:
    pred, gold = Counter(predicted.split()), Counter(truth.split())
    common = sum((pred & gold).values())
    if not common:
        return 0.0
    p, r = common / sum(pred.values()), common / sum(gold.values())
    return 2 * p * r / (p + r)


@pytest.mark.corpus
def test_token_f1_on_benchmark_sample() -> None:
    if not AEB.is_dir():
        pytest.skip("corpus/articles/aeb not present")
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    sample = sorted(truth.items())[::12]  # 16 pages, spread over the set
    scores = [
        f1(
            html_to_text(
                gzip.decompress((AEB / "html" / f"{key}.html.gz").read_bytes()), item["url"]
            ).text,
            item["articleBody"],
        )
        for key, item in sample
    ]
    assert sum(scores) / len(scores) >= 0.9
