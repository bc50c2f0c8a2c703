"""What each ``digestbot`` command does: load settings, call the core, print the result.

Commands return an exit status; expected failures raise ``DigestbotError`` and ``bot.cli.main``
turns them into one line on stderr and exit 2. What only reading sources needs (feedparser,
httpx, trafilatura, rich) is imported by the commands that read them, so ``search``, ``digest``
or ``ask`` do not pay for it at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from datetime import datetime
from pathlib import Path

from bot.app import App, make_app
from bot.cli import EXIT_ERROR, EXIT_OK, load, print_json
from digests.errors import SourceError, UsageError
from digests.models import Article
from digests.queries import answer_question
from digests.render import json as render_json
from digests.render import render as render_digest
from digests.render import render_many
from digests.store.types import FeedState
from digests.summarize import summarize
from digests.timewindow import parse_window
from digests.topics import classify


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[App]:
    app = make_app(load(args))
    try:
        yield app
    finally:
        app.close()


def _read_articles(
    paths: list[str], command: str
) -> tuple[list[tuple[str, Article]], list[tuple[str, str]]]:
    """Articles of files/folders with the source label to print for each; nothing stored."""
    from digests.sources.files import local_path, read_local

    found: list[tuple[str, Article]] = []
    failures: list[tuple[str, str]] = []
    for raw in paths:
        if _WEB_URL.match(raw):
            raise UsageError(
                f"{raw}: {command} takes files and folders, not URLs "
                "(ingest stores a URL's articles)"
            )
        path = local_path(raw)  # a path, or a file:// URL as ingest takes; other schemes fail
        if not path.exists():
            raise SourceError(raw, "no such file or folder")  # ingest's wording
        result = read_local(path)
        failures.extend(result.failures)
        for article in result.articles:
            label = _file_label(article, raw)
            found.append((label, article))
    if not found:
        reason = failures[0][1] if failures else "no articles found"
        where = failures[0][0] if failures else ", ".join(paths)
        raise SourceError(where, reason)
    return found, failures


_WEB_URL = re.compile(r"^https?://", re.IGNORECASE)


def _file_label(article: Article, given: str) -> str:
    if article.url.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(article.url).path)
    return article.url or given


def _warn_failures(failures: list[tuple[str, str]]) -> None:
    for source, error in failures:
        sys.stderr.write(f"digestbot: skipped {source}: {error}\n")


# --- ingest ---------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from bot.gc_policy import bulk_allocations
    from bot.progress import progress_reporter
    from digests import pipeline

    with opened(args) as app:
        specs = pipeline.resolve_sources(args.sources, app.settings)
        if not specs:
            raise UsageError("no sources given and none configured (add 'sources:' to the config)")
        with progress_reporter(len(specs), "ingest") as progress, bulk_allocations():
            report = asyncio.run(
                pipeline.ingest(specs, app.store, app.settings, now=app.clock(), progress=progress)
            )
    for failure in report.failed:  # one line per failed source, whatever the output format
        sys.stderr.write(f"digestbot: failed {failure.source}: {failure.error}\n")
    if args.json:
        print_json(report.to_json())
    else:
        sys.stdout.write(report.line() + "\n")
    failed_sources = {f.source for f in report.failed}
    all_failed = (
        bool(report.failed)
        and report.new == 0
        and report.duplicates == 0
        and (len(failed_sources) >= len(specs))
    )
    return EXIT_ERROR if all_failed else EXIT_OK


# --- classify / summarize (nothing stored) ---------------------------------------------------


def cmd_classify(args: argparse.Namespace) -> int:
    settings = load(args)
    found, failures = _read_articles(args.paths, args.command)
    _warn_failures(failures)
    rows = []
    for label, article in found:
        scores = classify(article.title, article.body, settings.topics)
        rows.append(
            {
                "source": label,
                "title": article.title,
                "topics": [s.topic for s in scores if s.member],
                "scores": {s.topic: round(s.score, 4) for s in scores},
                "evidence": {s.topic: list(s.evidence) for s in scores if s.evidence},
            }
        )
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            topics = ", ".join(row["topics"]) or "(none)"
            sys.stdout.write(f"{row['source']}: {topics}\n  {row['title']}\n")
    return EXIT_OK


def cmd_summarize(args: argparse.Namespace) -> int:
    load(args)  # validates the config like every command
    found, failures = _read_articles(args.paths, args.command)
    _warn_failures(failures)
    rows = []
    for label, article in found:
        summary = summarize(article.title, article.body)
        rows.append(
            {
                "source": label,
                "title": article.title,
                "summary": summary.summary,
                "key_facts": list(summary.key_facts),
            }
        )
    single = len(args.paths) == 1 and Path(args.paths[0]).is_file() and len(rows) == 1
    if args.json:
        print_json(rows[0] if single else rows)
    else:
        for row in rows:
            sys.stdout.write(f"# {row['title']}\n{row['summary']}\n")
            for fact in row["key_facts"]:
                sys.stdout.write(f"  - {fact}\n")
            sys.stdout.write("\n")
    return EXIT_OK


# --- digest / search / ask -------------------------------------------------------------------


def cmd_digest(args: argparse.Namespace) -> int:
    from digests.queries import topic_digest

    if args.since is not None:
        parse_window(args.since)
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json conflicts with --format {args.format}: give one of them")
    fmt = "json" if args.json else (args.format or "markdown")
    with opened(args) as app:
        topics = [args.topic] if args.topic else list(app.settings.topics)
        for topic in topics:
            app.settings.topic(topic)  # unknown topic -> UsageError before any work
        now = app.clock()
        digests = [
            topic_digest(
                app.store, app.settings, t, now=now, window=args.since, max_items=args.limit
            )
            for t in topics
        ]
    if fmt == "json":
        payloads = [render_json.render(d) for d in digests]
        print_json(payloads[0] if args.topic else payloads)
        return EXIT_OK
    # One document per run, whatever the format: every topic's digests in one page or list.
    sys.stdout.write(render_digest(digests[0], fmt) if args.topic else render_many(digests, fmt))
    return EXIT_OK


def _limit(value: int) -> int:
    if not 1 <= value <= 100:
        raise UsageError("--limit must be between 1 and 100")
    return value


def cmd_search(args: argparse.Namespace) -> int:
    from digests.store.search import unmark  # JSON: plain text; the console keeps the ** marks

    query = " ".join(args.query).strip()
    if not query:
        raise UsageError("search needs some words")
    limit = _limit(args.limit)
    since_delta = parse_window(args.since) if args.since is not None else None
    with opened(args) as app:
        if args.topic:
            app.settings.topic(args.topic)
        since = app.clock() - since_delta if since_delta else None
        hits = app.store.search(query, topic=args.topic, since=since, limit=limit)
    rows = [
        {
            "title": h.article.title,
            "url": h.article.url,
            "snippet": unmark(h.snippet) if args.json else h.snippet,
            "score": round(h.score, 4),
            "published": h.article.published.isoformat(),
            "source": h.article.source,
        }
        for h in hits
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        sys.stdout.write(f"No stored articles match {query!r}.\n")
    else:
        for i, row in enumerate(rows, 1):
            sys.stdout.write(f"{i}. {row['title']}\n   {row['url']}\n   {row['snippet']}\n")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question).strip()
    if not question:
        raise UsageError("ask needs a question")
    since_delta = parse_window(args.since) if args.since is not None else None
    with opened(args) as app:
        if args.topic:
            app.settings.topic(args.topic)
        since = app.clock() - since_delta if since_delta else None
        result = answer_question(
            app.store,
            app.settings,
            question,
            topic=args.topic,
            since=since,
            llm_api_key=os.environ.get(app.settings.llm.api_key_env),
        )
    if args.json:
        print_json(result.to_json())
    elif not result.answer:
        sys.stdout.write("No stored article answers that question.\n")
    else:
        sys.stdout.write(result.answer + "\n\nSources:\n")
        for s in result.sources:
            sys.stdout.write(f"  - {s.title} <{s.url}>\n")
    return EXIT_OK


# --- post / run / archive (the shell's long-running parts) -------------------------------------


def cmd_post(args: argparse.Namespace) -> int:
    from bot.delivery import post_now

    if args.since is not None:
        parse_window(args.since)
    # With --json, stdout holds the JSON alone: a console channel's digest goes to stderr.
    shown = redirect_stdout(sys.stderr) if args.json else nullcontext()
    with opened(args) as app, shown:
        result = asyncio.run(post_now(app, args.channel, topic=args.topic, window=args.since))
    if args.json:
        print_json(result.to_json())
    else:
        for d in result.delivered:
            sys.stdout.write(f"delivered to {d.channel}: {d.message_id}\n")
        for s in result.skipped:
            sys.stdout.write(f"skipped {s.channel} ({s.topic}): {s.reason}\n")
    for f in result.failed:  # the log lines above say how it went; this says what it means
        again = "will not work until fixed" if f.permanent else "run post again to finish it"
        sys.stderr.write(f"digestbot: could not post to {f.channel} ({f.topic}): {f.error}; "
                         f"{again}\n")
    return EXIT_ERROR if result.failed else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run, run_once

    settings = load(args)
    if args.once:
        return run_once(settings)
    return run(settings, port=args.port)


def cmd_archive_build(args: argparse.Namespace) -> int:
    from bot.web import build_static_archive

    with opened(args) as app:
        count = build_static_archive(app, Path(args.out_dir))
    sys.stdout.write(f"wrote {count} pages to {args.out_dir}\n")
    return EXIT_OK


# --- prune (retention) ------------------------------------------------------------------------


def cmd_prune(args: argparse.Namespace) -> int:
    from bot.retention import plan, prune
    from digests.retention import parse_age
    from digests.store.retention import PruneCounts

    try:
        asked = parse_age(args.older_than) if args.older_than is not None else None
    except UsageError as e:
        raise UsageError(f"--older-than: {e}") from None
    if args.older_than is not None and asked is None:
        raise UsageError(f"--older-than {args.older_than!r} keeps everything: give an age (90d)")
    with opened(args) as app:
        age = asked or app.settings.retention.max_age
        if age is None:
            sys.stderr.write(
                "digestbot: retention.articles keeps articles forever; nothing pruned "
                "(give --older-than 90d, or set retention.articles in the config)\n"
            )
            counts, pruning = PruneCounts(), None
        else:
            pruning = plan(app, age)
            if pruning.clamped:
                sys.stderr.write(
                    f"digestbot: keeping articles newer than "
                    f"{pruning.cutoff.isoformat(timespec='seconds')}: scheduled digest windows "
                    f"can still include them\n"
                )
            if args.dry_run:
                counts = app.store.count_prunable(
                    pruning.cutoff, index_before=pruning.index_before
                )
            else:
                counts = prune(app, pruning)
    cutoff = pruning.cutoff.isoformat() if pruning else None
    if args.json:
        print_json({**counts.to_json(), "cutoff": cutoff, "dry_run": bool(args.dry_run)})
    else:
        verb = "would delete" if args.dry_run else "deleted"
        sys.stdout.write(
            f"{verb} {counts.articles} articles, {counts.stories} stories, "
            f"{counts.deliveries} delivery records"
            + (f" (published and stored before {cutoff})" if cutoff else "")
            + "\n"
        )
    return EXIT_OK


# --- config / feeds / db ----------------------------------------------------------------------


def cmd_config_check(args: argparse.Namespace) -> int:
    settings = load(args)
    where = settings.config_path or "built-in defaults"
    sys.stdout.write(
        f"{where}: ok ({len(settings.topics)} topics, {len(settings.sources)} sources, "
        f"{len(settings.channels)} channels)\n"
    )
    return EXIT_OK


def cmd_feeds_list(args: argparse.Namespace) -> int:
    """Followed feeds (configured, OPML files expanded; then added at run time), then the
    stored rows the bot does not poll (a one-off ``ingest URL``, a feed taken out of the
    config), marked ``"followed": false`` / "[not followed]"."""
    from bot.poller import configured_feeds

    with opened(args) as app:
        states = {f.url: f for f in app.store.list_feeds()}
        configured = configured_feeds(app.settings)
    rows = [_feed_row(url, name, states.pop(url, None), True) for url, name in configured.items()]
    rows.extend(_feed_row(url, None, state, True) for url, state in states.items() if state.added)
    rows.extend(
        _feed_row(url, None, state, False) for url, state in states.items() if not state.added
    )
    if args.json:
        print_json(rows)
    elif not rows:
        sys.stdout.write("No feeds configured or stored.\n")
    else:
        for row in rows:
            status = "error: " + str(row["last_error"]) if row["last_error"] else "ok"
            how = (
                " [not followed]" if not row["followed"]
                else f" (added by {row['added_by']})" if row["added_by"] else ""
            )
            success = row["last_success"] or "never"
            if not row["last_success"] and not row["last_error"]:
                status = "not polled yet"
            sys.stdout.write(f"{row['url']} [{status}] last success: {success}{how}\n")
    return EXIT_OK


def _feed_row(
    url: str, name: str | None, state: FeedState | None, followed: bool
) -> dict[str, object]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "url": url,
        "title": name or (state.title if state else None),
        "last_success": iso(state.last_success) if state else None,
        "last_error": state.last_error if state else None,
        "consecutive_failures": state.error_count if state else 0,
        "next_poll": iso(state.next_poll) if state and followed else None,
        "followed": followed,
        "added_by": state.added_by if state else None,
        "added_at": iso(state.added_at) if state else None,
        "found_on": state.found_on if state else None,
    }


def cmd_feeds_add(args: argparse.Namespace) -> int:
    """Follow a feed as the operator: trusted like ``ingest`` (an intranet feed may be
    followed), fetched and stored now, polled from then on."""
    from bot.following import CLI_ADDER, clean_feed_url, follow_feed

    clean_feed_url(args.url)  # a bad URL: one line and exit 2 before the store is opened
    with opened(args) as app:
        result = asyncio.run(
            follow_feed(app, args.url, added_by=CLI_ADDER, name=args.name, trusted=True)
        )
    if args.json:
        print_json({
            "url": result.url,
            "title": result.title,
            "new": result.new,
            "duplicates": result.duplicates,
            "already": result.already,
            "found_on": result.found_on,
        })
    elif result.already == "config":
        sys.stdout.write(f"already following {result.url}: it is in the config file\n")
    elif result.already == "added":
        sys.stdout.write(f"already following {result.url} (added by {result.added_by})\n")
    else:
        found = f" (the feed {result.found_on} names)" if result.found_on else ""
        sys.stdout.write(
            f"now following {result.title} <{result.url}>{found}: {result.new} new articles, "
            f"{result.duplicates} duplicates\n"
        )
    return EXIT_OK


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    """Stop following a feed added at run time; a configured one is an error (exit 2: it
    must be removed from the config file); one not followed is ``"removed": false``. The web
    page a feed was added through stands for that feed (``"found_on"``); a page several
    added feeds were found on is an error listing them (exit 2), as which one is meant is
    not known."""
    from bot.following import clean_feed_url, unfollow_feed

    clean_feed_url(args.url)
    with opened(args) as app:
        result = asyncio.run(unfollow_feed(app, args.url))
        where = app.settings.config_path or "the config file"
    if result.configured:
        raise UsageError(f"{result.url} is configured in {where}: remove it there")
    if result.found:
        raise UsageError(
            f"{len(result.found)} feeds were found on {result.url}: {', '.join(result.found)};"
            " nothing removed (remove each by its URL)"
        )
    if args.json:
        print_json({"url": result.url, "removed": result.removed, "found_on": result.found_on})
    elif result.removed:
        found = f" (the feed {result.found_on} names)" if result.found_on else ""
        sys.stdout.write(f"no longer following {result.url}{found}\n")
    else:
        sys.stdout.write(f"{result.url} is not followed: nothing removed\n")
    return EXIT_OK


def cmd_feeds_export(args: argparse.Namespace) -> int:
    """The followed feeds as OPML: configured (OPML files expanded), then added at run time."""
    from bot.poller import configured_feeds
    from digests.sources.opml import OpmlFeed, write_opml

    with opened(args) as app:
        states = app.store.list_feeds()
        titles = {s.url: s.title for s in states}
        feeds = {u: n or titles.get(u) or "" for u, n in configured_feeds(app.settings).items()}
        for state in states:
            if state.added:
                feeds.setdefault(state.url, state.title or "")
    text = write_opml([OpmlFeed(title=t, url=u) for u, t in feeds.items()], "digestbot feeds")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {len(feeds)} feeds to {args.output}\n")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    with opened(args) as app:
        version = app.store.schema_version()
    sys.stdout.write(f"database is at schema version {version}\n")
    return EXIT_OK

