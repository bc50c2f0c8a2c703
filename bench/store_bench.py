"""Store throughput: 10,000 articles through add_articles (dedupe + story clustering + FTS),
against feedparser's parse time for the same number of items; plus search latency.

Run by hand: .venv/bin/python bench/store_bench.py [--pg URL] [--n 10000]
Reads ../shared/corpus/feeds/news (real feeds) for realistic titles and bodies.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import sqlalchemy as sa

from digests.models import Article, Summary, TopicScore
from digests.store import NewArticle, Store

NEWS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "feeds" / "news"
NOW = datetime(2026, 2, 20, tzinfo=UTC)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def parse_corpus() -> tuple[list[dict[str, Any]], float]:
    start = time.perf_counter()
    entries: list[dict[str, Any]] = []
    for path in sorted(NEWS.glob("*.xml")):
        feed = feedparser.parse(path.read_bytes())
        for e in feed.entries:
            entries.append(
                {
                    "title": _text(e.get("title", "")),
                    "url": e.get("link", ""),
                    "body": _text(e.get("summary", "") or e.get("description", "")),
                    "source": path.name,
                }
            )
    return entries, time.perf_counter() - start


def make_items(entries: list[dict[str, Any]], n: int, *, syndicated: bool) -> list[NewArticle]:
    """n items from the corpus entries. Copy k>0 of an entry gets its own URL; ``syndicated``
    copies keep the body (near-duplicates of the original: the clustering path), otherwise
    every word is altered (distinct stories: the plain insert path)."""
    items = []
    for i in range(n):
        e = entries[i % len(entries)]
        copy = i // len(entries)
        body = e["body"]
        title = e["title"]
        if copy:
            title = f"{title} (update {copy})"
            if not syndicated:
                body = " ".join(f"{w}{copy}" for w in body.split())
            else:
                body = f"{body} Updated {copy}."
        items.append(
            NewArticle(
                Article(
                    title=title,
                    url=f"{e['url']}{'&' if '?' in e['url'] else '?'}copy={copy}",
                    body=body,
                    source=e["source"],
                    published=NOW - timedelta(minutes=i % 5000),
                    guid=f"{e['url']}#{copy}",
                ),
                (TopicScore("security", 0.6, True, ("war",)), TopicScore("drugs", 0.1, False)),
                Summary(body[:200], (body[:80],)),
                NOW,
            )
        )
    return items


def run(url: str, label: str, items: list[NewArticle], parse_per_item: float) -> None:
    with Store.open(url) as store:
        start = time.perf_counter()
        outcomes = []
        for part in range(0, len(items), 2500):
            outcomes += store.add_articles(items[part : part + 2500])
        took = time.perf_counter() - start
        new = sum(o.status == "new" for o in outcomes)
        stories = len({o.story_id for o in outcomes})
        start = time.perf_counter()
        again = store.add_articles(items[:2500])
        re_took = time.perf_counter() - start
        assert all(o.status == "duplicate" for o in again)
        latencies = []
        for q in ["election", "ceasefire talks", "president trump tariffs", "東京", "x" * 500]:
            t = time.perf_counter()
            store.search(q, limit=10)
            latencies.append((time.perf_counter() - t) * 1000)
    n = len(items)
    print(
        f"{label:28s} {n} items in {took:6.2f}s = {n / took:7.0f}/s  new={new} stories={stories}"
        f"  (feedparser would take {n * parse_per_item:5.2f}s; parse+store = "
        f"{(n * parse_per_item + took) / (n * parse_per_item):.2f}x parse)"
        f"  re-ingest 2500: {re_took:5.2f}s  search median {statistics.median(latencies):.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    entries, parse_s = parse_corpus()
    per_item = parse_s / len(entries)
    print(
        f"feedparser: {len(entries)} items from {NEWS.name}/ in {parse_s:.2f}s"
        f" = {1 / per_item:.0f} items/s"
    )
    for syndicated in (False, True):
        kind = "syndicated" if syndicated else "distinct"
        items = make_items(entries, args.n, syndicated=syndicated)
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", f"sqlite {kind}", items, per_item)
        admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as e:
            print(f"postgres skipped: {e.orig}")
            continue
        try:
            pg = sa.make_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
            run(pg.render_as_string(hide_password=False), f"postgres {kind}", items, per_item)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
