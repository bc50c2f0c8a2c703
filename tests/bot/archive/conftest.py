"""Fixtures for the archive site: a real App on a SQLite file with stored articles and archived
digests (25 security digests to paginate, one migration digest full of hostile text, none for
drugs), and the aiohttp server with the archive routes on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import App, make_app
from bot.archive_site import add_archive_routes
from digests.models import Article, Digest, DigestItem, SourceLink, Summary, TopicScore
from digests.render import json as digest_json
from digests.settings import Secrets, Settings
from digests.store import NewArticle

NOW = datetime(2026, 2, 11, 9, 0, tzinfo=UTC)
SECURITY_DIGESTS = 25
HOSTILE_TITLE = '<script>alert("title")</script> Border <b>crossing</b>'
HOSTILE_SUMMARY = 'Officials said <img src=x onerror="alert(1)"> more crossings happened.'
HOSTILE_FACT = '"><svg onload=alert(3)> 40 people crossed'
HOSTILE_URL = "javascript:alert(document.cookie)"

# (topic, hours before NOW, title, words of a body unlike every other body)
ARTICLES = [
    ("security", 10, "Drone strike hits depot", "drone strike depot artillery brigade front"),
    ("security", 12, "Cyberattack on ministry", "ransomware ministry servers hackers outage"),
    ("security", 14, "Navy patrol in strait", "navy frigate strait patrol convoy escort"),
    ("security", 6 * 24, "Coup attempt foiled", "coup generals palace tanks curfew arrests"),
    ("migration", 2, "Asylum office backlog", "asylum office backlog applications queue months"),
    ("migration", 3, "Border crossing numbers", "crossings border patrol figures monthly rise"),
]


def _article(topic: str, hours: int, title: str, words: str, n: int) -> NewArticle:
    published = NOW - timedelta(hours=hours)
    body = " ".join(f"{w}{n} {w}" for w in words.split()) + f". The {title.lower()} report."
    return NewArticle(
        article=Article(
            title=title,
            url=f"https://news.example/{topic}/{n}",
            body=body,
            source="Example News",
            published=published,
        ),
        topics=(TopicScore(topic, 0.9, True, ()),),
        summary=Summary(f"{title}: summary.", (f"{title} fact.",)),
        fetched_at=published,
    )


HOSTILE_ARTICLE = NewArticle(
    article=Article(
        title=HOSTILE_TITLE,
        url=HOSTILE_URL,
        body=f"Smuggling ring {HOSTILE_SUMMARY} Then <a href='javascript:alert(2)'>click</a>.",
        source="<i>Evil</i> Feed",
        published=NOW - timedelta(hours=1),
    ),
    topics=(TopicScore("migration", 0.8, True, ()),),
    summary=Summary(HOSTILE_SUMMARY, (HOSTILE_FACT,)),
    fetched_at=NOW - timedelta(hours=1),
)


def security_digest(n: int) -> Digest:
    """The n-th security digest (0 = newest): two stories, the first with two sources."""
    until = NOW - timedelta(days=n)
    items = (
        DigestItem(
            story_id=1000 + n,
            title=f"Security story {n}",
            url=f"https://news.example/security/story-{n}",
            summary=f"Summary of security story {n}.",
            sources=(
                SourceLink(f"Security story {n}", f"https://news.example/a/{n}", "Example News"),
                SourceLink(f"Same story {n}", f"https://wire.example/b/{n}", "Wire Service"),
            ),
            published=until - timedelta(hours=2),
            key_facts=(f"Key fact A of story {n}.", f"Key fact B of story {n}."),
        ),
        DigestItem(
            story_id=2000 + n,
            title=f"Second story {n}",
            url=f"https://news.example/security/second-{n}",
            summary=f"Summary of second story {n}.",
            sources=(SourceLink(f"Second story {n}", f"https://other.example/{n}", "Other"),),
            published=until - timedelta(hours=3),
        ),
    )
    return Digest("security", until - timedelta(hours=24), until, items, window="24h")


def hostile_digest() -> Digest:
    item = DigestItem(
        story_id=3000,
        title=HOSTILE_TITLE,
        url=HOSTILE_URL,
        summary=HOSTILE_SUMMARY,
        sources=(
            SourceLink(HOSTILE_TITLE, HOSTILE_URL, "<i>Evil</i> Feed"),
            SourceLink("data link", "data:text/html,<script>alert(4)</script>", "Data"),
            SourceLink("Safe copy", "https://safe.example/copy", "Safe"),
        ),
        published=NOW - timedelta(hours=1),
        key_facts=(HOSTILE_FACT,),
    )
    return Digest(
        "migration",
        NOW - timedelta(hours=24),
        NOW,
        (item,),
        window="24h",
        archive_url="javascript:alert(5)",
    )


def make_settings(db: Path, **changes: Any) -> Settings:
    return Settings(database=f"sqlite:///{db}").model_copy(update=changes)


def seed(app: App) -> dict[str, Any]:
    """Store the articles and archive the digests; returns the ids the tests look for."""
    items = [_article(*row, n=i) for i, row in enumerate(ARTICLES)] + [HOSTILE_ARTICLE]
    app.store.add_articles(items)
    security_ids = []
    for n in range(SECURITY_DIGESTS - 1, -1, -1):  # oldest first, so ids grow with time
        d = security_digest(n)
        security_ids.append(
            app.store.save_digest(
                "security",
                d.since,
                d.until,
                digest_json.render(d),
                channel_key="desk",
                now=d.until,
            )
        )
    hostile = hostile_digest()
    hostile_id = app.store.save_digest(
        "migration",
        hostile.since,
        hostile.until,
        digest_json.render(hostile),
        channel_key=None,
        now=NOW,
    )
    broken_id = app.store.save_digest(
        "security",
        NOW - timedelta(days=40),
        NOW - timedelta(days=39),
        {"topic": "security"},
        channel_key=None,
        now=NOW - timedelta(days=39),
    )
    return {
        "security": list(reversed(security_ids)),  # newest first
        "hostile": hostile_id,
        "broken": broken_id,
    }


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    opened = make_app(
        make_settings(tmp_path / "data" / "digestbot.db"), secrets=Secrets(), clock=lambda: NOW
    )
    yield opened
    opened.close()


@pytest.fixture
def ids(app: App) -> dict[str, Any]:
    return seed(app)


async def serve(app: App, env: Mapping[str, str] | None = None) -> AsyncIterator[str]:
    """The archive on a real aiohttp server on a free port, with a /healthz like the real one."""
    web_app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app.router.add_get("/healthz", healthz)
    add_archive_routes(web_app, app, env=env or {})
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def base(app: App, ids: dict[str, Any]) -> AsyncIterator[str]:
    async for url in serve(app):
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
