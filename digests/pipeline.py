"""The one place that wires fetch -> parse -> classify/summarize -> store.

Everything here is orchestration: the decisions live in sources/, topics, summarize and store/.
Fetching is async (httpx); classifying and summarizing are CPU work done in a worker thread so
the event loop of ``digestbot run`` never blocks.

A source's articles are prepared and stored in batches of ``BATCH``, one transaction each, so
memory stays bounded whatever the size of the source (a folder of 10,000 feed items).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from digests.errors import DigestbotError, HttpStatusError, NotAFeedError, SourceError
from digests.models import Article, IngestFailure, IngestReport, Summary, TopicScore
from digests.settings import FetchSettings, Settings
from digests.sources.feeds import parse_feed
from digests.sources.files import (
    is_opml_file,
    local_path,
    read_local,
    read_opml_bytes,
    scan_folder,
)
from digests.sources.http import FetchOptions, fetch, make_client
from digests.sources.opml import parse_opml
from digests.store import Store
from digests.store.types import FeedState, NewArticle
from digests.summarize import summarize
from digests.text import strip_invisible
from digests.topics import TopicDefinition, classify

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

BATCH = 500  # articles per store transaction: large enough to amortise it, small in memory


@dataclass(frozen=True)
class SourceSpec:
    """Where articles come from: a feed URL or a local path, and the name to show for it."""

    location: str
    name: str | None = None
    trusted: bool = True  # configured by the operator (CLI or config), not by a chat user
    error: str | None = None  # known unreadable before any fetch (a broken OPML file)

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class SourceResult:
    """What one source yielded: articles, or the one-line reason it failed, or unchanged."""

    spec: SourceSpec
    articles: tuple[Article, ...] = ()
    failures: tuple[IngestFailure, ...] = ()
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    feed_links: tuple[str, ...] = ()  # failed as a web page: the feeds it announces
    retry_after: float | None = None  # failed with 429/503: seconds the server asked for


def fetch_options(settings: FetchSettings) -> FetchOptions:
    return FetchOptions(
        user_agent=settings.user_agent,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_bytes=settings.max_bytes,
        max_redirects=settings.max_redirects,
        allow_private_addresses=settings.allow_private_addresses,
    )


def resolve_sources(locations: Sequence[str], settings: Settings) -> list[SourceSpec]:
    """CLI arguments, or (none given) the configured sources; OPML lists expand to their feeds.

    A local location is a path or a ``file://`` URL (``files.local_path``); any other URL
    scheme is a failed entry. An OPML list (``.opml``, or any file whose root is ``<opml>``)
    given directly is replaced by its feeds; one inside a folder adds its feeds next to the
    folder. An OPML list that cannot be read, or lists no feed, is one failed entry.
    """
    if locations:
        specs = [SourceSpec(loc) for loc in locations]
    else:
        specs = [SourceSpec(s.location, s.name) for s in settings.sources]
    out: list[SourceSpec] = []
    for spec in specs:
        if spec.is_url:
            out.append(spec)
            continue
        try:
            path = local_path(spec.location)
            if not path.is_dir():
                if is_opml_file(path):
                    out.extend(_expand_opml(spec, path))
                else:
                    out.append(spec)
                continue
            lists = scan_folder(path).lists
        except DigestbotError as e:  # one failed entry; the other sources still go in
            out.append(replace(spec, error=_reason(e)))
            continue
        out.append(spec)
        for found in lists:
            listed = SourceSpec(str(found))
            try:
                out.extend(_expand_opml(listed, found))
            except DigestbotError as e:
                out.append(replace(listed, error=_reason(e)))
    return out


def _expand_opml(spec: SourceSpec, path: Path) -> list[SourceSpec]:
    """The feeds an OPML file lists, as sources with their titles; SourceError when it
    cannot be read or lists none (an OPML list without feeds is a mistake worth a line)."""
    feeds = parse_opml(read_opml_bytes(path), source=spec.location)
    if not feeds:
        raise SourceError(spec.location, "no feeds in the OPML file")
    return [SourceSpec(f.url, f.title or None) for f in feeds]


async def read_source(
    spec: SourceSpec,
    store: Store,
    client: httpx.AsyncClient,
    options: FetchOptions,
) -> SourceResult:
    """Fetch and parse one source; every failure becomes a one-line ``IngestFailure``."""
    if spec.error is not None:
        return SourceResult(spec, failures=(IngestFailure(spec.location, spec.error),))
    if not spec.trusted and not spec.is_url:  # a chat user must never make the bot read files
        reason = "only http:// and https:// feeds can be read for a source added from chat"
        return SourceResult(spec, failures=(IngestFailure(spec.location, reason),))
    try:
        if spec.is_url:
            return await _read_feed_url(spec, store, client, options)
        return await asyncio.to_thread(_read_path, spec)
    except DigestbotError as e:
        links = e.feed_links if isinstance(e, NotAFeedError) else ()
        wait = e.retry_after if isinstance(e, HttpStatusError) else None
        failure = IngestFailure(spec.location, _reason(e))
        return SourceResult(spec, failures=(failure,), feed_links=links, retry_after=wait)


async def _read_feed_url(
    spec: SourceSpec, store: Store, client: httpx.AsyncClient, options: FetchOptions
) -> SourceResult:
    state = await asyncio.to_thread(store.get_feed, spec.location)
    result = await fetch(
        client,
        spec.location,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        options=options,
        trusted=spec.trusted,
    )
    if result.not_modified or result.content is None:
        return SourceResult(
            spec, not_modified=True, etag=result.etag, last_modified=result.last_modified
        )
    # Relative links resolve against the final URL; the items' identity is the URL polled, so
    # a feed that redirects (moved, http -> https) keeps the origin its GUIDs are stored under.
    parsed = await asyncio.to_thread(
        parse_feed, result.content, result.final_url, source_name=spec.name, origin=spec.location
    )
    return SourceResult(
        spec,
        articles=parsed.articles,
        etag=result.etag,
        last_modified=result.last_modified,
        title=parsed.title,
    )


def _read_path(spec: SourceSpec) -> SourceResult:
    local = read_local(local_path(spec.location))
    articles = tuple(replace(a, source=spec.name) if spec.name else a for a in local.articles)
    failures = tuple(IngestFailure(src, err) for src, err in local.failures)
    return SourceResult(spec, articles=articles, failures=failures)


def prepare(
    articles: Iterable[Article],
    topics: Mapping[str, TopicDefinition],
    now: datetime,
    *,
    done: dict[tuple[str, str], tuple[tuple[TopicScore, ...], Summary]] | None = None,
) -> list[NewArticle]:
    """Classify and summarize: the CPU part of ingest, pure apart from the clock value;
    an article with no time, or a time after ``now``, gets ``now``.

    Both depend on title and body only, so ``done`` (title, body -> topics, summary), shared
    by the caller across batches, spares an article that repeats another word for word (the
    same story under two URLs) a second pass.
    """
    done = {} if done is None else done
    prepared = []
    for article in articles:
        if article.published is None or article.published > now:
            # Undated, or dated ahead (a wrong time zone, a typo'd year): it is news now.
            # Left in the future it would miss every digest until that date and then come
            # back as new, or head every "newest first" list for years.
            article = replace(article, published=now)
        key = (article.title, article.body)
        found = done.get(key)
        if found is None:
            found = done[key] = (
                classify(article.title, article.body, topics),
                summarize(article.title, article.body),
            )
        prepared.append(
            NewArticle(article=article, topics=found[0], summary=found[1], fetched_at=now)
        )
    return prepared


def _visible(article: Article) -> Article:
    """The article without bidi controls and zero-width spaces in the fields chat shows."""
    title, body = strip_invisible(article.title), strip_invisible(article.body)
    source = strip_invisible(article.source)
    author = strip_invisible(article.author) if article.author else article.author
    if (title, body, source, author) == (article.title, article.body, article.source,
                                         article.author):
        return article
    return replace(article, title=title, body=body, source=source, author=author)


@dataclass(frozen=True)
class Stored:
    """What ``store_articles`` did: ``updated`` counts the duplicates that were revisions."""

    new: int = 0
    duplicates: int = 0
    updated: int = 0
    new_ids: tuple[int, ...] = ()


def store_articles(
    store: Store,
    articles: Sequence[Article],
    topics: Mapping[str, TopicDefinition],
    now: datetime,
) -> Stored:
    """Prepare and store ``articles``, ``BATCH`` at a time (one transaction per batch).

    Articles stored already by URL or GUID (most of a feed polled again) are counted as
    duplicates without being classified or summarized, unless the source changed their words
    (``KnownArticle.revised_by``): those are prepared again and stored over the old version.
    The store decides the rest.
    """
    articles = [_visible(a) for a in articles]  # before comparing with what is stored
    new_ids: list[int] = []
    updated = 0
    done: dict[tuple[str, str], tuple[tuple[TopicScore, ...], Summary]] = {}
    for start in range(0, len(articles), BATCH):
        batch = articles[start : start + BATCH]
        known = store.known_articles(batch)
        fresh = [a for a, stored in zip(batch, known, strict=True) if stored is None]
        revised = [
            (stored.id, a)
            for a, stored in zip(batch, known, strict=True)
            if stored is not None and stored.revised_by(a)
        ]
        outcomes = store.add_articles(prepare(fresh, topics, now, done=done))
        new_ids.extend(o.article_id for o in outcomes if o.status == "new")
        if revised:
            versions = prepare([a for _id, a in revised], topics, now, done=done)
            changed = store.update_articles(
                [(i, v) for (i, _a), v in zip(revised, versions, strict=True)]
            )
            updated += len(changed)
        if len(done) > 4 * BATCH:
            done.clear()  # bounded: exact repeats are usually close together
    return Stored(len(new_ids), len(articles) - len(new_ids), updated, tuple(new_ids))


async def ingest(
    specs: Sequence[SourceSpec],
    store: Store,
    settings: Settings,
    *,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read every source, store what is new, record feed state; never raises for one source."""
    now = now or datetime.now(UTC)
    options = fetch_options(settings.fetch)
    own_client = client is None
    http = client or make_client(options)
    per_host: dict[str, asyncio.Semaphore] = {}

    async def one(spec: SourceSpec) -> SourceResult:
        host = urlsplit(spec.location).hostname or "" if spec.is_url else ""
        sem = per_host.setdefault(host, asyncio.Semaphore(settings.poll.per_host))
        async with sem:
            return await read_source(spec, store, http, options)

    new = dups = updated = 0
    failures: list[IngestFailure] = []
    new_ids: list[int] = []
    try:
        for coro in asyncio.as_completed([one(s) for s in specs]):
            result = await coro
            failures.extend(result.failures)
            stored = await asyncio.to_thread(
                store_articles, store, result.articles, settings.topics, now
            )
            new, dups = new + stored.new, dups + stored.duplicates
            updated += stored.updated
            new_ids.extend(stored.new_ids)
            if result.spec.is_url:
                await asyncio.to_thread(record_feed, store, result, now)
            if progress:
                progress(result.spec.location)
    finally:
        if own_client:
            await http.aclose()
    return IngestReport(
        new=new, duplicates=dups, updated=updated, failed=tuple(failures), new_ids=tuple(new_ids)
    )


def record_feed(
    store: Store, result: SourceResult, now: datetime, *, next_poll: datetime | None = None
) -> None:
    """Keep the conditional-GET validators and the feed's health after a one-off fetch.

    A one-off ``ingest`` of a URL does not make the bot poll it: only configured feeds and
    feeds added at run time are polled (the row keeps whether it was added). ``next_poll``
    (default: keep the stored one) is when the poller should fetch it next.
    """
    state = store.get_feed(result.spec.location) or FeedState(url=result.spec.location)
    if next_poll is not None:
        state = replace(state, next_poll=next_poll)
    if result.failures:
        state = replace(
            state,
            last_polled=now,
            last_error=result.failures[0].error,
            error_count=state.error_count + 1,
        )
    else:
        state = replace(
            state,
            etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
            # A feed added at run time keeps the title it was added with (maybe a name).
            title=state.title if state.added and state.title else result.title or state.title,
            last_polled=now,
            last_success=now,
            last_status=304 if result.not_modified else 200,
            last_error=None,
            error_count=0,
        )
    store.upsert_feed(state)


def _reason(error: DigestbotError) -> str:
    """The one-line reason; a SourceError's source is not repeated (the entry names it)."""
    text = error.reason if isinstance(error, SourceError) else str(error)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(error).__name__
