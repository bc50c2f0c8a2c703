"""The digest archive as a small read-only website, served live or written as static files.

Live: ``add_archive_routes`` puts ``/``, ``/digests/{topic}``, ``/digests/{topic}/{id}``,
``/search`` and ``/static/site.css`` on the bot's aiohttp server (beside ``/healthz``,
``/metrics`` and ``/slack/events``, which it leaves alone). Store calls run in a thread so the
event loop never waits on the database. Static: ``build_static_archive`` writes the same pages
with relative links (``digestbot archive build OUT_DIR``). The markup is ``digests.render.site``.

Protection is off by default (the server binds 127.0.0.1). When the site is exposed, set
``ARCHIVE_TOKEN`` (a shared token, sent as ``?token=``, ``Authorization: Bearer`` or the cookie
a valid ``?token=`` sets) and/or ``ARCHIVE_BASIC_AUTH=user:password``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
from base64 import b64decode
from binascii import Error as BinasciiError
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.app import App
from digests.errors import ConfigError, DigestbotError, StoreError, UsageError
from digests.render import json as digest_json
from digests.render.chart import (
    chart_days,
    chart_title,
    trend_chart,
    trend_legend,
    trend_table,
)
from digests.render.site import (
    ChartParts,
    Links,
    TopicOverview,
    digest_page,
    index_page,
    message_page,
    search_page,
    stylesheet,
    topic_page,
)
from digests.settings import Settings
from digests.store.types import ArchivedDigest

log = logging.getLogger(__name__)

PER_PAGE = 20
LATEST_ON_HOME = 3
TREND_DAYS = 30
SEARCH_LIMIT = 20
MAX_QUERY = 500
RECENT_FOR_TOPICS = 60  # recent archived digests scanned for topics no longer configured
SERVER_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
COOKIE = "digestbot_archive"
_FILE_SAFE_TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SERVER_LINKS = Links(root="/")


class PageNotFound(DigestbotError):
    """No such topic, digest or page."""


class BrokenDigest(DigestbotError):
    """An archived digest whose stored payload cannot be read back."""


def archive_url(settings: Settings, topic: str, digest_id: int) -> str | None:
    """The public link of an archived digest (``{public_url}/digests/{topic}/{id}``), or None
    when no ``public_url`` is configured."""
    base = (settings.public_url or "").strip().rstrip("/")
    if not base:
        return None
    return f"{base}/digests/{quote(topic, safe='')}/{digest_id}"


# --- pages from the store (blocking; the server calls them in a thread) ------------------------


def home_html(app: App, links: Links, *, topics: list[str] | None = None) -> str:
    """The home page: the 30-day trend chart and every topic with its latest digests."""
    now = app.clock().astimezone(UTC)
    names = topics if topics is not None else known_topics(app)
    overviews = [
        TopicOverview(
            name=name,
            description=_description(app, name),
            latest=tuple(app.store.list_digests(name, limit=LATEST_ON_HOME)),
        )
        for name in names
    ]
    days = chart_days(now.date(), TREND_DAYS)
    counts = app.store.story_counts_per_day(datetime.combine(days[0], time(), UTC), now)
    colors = {name: definition.color for name, definition in app.settings.topics.items()}
    chart = ChartParts(
        svg=trend_chart(counts, days, names, colors),
        legend=trend_legend(counts, days, names, colors),
        table=trend_table(counts, days, names, caption=chart_title(days)),
    )
    return index_page(
        overviews,
        chart,
        links,
        generated=now if links.static else None,
    )


def topic_html(app: App, topic: str, page: int, links: Links) -> str:
    """One page (``PER_PAGE`` digests, newest first) of a topic's archive."""
    if page < 1:
        raise PageNotFound(f"there is no page {page}")
    rows = app.store.list_digests(topic, offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
    if not rows and (page > 1 or topic not in app.settings.topics):
        raise PageNotFound(
            f"no page {page} of {_shown(topic)}"
            if page > 1
            else f"no topic {_shown(topic)} in the archive"
        )
    return _listing(app, topic, page, rows, links)


def _listing(app: App, topic: str, page: int, rows: list[ArchivedDigest], links: Links) -> str:
    """A topic page from ``rows``: up to ``PER_PAGE + 1`` digests (one more: is there a next?)."""
    return topic_page(
        topic,
        _description(app, topic),
        rows[:PER_PAGE],
        links,
        page=page,
        has_next=len(rows) > PER_PAGE,
        generated=app.clock() if links.static else None,
    )


def digest_html(app: App, topic: str, digest_id: int, links: Links) -> str:
    """One archived digest's page; PageNotFound when the id is not a digest of ``topic``."""
    archived = app.store.get_digest(digest_id)
    if archived is None or archived.topic != topic:
        raise PageNotFound(f"no digest {digest_id} in {_shown(topic)}")
    return _render_digest(archived, links)


def search_html(app: App, query: str, topic: str, links: Links) -> tuple[int, str]:
    """(status, page) of a search; an unknown topic is a 400 with the form shown again."""
    query = query[:MAX_QUERY]
    names = known_topics(app)
    if topic and topic not in names:
        error = f"Unknown topic {_shown(topic)}: choose one from the list."
        return 400, search_page(query, None, names, [], links, error=error)
    hits = app.store.search(query, topic=topic or None, limit=SEARCH_LIMIT) if query.strip() else []
    return 200, search_page(query, topic or None, names, hits, links)


def known_topics(app: App, *, scan: int = RECENT_FOR_TOPICS) -> list[str]:
    """Configured topics in config order, then archived topics no longer configured (sorted)."""
    configured = list(app.settings.topics)
    extra: set[str] = set()
    offset, batch = 0, min(scan, 500)
    while offset < scan:
        rows = app.store.list_digests(None, offset=offset, limit=min(batch, scan - offset))
        extra.update(row.topic for row in rows)
        if len(rows) < batch:
            break
        offset += len(rows)
    return configured + sorted(extra - set(configured))


def _render_digest(archived: ArchivedDigest, links: Links) -> str:
    try:
        digest = digest_json.parse(archived.payload)
    except UsageError as e:
        raise BrokenDigest(f"archived digest {archived.id} cannot be read: {e}") from e
    return digest_page(archived, digest, links)


def _shown(topic: str) -> str:
    """A topic as quoted in a message, cut short: the message stays one short line."""
    return repr(topic if len(topic) <= 40 else topic[:37] + "...")


def _description(app: App, topic: str) -> str:
    definition = app.settings.topics.get(topic)
    return definition.description if definition is not None else ""


# --- the live site ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveAuth:
    """Optional protection: a shared token and/or one basic-auth user. Both None: open."""

    token: str | None = None
    basic: tuple[str, str] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ArchiveAuth:
        token = env.get("ARCHIVE_TOKEN", "").strip() or None
        raw = env.get("ARCHIVE_BASIC_AUTH", "").strip()
        basic = None
        if raw:
            user, sep, password = raw.partition(":")
            if not sep or not user or not password:
                raise ConfigError(["ARCHIVE_BASIC_AUTH: expected user:password"])
            basic = (user, password)
        return cls(token=token, basic=basic)

    def __repr__(self) -> str:
        return f"ArchiveAuth(token={'***' if self.token else 'unset'}, basic={bool(self.basic)})"

    @property
    def enabled(self) -> bool:
        return self.token is not None or self.basic is not None

    def cookie_value(self) -> str:
        """What the cookie holds: derived from the token, so the token itself is not stored."""
        return hmac.new(
            (self.token or "").encode(), b"digestbot-archive", hashlib.sha256
        ).hexdigest()

    def allows(self, request: web.Request) -> bool:
        if not self.enabled:
            return True
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if self.token is not None:
            if _same(request.query.get("token", ""), self.token):
                return True
            if scheme.lower() == "bearer" and _same(credentials.strip(), self.token):
                return True
            if _same(request.cookies.get(COOKIE, ""), self.cookie_value()):
                return True
        if self.basic is not None and scheme.lower() == "basic":
            try:
                user, _, password = (
                    b64decode(credentials.strip(), validate=True).decode().partition(":")
                )
            except (BinasciiError, UnicodeDecodeError):
                return False
            return _same(user, self.basic[0]) & _same(password, self.basic[1])
        return False

    def challenge(self) -> str:
        if self.basic is not None:
            return 'Basic realm="digestbot archive", charset="UTF-8"'
        return 'Bearer realm="digestbot archive"'


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class _Site:
    """The request handlers; each page is built in a thread (it reads the store)."""

    def __init__(self, app: App, auth: ArchiveAuth) -> None:
        self.app = app
        self.auth = auth

    async def home(self, request: web.Request) -> web.Response:
        return await self._page(request, lambda: (200, home_html(self.app, SERVER_LINKS)))

    async def topic(self, request: web.Request) -> web.Response:
        topic = request.match_info["topic"]
        raw = request.query.get("page", "1")
        page = int(raw) if raw.isdigit() and len(raw) < 7 else 0
        return await self._page(
            request, lambda: (200, topic_html(self.app, topic, page, SERVER_LINKS))
        )

    async def digest(self, request: web.Request) -> web.Response:
        topic, raw = request.match_info["topic"], request.match_info["digest_id"]
        digest_id = int(raw) if raw.isdigit() and len(raw) < 19 else -1
        return await self._page(
            request, lambda: (200, digest_html(self.app, topic, digest_id, SERVER_LINKS))
        )

    async def search(self, request: web.Request) -> web.Response:
        query, topic = request.query.get("q", ""), request.query.get("topic", "")
        return await self._page(request, lambda: search_html(self.app, query, topic, SERVER_LINKS))

    async def css(self, request: web.Request) -> web.Response:
        del request
        return web.Response(
            text=stylesheet(),
            content_type="text/css",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    async def _page(
        self, request: web.Request, build: Callable[[], tuple[int, str]]
    ) -> web.Response:
        if not self.auth.allows(request):
            return _html(
                401,
                message_page(
                    "Sign-in needed", "This archive needs a token or a password.", SERVER_LINKS
                ),
                {"WWW-Authenticate": self.auth.challenge()},
            )
        try:
            status, body = await asyncio.to_thread(build)
        except PageNotFound as e:
            status, body = 404, message_page("Not found", f"Not found: {e}.", SERVER_LINKS)
        except StoreError as e:
            log.warning("archive page %s: store error: %s", request.path, e)
            status = 503
            body = message_page(
                "Unavailable", "The archive's database is not answering.", SERVER_LINKS
            )
        except DigestbotError as e:
            log.warning("archive page %s: %s", request.path, e)
            status, body = 500, message_page("Error", "This page could not be shown.", SERVER_LINKS)
        response = _html(status, body)
        if self.auth.token is not None and _same(request.query.get("token", ""), self.auth.token):
            response.set_cookie(
                COOKIE, self.auth.cookie_value(), httponly=True, samesite="Strict", path="/"
            )
        return response


def _html(status: int, body: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": SERVER_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
            **(headers or {}),
        },
    )


def add_archive_routes(
    web_app: web.Application, app: App, *, env: Mapping[str, str] | None = None
) -> None:
    """Serve the archive on ``web_app``; ``env`` (default: the process environment) holds the
    optional ``ARCHIVE_TOKEN`` / ``ARCHIVE_BASIC_AUTH``. A bad ``ARCHIVE_BASIC_AUTH`` is a
    ConfigError."""
    site = _Site(app, ArchiveAuth.from_env(os.environ if env is None else env))
    web_app.router.add_get("/", site.home)
    web_app.router.add_get("/digests/{topic}", site.topic)
    web_app.router.add_get("/digests/{topic}/{digest_id}", site.digest)
    web_app.router.add_get("/search", site.search)
    web_app.router.add_get("/static/site.css", site.css)


# --- the static copy -------------------------------------------------------------------------


def build_static_archive(app: App, out_dir: Path) -> int:
    """Write the archive as static files under ``out_dir``; returns the number of HTML pages.

    ``index.html``, ``digests/<topic>/index.html`` (+ ``page-N.html``),
    ``digests/<topic>/<id>.html`` and ``static/site.css``, linked relatively. Files of ours are
    overwritten; nothing else in ``out_dir`` is touched. There is no search page (no server).
    """
    out_dir = Path(out_dir)
    names = known_topics(app, scan=10**9)
    topics = [name for name in names if _FILE_SAFE_TOPIC.match(name)]
    for skipped in sorted(set(names) - set(topics)):
        log.warning("archive build: topic %r skipped: not usable as a folder name", skipped)
    root = Links(root="", static=True)
    deep = root.at("../../")
    _write(out_dir / "index.html", home_html(app, root, topics=topics))
    pages = 1
    for topic in topics:
        page = 1
        while True:
            rows = app.store.list_digests(topic, offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
            name = "index.html" if page == 1 else f"page-{page}.html"
            _write(out_dir / "digests" / topic / name, _listing(app, topic, page, rows, deep))
            pages += 1
            for archived in rows[:PER_PAGE]:
                try:
                    html = _render_digest(archived, deep)
                except BrokenDigest as e:  # listed on the topic page, so still a page
                    log.warning("archive build: %s", e)
                    html = message_page("Error", "This digest could not be read.", deep)
                _write(out_dir / "digests" / topic / f"{archived.id}.html", html)
                pages += 1
            if len(rows) <= PER_PAGE:
                break
            page += 1
    _write(out_dir / "static" / "site.css", stylesheet())
    log.info("archive build: %d pages in %s", pages, out_dir)
    return pages


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from e
