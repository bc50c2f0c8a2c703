"""Compose and render timings on synthetic data: how long a digest takes to build and format.

Run by hand: .venv/bin/python bench/render.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from digests.compose import build_digest
from digests.models import Digest, DigestItem, SourceLink, StoredArticle, TopicScore
from digests.render import discord, html, json, markdown, slack

NOW = datetime(2026, 2, 11, tzinfo=UTC)
SENTENCE = "Officials said the talks <again> & again stalled over *terms* at the border. "


def _articles(n: int, per_story: int) -> list[StoredArticle]:
    return [
        StoredArticle(
            id=i,
            title=f"Headline {i} about the talks",
            url=f"https://news.example.org/{i}",
            body=SENTENCE * 20,
            source=f"Outlet {i % 7}",
            published=NOW - timedelta(minutes=i % 1400),
            fetched_at=NOW,
            story_id=i // per_story,
            summary=SENTENCE * 3,
            key_facts=(SENTENCE, f"Fact {i % 5}."),
            topics=(TopicScore("security", (i % 100) / 100, i % 3 != 0),),
        )
        for i in range(n)
    ]


def _digest(n: int, summary_chars: int) -> Digest:
    items = tuple(
        DigestItem(
            story_id=i,
            title=f"Story {i} headline",
            url=f"https://news.example.org/{i}",
            summary=(SENTENCE * (summary_chars // len(SENTENCE) + 1))[:summary_chars],
            sources=tuple(
                SourceLink(f"Source {j}", f"https://s{j}.example/{i}", f"Outlet {j}")
                for j in range(4)
            ),
            published=NOW - timedelta(minutes=i),
            key_facts=(SENTENCE, SENTENCE),
        )
        for i in range(n)
    )
    return Digest("security", NOW - timedelta(days=1), NOW, items, more=3, generated_at=NOW)


def _time(label: str, fn: Callable[[], object], repeat: int = 5) -> object:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:8.2f} ms")
    return result


def main() -> None:
    for n, per_story in ((1_000, 3), (10_000, 5)):
        arts = _articles(n, per_story)
        d = _time(
            f"build_digest: {n} articles, {n // per_story} stories",
            lambda arts=arts: build_digest(
                "security",
                arts,
                since=NOW - timedelta(days=1),
                until=NOW,
                now=NOW,
                window="24h",
                max_items=20,
            ),
        )
        assert isinstance(d, Digest)
    for n, chars in ((10, 400), (60, 400), (60, 3900)):
        d = _digest(n, chars)
        for name, renderer in (
            ("markdown", markdown),
            ("html", html),
            ("json", json),
            ("slack", slack),
            ("discord", discord),
        ):
            out = _time(
                f"render {name}: {n} stories, {chars}-char summaries",
                lambda r=renderer, d=d: r.render(d),
            )
            if isinstance(out, list):
                print(f"{'':<48} {len(out):8d} messages")


if __name__ == "__main__":
    main()
