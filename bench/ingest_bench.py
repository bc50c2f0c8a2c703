"""Ingest throughput, digest build time and peak memory, against feedparser's bare parse.

Run by hand: ``.venv/bin/python bench/ingest_bench.py [--n 10000] [--files 50] [--runs 3]
[--distinct-bodies]``

Builds ``--n`` distinct RSS items in ``--files`` files from the ~1,200 real items of
``../shared/corpus/feeds/news`` (copies get varied titles, links, guids and dates, so every item
is new to the store), then, per run:

- baseline: ``feedparser.parse(bytes)`` of every file (and with ``sanitize_html=False``);
- CLI: ``digestbot ingest <folder> --json`` as a subprocess into a fresh SQLite file: wall time,
  articles/s, peak RSS (``os.wait4`` rusage of that child);
- in-process: the pipeline's stages timed one by one on the same folder (parse = read_local,
  classify, summarize, store = ``Store.add_articles`` in one transaction) and ``pipeline.ingest``;
- digest: ``queries.topic_digest`` for every topic with a window covering all the articles.

The machine is shared, so figures are medians over the runs and every time is also given as a
ratio to the feedparser baseline of the same run.

By default a copy keeps its original's body, so 10,000 items carry each body about 8 times:
anything that remembers work by text would look better here than on real feeds.
``--distinct-bodies`` ends every item's body with a sentence of its own (a number and a made-up
word), so no two bodies are equal; report the ratio in that mode too.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

import feedparser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests import pipeline  # noqa: E402
from digests.queries import topic_digest  # noqa: E402
from digests.settings import Settings, load_settings  # noqa: E402
from digests.sources.files import read_local  # noqa: E402
from digests.store import NewArticle, Store  # noqa: E402
from digests.summarize import summarize  # noqa: E402
from digests.topics import classify  # noqa: E402

NEWS = ROOT / ".." / "shared" / "corpus" / "feeds" / "news"
DIGESTBOT = Path(sys.executable).with_name("digestbot")  # the console script of this venv
SPREAD = timedelta(days=6)  # generated items are published over the last six days
WINDOW = "7d"  # so a digest with this window covers every generated item
VARIANTS = ("Update", "Live", "Analysis", "Explainer", "Latest", "Report", "Watch", "Briefing")
RSS_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
)


# --- the feed files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One real corpus item, as raw feed fields (HTML kept: the pipeline reduces it)."""

    title: str
    link: str
    description: str
    content: str
    author: str
    source: str


def corpus_entries() -> list[Entry]:
    """The distinct items of the real news feeds (by link and by title)."""
    out: list[Entry] = []
    seen: set[str] = set()
    for path in sorted(NEWS.glob("*.xml")):
        for e in feedparser.parse(path.read_bytes(), sanitize_html=False).entries:
            title, link = str(e.get("title", "")).strip(), str(e.get("link", "")).strip()
            if not title or not link.startswith("http") or link in seen or title in seen:
                continue
            seen.update((link, title))
            content = max((c.get("value", "") for c in e.get("content") or ()), key=len, default="")
            out.append(
                Entry(
                    title=title,
                    link=link,
                    description=str(e.get("summary", "")),
                    content=str(content),
                    author=str(e.get("author", "")),
                    source=path.stem.split("__")[0],
                )
            )
    return out


def _unique_sentence(i: int) -> str:
    """A sentence no other item has: its number and a made-up word spelled from it."""
    word, n = "", i + 1
    while n:
        n, r = divmod(n, 26)
        word += "bcdfghjklmnpqrstvwxzaeiouy"[r]
    return f"Reference {i}: this copy was filed as {word.capitalize()}vale in the bench archive."


def _item_xml(entry: Entry, copy: int, published: datetime, unique: str | None = None) -> str:
    title = entry.title
    split = urlsplit(entry.link)
    query = f"{split.query}&v={copy}" if split.query else f"v={copy}"
    link = urlunsplit(split._replace(query=query))
    if copy:
        title = f"{VARIANTS[copy % len(VARIANTS)]} {copy}: {title}"
    parts = [
        "<item>",
        f"<title>{escape(title)}</title>",
        f"<link>{escape(link)}</link>",
        f'<guid isPermaLink="false">{escape(entry.link)}#{copy}</guid>',
        f"<pubDate>{format_datetime(published)}</pubDate>",
        f"<description>{escape(_ending(entry.description, unique))}</description>",
    ]
    if entry.content:
        parts.append(f"<content:encoded>{escape(_ending(entry.content, unique))}</content:encoded>")
    if entry.author:
        parts.append(f"<dc:creator>{escape(entry.author)}</dc:creator>")
    parts.append("</item>")
    return "".join(parts)


def _ending(text: str, unique: str | None) -> str:
    """``text`` with the ``unique`` sentence as its last paragraph (HTML or plain alike)."""
    if unique is None:
        return text
    return f"{text}<p>{unique}</p>" if "<" in text else f"{text}\n\n{unique}"


def write_feeds(
    entries: Sequence[Entry],
    folder: Path,
    n: int,
    files: int,
    now: datetime,
    *,
    distinct_bodies: bool = False,
) -> int:
    """``n`` items (copy k of entry e for i = k * len(entries) + e) in ``files`` RSS files;
    with ``distinct_bodies`` each body ends with a sentence of its own."""
    per_file = -(-n // files)
    total_bytes = 0
    for f in range(files):
        items = []
        for i in range(f * per_file, min(n, (f + 1) * per_file)):
            copy, entry = divmod(i, len(entries))
            published = now - SPREAD * (i / n) - timedelta(minutes=1)
            unique = _unique_sentence(i) if distinct_bodies else None
            items.append(_item_xml(entries[entry], copy, published, unique))
        doc = (
            RSS_HEAD
            + f"<title>Bench feed {f}</title><link>https://bench.example/{f}</link>"
            + "<description>generated</description>\n"
            + "\n".join(items)
            + "\n</channel>\n</rss>\n"
        )
        data = doc.encode("utf-8")
        (folder / f"feed{f:03d}.xml").write_bytes(data)
        total_bytes += len(data)
    return total_bytes


# --- the measurements -------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall seconds and CPU seconds (user + system, every thread) of one measure."""

    wall: float
    cpu: float


class _Clock:
    """Wall and process CPU time since creation."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> Timing:
        return Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


@dataclass
class Run:
    """Figures of one run: timings by measure name, memory in MB, digest build times."""

    times: dict[str, Timing] = field(default_factory=dict)
    rss_mb: float = 0.0
    rss_startup_mb: float = 0.0
    new: int = 0
    digest: dict[str, float] = field(default_factory=dict)
    digest_items: dict[str, int] = field(default_factory=dict)


def feedparser_time(paths: Sequence[Path], **options: Any) -> Timing:
    """``feedparser.parse(bytes)`` of every file (bytes read beforehand)."""
    blobs = [p.read_bytes() for p in paths]
    clock = _Clock()
    for blob in blobs:
        feedparser.parse(blob, **options)
    return clock.stop()


# Runs the command and reports its rusage. A small parent matters: a child's ru_maxrss starts
# from its parent's size at fork (Linux keeps the high-water mark across exec).
_RUSAGE_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write(json.dumps([u.ru_maxrss, u.ru_utime + u.ru_stime]) + '\\n')\n"
    "sys.exit(code)\n"
)


def cli_ingest(folder: Path, db: Path, cwd: Path) -> tuple[Timing, float, dict[str, Any]]:
    """``digestbot ingest <folder> --json`` into ``db``: timing, peak RSS MB, its report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT_")}
    cmd = [
        *(sys.executable, "-c", _RUSAGE_WRAPPER),
        *(str(DIGESTBOT), "--db", f"sqlite:///{db}", "ingest", str(folder), "--json"),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"digestbot ingest failed (exit {proc.returncode}): {proc.stderr[-300:]}")
    maxrss_kb, cpu = json.loads(proc.stderr.strip().splitlines()[-1])
    return Timing(wall, cpu), maxrss_kb / 1024, json.loads(proc.stdout)


def stages(folder: Path, db: Path, settings: Settings, now: datetime) -> dict[str, Timing]:
    """The pipeline's stages on ``folder``, timed one by one (the calls ingest makes)."""
    out: dict[str, Timing] = {}
    clock = _Clock()
    articles = [replace(a, published=a.published or now) for a in read_local(folder).articles]
    out["parse"] = clock.stop()
    clock = _Clock()
    scores = [classify(a.title, a.body, settings.topics) for a in articles]
    out["classify"] = clock.stop()
    clock = _Clock()
    summaries = [summarize(a.title, a.body) for a in articles]
    out["summarize"] = clock.stop()
    batch = [NewArticle(a, t, s, now) for a, t, s in zip(articles, scores, summaries, strict=True)]
    with Store.open(f"sqlite:///{db}") as store:
        clock = _Clock()
        outcomes = [
            outcome
            for start in range(0, len(batch), pipeline.BATCH)
            for outcome in store.add_articles(batch[start : start + pipeline.BATCH])
        ]
        out["store"] = clock.stop()
    assert sum(o.status == "new" for o in outcomes) == len(articles)
    return out


def in_process(folder: Path, db: Path, settings: Settings, now: datetime) -> tuple[Timing, int]:
    """``pipeline.ingest`` of the folder into a fresh store: timing, new articles."""
    with Store.open(f"sqlite:///{db}") as store:
        specs = [pipeline.SourceSpec(str(folder))]
        clock = _Clock()
        report = asyncio.run(pipeline.ingest(specs, store, settings, now=now))
        return clock.stop(), report.new


def digest_times(db: Path, settings: Settings) -> tuple[dict[str, float], dict[str, int]]:
    """Wall seconds to build each topic's digest over the whole window, and its story counts."""
    times: dict[str, float] = {}
    items: dict[str, int] = {}
    with Store.open(f"sqlite:///{db}") as store:
        for topic in settings.topics:
            start = time.perf_counter()
            digest = topic_digest(store, settings, topic, now=datetime.now(UTC), window=WINDOW)
            times[topic] = time.perf_counter() - start
            items[topic] = len(digest.items) + digest.more
    return times, items


def one_run(folder: Path, tiny: Path, work: Path, settings: Settings, now: datetime) -> Run:
    run = Run()
    paths = sorted(folder.glob("*.xml"))
    run.times["feedparser"] = feedparser_time(paths)
    run.times["feedparser_nosanitize"] = feedparser_time(paths, sanitize_html=False)
    for db in work.glob("*.db*"):
        db.unlink()
    run.times["startup"], run.rss_startup_mb, _ = cli_ingest(tiny, work / "tiny.db", work)
    run.times["cli"], run.rss_mb, report = cli_ingest(folder, work / "cli.db", work)
    run.new = int(report["new"])
    run.digest, run.digest_items = digest_times(work / "cli.db", settings)
    run.times.update(stages(folder, work / "stages.db", settings, now))
    run.times["in_process"], new = in_process(folder, work / "inproc.db", settings, now)
    assert new == run.new, (new, run.new)
    return run


# --- report -----------------------------------------------------------------------------------

ROWS = (
    ("feedparser", "feedparser.parse(bytes), every file (baseline)"),
    ("feedparser_nosanitize", "feedparser, sanitize_html=False"),
    ("cli", "digestbot ingest <folder> (subprocess)"),
    ("startup", "  its fixed start-up (1-item ingest)"),
    ("in_process", "pipeline.ingest, in-process"),
    ("parse", "  stage parse (read_local: feedparser + HTML)"),
    ("classify", "  stage classify"),
    ("summarize", "  stage summarize"),
    ("store", f"  stage store ({pipeline.BATCH} per transaction)"),
)


def report(runs: Sequence[Run], n_items: int, n_files: int, size: int) -> None:
    med = statistics.median
    new = runs[-1].new
    print(
        f"\n{n_items} items in {n_files} RSS files ({size / 1e6:.1f} MB), {new} stored as new; "
        f"median of {len(runs)} run(s).\nratio = time / feedparser's time in the same run "
        "(wall: elapsed; cpu: user+system of the process, all threads)\n"
    )
    print(f"| {'measure':48s} | wall s | items/s | wall ratio | cpu s | cpu ratio |")
    print(f"|{'-' * 50}|-------:|--------:|-----------:|------:|----------:|")
    for key, label in ROWS:
        wall = med(r.times[key].wall for r in runs)
        cpu = med(r.times[key].cpu for r in runs)
        wall_ratio = med(r.times[key].wall / r.times["feedparser"].wall for r in runs)
        cpu_ratio = med(r.times[key].cpu / r.times["feedparser"].cpu for r in runs)
        rate = f"{n_items / wall:7.0f}" if key != "startup" else " " * 7
        print(
            f"| {label:48s} | {wall:6.2f} | {rate} | {wall_ratio:9.2f}x | {cpu:5.2f} | "
            f"{cpu_ratio:8.2f}x |"
        )
    print(
        f"\npeak RSS of `digestbot ingest`: {med(r.rss_mb for r in runs):.0f} MB "
        f"({med(r.rss_startup_mb for r in runs):.0f} MB for a 1-item ingest)"
    )
    print(f"digest build over the {new} stored articles (topic_digest, window {WINDOW}):")
    for topic in runs[-1].digest:
        took = med(r.digest[topic] for r in runs)
        print(f"  {topic:10s} {took * 1000:6.0f} ms  ({runs[-1].digest_items[topic]} stories)")


def profile(
    folder: Path, work: Path, settings: Settings, now: datetime, out: Path | None
) -> None:
    """cProfile of the stages (``pipeline.ingest`` works in threads, which cProfile misses)."""
    prof = cProfile.Profile()
    prof.enable()
    took = stages(folder, work / "profile.db", settings, now)
    prof.disable()
    if out is not None:
        prof.dump_stats(out)
    print(" ".join(f"{k}={v.cpu:.2f}s cpu" for k, v in took.items()))
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(40)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=10_000, help="distinct articles (default 10000)")
    ap.add_argument("--files", type=int, default=50, help="RSS files (default 50)")
    ap.add_argument("--runs", type=int, default=3, help="runs; medians are reported")
    ap.add_argument("--profile", action="store_true", help="cProfile one in-process ingest")
    ap.add_argument("--profile-out", type=Path, help="with --profile: also save the pstats file")
    ap.add_argument(
        "--distinct-bodies",
        action="store_true",
        help="end every body with a sentence of its own, so no two bodies are equal",
    )
    args = ap.parse_args()
    if not NEWS.is_dir():
        raise SystemExit(f"corpus not found: {NEWS}")
    entries = corpus_entries()
    settings = load_settings(None, db_url="sqlite:///unused.db")
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(tmp)
        folder, tiny = work / "feeds", work / "tiny"
        folder.mkdir()
        tiny.mkdir()
        size = write_feeds(
            entries, folder, args.n, args.files, now, distinct_bodies=args.distinct_bodies
        )
        write_feeds(entries[:1], tiny, 1, 1, now)
        bodies = "every body distinct" if args.distinct_bodies else "bodies repeat"
        print(f"{len(entries)} corpus items -> {args.n} items, {args.files} files ({bodies})")
        if args.profile:
            profile(folder, work, settings, now, args.profile_out)
            return
        runs = []
        for i in range(args.runs):
            runs.append(one_run(folder, tiny, work, settings, now))
            fp, cli = runs[-1].times["feedparser"], runs[-1].times["cli"]
            print(
                f"run {i + 1}: feedparser {fp.wall:.2f}s, ingest {cli.wall:.2f}s "
                f"= {cli.wall / fp.wall:.2f}x wall, {cli.cpu / fp.cpu:.2f}x cpu",
                flush=True,
            )
    report(runs, args.n, args.files, size)


if __name__ == "__main__":
    main()
