"""Archive site timings on a filled SQLite store: each page's build time, page sizes, and a
static build. Run by hand: ``.venv/bin/python bench/archive_bench.py [DIGESTS]``."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import make_app
from bot.archive_site import (
    SERVER_LINKS,
    build_static_archive,
    digest_html,
    home_html,
    search_html,
    topic_html,
)
from digests.models import Article, Digest, DigestItem, SourceLink, Summary, TopicScore
from digests.render import json as digest_json
from digests.settings import Secrets, Settings
from digests.store import NewArticle

NOW = datetime(2026, 2, 11, 9, 0, tzinfo=UTC)
TOPICS = ("security", "migration", "drugs")
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
]


def article(i: int) -> NewArticle:
    topic = TOPICS[i % 3]
    published = NOW - timedelta(hours=i % (30 * 24))
    words = " ".join(f"{WORDS[(i + k) % len(WORDS)]}{i * 7 + k}" for k in range(60))
    return NewArticle(
        Article(f"Story {i} on {topic}", f"https://news.example/{i}", words, "Bench", published),
        (TopicScore(topic, 0.9, True, ()),),
        Summary(f"Summary {i}.", (f"Fact {i}.",)),
        published,
    )


def digest(topic: str, n: int) -> Digest:
    until = NOW - timedelta(hours=8 * n)
    items = tuple(
        DigestItem(
            story_id=n * 100 + k,
            title=f"{topic} story {n}.{k}",
            url=f"https://news.example/{topic}/{n}/{k}",
            summary="A summary sentence of moderate length about what happened. " * 3,
            sources=tuple(
                SourceLink(f"Source {s}", f"https://s{s}.example/{n}/{k}", f"Pub {s}")
                for s in range(3)
            ),
            published=until - timedelta(hours=1),
            key_facts=("First fact.", "Second fact."),
        )
        for k in range(10)
    )
    return Digest(topic, until - timedelta(hours=24), until, items)


def timed(label: str, fn: Callable[[], object], repeat: int = 5) -> None:
    samples, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        samples.append((time.perf_counter() - started) * 1000)
        if isinstance(out, tuple):
            out = out[1]
        size = len(out) if isinstance(out, str) else 0
    print(f"{label:<34} median {statistics.median(samples):7.1f} ms   {size / 1024:6.1f} KiB")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        app = make_app(Settings(database=f"sqlite:///{db}"), secrets=Secrets(), clock=lambda: NOW)
        started = time.perf_counter()
        app.store.add_articles([article(i) for i in range(3000)])
        ids = []
        for n in range(count):
            d = digest(TOPICS[n % 3], n)
            payload = digest_json.render(d)
            ids.append(
                app.store.save_digest(
                    d.topic, d.since, d.until, payload, channel_key="x", now=d.until
                )
            )
        print(f"seeded 3000 articles, {count} digests in {time.perf_counter() - started:.1f} s")
        timed("home (chart + 3 topics)", lambda: home_html(app, SERVER_LINKS))
        timed("topic page 1", lambda: topic_html(app, "security", 1, SERVER_LINKS))
        timed("topic page 20", lambda: topic_html(app, "security", 20, SERVER_LINKS))
        timed(
            "digest page (10 stories)", lambda: digest_html(app, "security", ids[0], SERVER_LINKS)
        )
        timed(
            "search 'story security'", lambda: search_html(app, "story security", "", SERVER_LINKS)
        )
        out = Path(tmp) / "site"
        started = time.perf_counter()
        pages = build_static_archive(app, out)
        took = time.perf_counter() - started
        print(f"static build: {pages} pages in {took:.1f} s ({pages / took:.0f} pages/s)")
        css = (out / "static" / "site.css").stat().st_size
        print(f"stylesheet: {css / 1024:.1f} KiB")
        app.close()


if __name__ == "__main__":
    main()
