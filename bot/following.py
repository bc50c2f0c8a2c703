"""Following feeds at run time: ``/news feeds add|remove`` and ``digestbot feeds add|remove``.

The poller (``bot.poller``) polls the configured feeds and the rows added here. A feed added
from chat is fetched like any URL the operator did not list (``trusted=False``); one added from
the CLI is the operator's, so trusted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx

from bot.app import App
from bot.poller import CLI_ADDER, configured_feeds
from digests.errors import SourceError, UsageError
from digests.pipeline import SourceSpec, fetch_options, read_source, record_feed, store_articles
from digests.sources.http import make_client
from digests.store.types import FeedState
from digests.store.urls import canonical_url
from digests.timewindow import parse_duration

__all__ = ["CLI_ADDER", "FollowResult", "UnfollowResult", "clean_feed_url", "feed_key",
           "follow_feed", "unfollow_feed"]

log = logging.getLogger(__name__)

MAX_FEED_URL = 2000  # characters
MAX_FEED_NAME = 200  # characters of a name given with ``feeds add URL NAME``

_SLACK_LINK = re.compile(r"<([^<>|\s]*)(?:\|[^<>]*)?>")


def clean_feed_url(text: str) -> str:
    """The feed URL in what a user typed, or a ``UsageError`` saying what is wrong with it.

    Strips whitespace and the angle brackets (and label) Slack puts around a link
    (``<https://x/feed|x/feed>``, ``<https://x/feed>``) and undoes Slack's ``&amp;``-style
    escaping; then it must be an http or https URL with a host, at most ``MAX_FEED_URL``
    characters.
    """
    url = text.strip()
    link = _SLACK_LINK.fullmatch(url)
    if link:
        url = link.group(1)
    url = url.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    if not url:
        raise UsageError("give the feed's URL")
    if len(url) > MAX_FEED_URL:
        raise UsageError(f"URL too long ({len(url)} characters; at most {MAX_FEED_URL:,})")
    shown = url if len(url) <= 80 else url[:79] + "…"
    if any(c.isspace() for c in url):
        raise UsageError(f"not a URL: {shown!r} (a URL has no spaces)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise UsageError(f"not a valid URL: {shown!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"only http:// and https:// feed URLs can be followed, not {shown!r}")
    if not parts.hostname:
        raise UsageError(f"URL without a host: {shown!r}")
    return url


def feed_key(url: str) -> str:
    """What two feed URLs are compared by: the canonical form (``store/urls.py``: scheme and
    host lowercased, default port, fragment, trailing slash and tracking parameters
    dropped), so ``https://Example.org/feed/`` is the configured ``https://example.org/feed``."""
    return canonical_url(url)


@dataclass(frozen=True)
class FollowResult:
    """What ``follow_feed`` did: added ``url`` and stored ``new`` articles, or found it
    already followed (``already``: "config" or "added", with who added it)."""

    url: str
    title: str
    new: int = 0
    duplicates: int = 0
    already: Literal["config", "added"] | None = None
    added_by: str | None = None
    found_on: str | None = None  # the web page given, whose announced feed ``url`` is


@dataclass(frozen=True)
class UnfollowResult:
    """What ``unfollow_feed`` did: ``removed``, or not because the feed is ``configured``
    (it must be removed from the config file) or was not followed at all.

    A web page given (not itself a followed feed) stands for the added feed found on it
    (``found_on``: that page; ``url`` is the feed). When several added feeds were found on
    it, none is removed and ``found`` lists them: the user must pick one.
    """

    url: str
    title: str
    removed: bool
    configured: bool = False
    found_on: str | None = None
    found: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Match:
    """What is known of a URL, compared by ``feed_key``: the configured URL and name, the
    stored rows (the exact URL first, added rows next)."""

    configured: str | None
    name: str | None
    rows: tuple[FeedState, ...]

    @property
    def row(self) -> FeedState | None:
        return self.rows[0] if self.rows else None

    @property
    def added(self) -> list[FeedState]:
        return [s for s in self.rows if s.added]


def _match(app: App, url: str) -> _Match:
    """Store and config reads (OPML files too): call it in a thread."""
    key = feed_key(url)
    configured = configured_feeds(app.settings)
    conf = url if url in configured else next((u for u in configured if feed_key(u) == key),
                                               None)
    rows = sorted(
        (s for s in app.store.list_feeds() if feed_key(s.url) == key),
        key=lambda s: (s.url != (conf or url), not s.added, s.url),
    )
    return _Match(conf, configured.get(conf) if conf else None, tuple(rows))


async def follow_feed(
    app: App,
    text: str,
    *,
    added_by: str,
    name: str | None = None,
    trusted: bool = False,
    client: httpx.AsyncClient | None = None,
    found_on: str | None = None,
) -> FollowResult:
    """Follow the feed at ``text`` from now on (``/news feeds add``, ``digestbot feeds add``).

    The URL is cleaned and checked (``clean_feed_url``: ``UsageError``). A feed already
    configured or added is left as it is. Otherwise it is fetched once through the poller's
    path (``read_source``; ``trusted=False`` refuses private, loopback and link-local
    addresses, redirects included, unless ``fetch.allow_private_addresses``) and parsed: if it
    is not a feed (an HTML page, a 404, a timeout, too big) a ``SourceError`` says why in one
    line and nothing is added. Else the row is added (``Store.add_feed``), what was fetched is
    stored now (``store_articles``, as the poller does) and the poll is recorded, so the
    poller next fetches it one ``poll.interval`` later. ``name`` (optional) is the feed's
    title and its articles' source; else the feed's own title.
    """
    url = clean_feed_url(text)
    name = " ".join((name or "").split())[:MAX_FEED_NAME] or None
    store = app.store
    found = await asyncio.to_thread(_match, app, url)
    row = found.row
    if found.configured is not None:
        stored = row.title if row and row.url == found.configured else ""
        title = found.name or stored or found.configured
        return FollowResult(found.configured, title, already="config", found_on=found_on)
    if found.added:
        first = found.added[0]
        return FollowResult(first.url, first.title or first.url, already="added",
                            added_by=first.added_by, found_on=found_on)
    if row is not None:
        url = row.url  # the row a one-off ingest wrote: keep its validators and health
    settings = app.settings
    options = fetch_options(settings.fetch)
    http = client or make_client(options)
    try:
        result = await read_source(SourceSpec(url, name, trusted=trusted), store, http, options)
    finally:
        if client is None:
            await http.aclose()
    if result.failures and result.feed_links and found_on is None:
        return await _follow_announced(
            app, url, result.feed_links, result.failures[0].error,
            added_by=added_by, name=name, trusted=trusted, client=client,
        )
    if result.failures:
        raise SourceError(url, result.failures[0].error)
    now = app.clock()
    title = name or result.title or (row.title if row else "") or ""
    state = await asyncio.to_thread(store.add_feed, url, title, added_by, now, found_on)
    if state.added_at != now:  # added by someone else meanwhile
        return FollowResult(url, state.title or url, already="added", added_by=state.added_by)
    counts = await asyncio.to_thread(
        store_articles, store, list(result.articles), settings.topics, now
    )
    new, dups = counts.new, counts.duplicates
    next_poll = now + parse_duration(settings.poll.interval)
    await asyncio.to_thread(record_feed, store, result, now, next_poll=next_poll)
    log.info("feed added url=%s by=%s new=%d duplicates=%d", url, added_by, new, dups)
    return FollowResult(url, title or url, new=new, duplicates=dups, found_on=found_on)


async def _follow_announced(
    app: App,
    page: str,
    links: tuple[str, ...],
    page_error: str,
    *,
    added_by: str,
    name: str | None,
    trusted: bool,
    client: httpx.AsyncClient | None,
) -> FollowResult:
    """A web page was given: follow the first feed it announces that is one (autodiscovery,
    ``sources.discover``; on the page's own host with the page's trust, on another host as a
    link from content: no private address unless allowed). Every announced link is
    tried, best first, so a dead first link does not hide a working later one; the number is
    capped by ``discover.MAX_LINKS`` (5), so a page costs at most that many extra fetches.
    One level only: a feed link that is a page again is not followed further."""
    first_error = ""
    for link in links:
        # The page's trust covers its own host only: a link elsewhere is content, checked
        # like a redirect to another host (no private address unless allowed).
        same_host = _host(link) == _host(page)
        try:
            return await follow_feed(
                app, link, added_by=added_by, name=name, trusted=trusted and same_host,
                client=client, found_on=page,
            )
        except (SourceError, UsageError) as e:
            first_error = first_error or str(e)
    others = len(links) - 1
    more = f" (and the {others} other feed{'s' if others > 1 else ''} it names)" if others else ""
    raise SourceError(page, f"{page_error}, which failed{more}: {first_error}")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


async def unfollow_feed(app: App, text: str) -> UnfollowResult:
    """Stop following a feed added at run time (``/news feeds remove``, ``digestbot feeds
    remove``). A configured feed is not touched (``configured``: remove it from the config
    file); a URL that is not followed gives ``removed=False``. The row stays, with its
    validators and health, but is no longer polled.

    A URL that is no followed feed but the page an added feed was found on (``feeds add
    PAGE``: ``found_on``, compared by ``feed_key``) removes that feed, the way it was added;
    if several added feeds were found on it, none is removed (``found`` lists them)."""
    url = clean_feed_url(text)

    def remove(url: str, page: str | None) -> UnfollowResult:
        found = _match(app, url)
        if found.configured is not None:
            title = found.name or found.configured
            return UnfollowResult(found.configured, title, removed=False, configured=True,
                                  found_on=page)
        removed = [s for s in found.added if app.store.remove_feed(s.url)]
        if removed:
            log.info("feed removed url=%s found_on=%s", removed[0].url, page)
            return UnfollowResult(removed[0].url, removed[0].title or removed[0].url, True,
                                  found_on=page)
        if page is None:
            key = feed_key(url)
            on_page = sorted(s.url for s in app.store.list_feeds()
                             if s.added and s.found_on and feed_key(s.found_on) == key)
            if len(on_page) == 1:
                return remove(on_page[0], url)
            if on_page:
                return UnfollowResult(url, url, removed=False, found=tuple(on_page))
        return UnfollowResult(url, url, removed=False)

    return await asyncio.to_thread(remove, url, None)
