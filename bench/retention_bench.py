"""Retention: how long ``Store.prune`` holds SQLite's write lock, batched against one
transaction, and how long a concurrent ingest waits meanwhile.

Run by hand: .venv/bin/python bench/retention_bench.py [--n 20000] [--batch 200]

One store is filled with ``--n`` articles over the past year (half of them older than the
cutoff; topics, near-duplicate bands, FTS), then copied twice. The baseline, measured in the
same run: the same prune as one transaction (``batch_size`` larger than the store). Meanwhile a
second thread stores one new article every 20 ms and records how long each write waited.
Figures are printed as ratios to that baseline, since absolute times vary on a shared machine.
A transaction's time is measured between batch callbacks, less the pause ``Store.prune`` takes
between transactions on SQLite.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digests.models import Article, Summary, TopicScore
from digests.store import NewArticle, Store
from digests.store.store import PRUNE_BATCH, PRUNE_PAUSE

NOW = datetime.now(UTC)
CUTOFF = NOW - timedelta(days=180)
INDEX_BEFORE = NOW - timedelta(days=14)


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


def make_items(n: int, rng: random.Random) -> list[NewArticle]:
    words = vocabulary(rng)
    items = []
    for i in range(n):
        when = NOW - timedelta(days=365 * i / n)  # oldest last: ages 0..365 days
        body = ". ".join(
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 20)))
            for _ in range(rng.randint(8, 40))
        )
        title = " ".join(rng.choice(words) for _ in range(8))
        items.append(NewArticle(
            Article(title=title, url=f"https://bench.example/{i}", body=body,
                    source="https://bench.example/feed.xml", published=when, guid=str(i)),
            (TopicScore("security", 0.7, True, ("war",)), TopicScore("drugs", 0.1, False)),
            Summary(body[:200], (body[:80],)),
            when,
        ))
    return items


def fill(path: Path, n: int) -> None:
    rng = random.Random(7)
    with Store.open(f"sqlite:///{path}") as store:
        items = make_items(n, rng)
        for start in range(0, n, 500):
            store.add_articles(items[start : start + 500])


class Writer(threading.Thread):
    """Stores one new article every 20 ms until stopped; records each write's duration."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.store = Store.open(url)
        self.waits: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            item = NewArticle(
                Article(title=f"Live item {i}", url=f"https://live.example/{i}",
                        body=f"Live body {i}. " * 10, source="live", published=NOW),
                (), Summary("", ()), NOW,
            )
            start = time.perf_counter()
            self.store.add_articles([item])
            self.waits.append(time.perf_counter() - start)
            time.sleep(0.02)
        self.store.close()


def measure(url: str, batch: int) -> dict[str, float]:
    """Prune ``url`` with ``batch``; the longest transaction, total time, writer waits."""
    writer = Writer(url)
    holds: list[float] = []
    with Store.open(url) as store:
        writer.start()
        time.sleep(0.3)  # the writer's baseline writes
        last = time.perf_counter()
        start = last

        def batch_done(_counts: object) -> None:
            # The time since the previous batch ended, less the pause before this one began.
            nonlocal last
            now = time.perf_counter()
            holds.append(now - last - (PRUNE_PAUSE if holds else 0.0))
            last = now

        counts = store.prune(CUTOFF, index_before=INDEX_BEFORE, batch_size=batch,
                             on_batch=batch_done)
        total = time.perf_counter() - start
        time.sleep(0.3)
        writer.stop.set()
        writer.join()
    return {
        "articles": counts.articles,
        "total": total,
        "max_hold": max(holds),
        "p50_hold": statistics.median(holds),
        "batches": len(holds),
        "max_wait": max(writer.waits),
        "p95_wait": statistics.quantiles(writer.waits, n=20)[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=PRUNE_BATCH)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="retention-bench-"))
    source = folder / "filled.db"
    t = time.perf_counter()
    fill(source, args.n)
    print(f"filled {args.n} articles in {time.perf_counter() - t:.1f} s "
          f"({source.stat().st_size / 1e6:.0f} MB)")
    for name in ("one", "batched", "dry"):
        shutil.copy(source, folder / f"{name}.db")
    with Store.open(f"sqlite:///{folder / 'dry.db'}") as store:
        t = time.perf_counter()
        dry = store.count_prunable(CUTOFF, index_before=INDEX_BEFORE)
        dry_time = time.perf_counter() - t
    one = measure(f"sqlite:///{folder / 'one.db'}", 10**9)
    batched = measure(f"sqlite:///{folder / 'batched.db'}", args.batch)
    with Store.open(f"sqlite:///{folder / 'batched.db'}") as store:
        t = time.perf_counter()
        again = store.prune(CUTOFF, index_before=INDEX_BEFORE)
        rerun = time.perf_counter() - t
    assert dry.articles == one["articles"] == batched["articles"], (dry, one, batched)
    assert again.articles == 0
    print(f"pruned {batched['articles']:.0f} of {args.n} articles (dry run counted "
          f"{dry.articles} in {dry_time * 1000:.0f} ms)\n")
    print("| | one transaction (baseline) | batches of "
          f"{args.batch} | ratio |\n|---|---|---|---|")
    rows = [
        ("longest write-lock hold", "max_hold"),
        ("median transaction", "p50_hold"),
        ("whole prune", "total"),
        ("concurrent ingest: longest wait", "max_wait"),
        ("concurrent ingest: p95 wait", "p95_wait"),
    ]
    for label, key in rows:
        print(f"| {label} | {one[key] * 1000:.0f} ms | {batched[key] * 1000:.0f} ms | "
              f"{batched[key] / one[key]:.3f}x |")
    print(f"| transactions | {one['batches']:.0f} | {batched['batches']:.0f} | |")
    print(f"\nre-run with nothing left to prune: {rerun * 1000:.0f} ms")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
