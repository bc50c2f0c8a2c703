"""Two feeds with one title (two WordPress sites both called "News", both numbering items "1",
"2") are two feeds: ``digestbot ingest`` stores the items of both, polling them again stores
nothing, and one feed's item never counts as an edit of the other's. Each feed's items are
keyed by the URL polled, so a feed that redirects keeps one identity. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from digests.store.db import create_engine, parse_url
from tests.cli.harness import Run

Cli = Callable[..., Run]
Rows = Callable[[], list[tuple[Any, ...]]]
RSS = "application/rss+xml"

# Distinct texts, long enough to be told apart by every check (URL, GUID, words).
TEXTS = {
    "a1": "Harbour workers in the northern port voted on Monday to accept a new pay deal after "
    "three weeks of talks, ending the threat of a strike before the busy autumn season.",
    "a2": "The city council approved a plan to plant four thousand trees along the ring road, "
    "to be paid for by a levy on parking permits over the next five years.",
    "b1": "A mountain village reopened its only school after a landslide blocked the valley "
    "road in spring; pupils had been taught in the church hall since April.",
    "b2": "Farmers in the southern plain began the olive harvest two weeks early this year, "
    "saying the dry summer had ripened the fruit sooner than anyone remembered.",
    "a2-moved": "The city council approved on Tuesday a plan to plant four thousand trees along "
    "the ring road and the river banks, paid for by a levy on parking permits.",
    "b1-moved": "The mountain village school that a landslide closed in spring reopened on "
    "Monday, and the valley road is expected to be cleared before the first snow.",
    "notes": "Planning notes: the newsroom will cover the regional elections with two teams, "
    "one in the capital and one travelling through the northern districts.",
    "fresh": "A ferry carrying two hundred passengers ran aground in thick fog off the island "
    "coast on Sunday; all were brought ashore safely by lifeboat crews.",
    "edit": "Harbour workers in the northern port voted on Monday to reject a new pay deal after "
    "three weeks of talks, and their union set a date for a strike next month instead.",
}


def rss(items: list[tuple[str, str, str]], *, title: str = "News") -> str:
    """An RSS feed titled ``title``; items are (guid, link, text key)."""
    entries = "".join(
        f"<item><title>{escape(TEXTS[key][:40])}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{guid}</guid>'
        f"<description>{escape(TEXTS[key])}</description></item>\n"
        for guid, link, key in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link><description>d</description>\n"
        f"{entries}</channel></rss>\n"
    )


FEED_A = [("1", "https://a.example/?p=1", "a1"), ("2", "https://a.example/?p=2", "a2")]
FEED_B = [("1", "https://b.example/?p=1", "b1"), ("2", "https://b.example/?p=2", "b2")]


@pytest.fixture
def rows(store_url: str) -> Iterator[Rows]:
    """The stored (source, origin, guid, body) rows, sorted."""
    engine = create_engine(parse_url(store_url))

    def read() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            stmt = "SELECT source, origin, guid, body FROM articles ORDER BY origin, guid"
            return [tuple(r) for r in conn.execute(sa.text(stmt))]

    yield read
    engine.dispose()


def serve(server: HTTPServer, path: str, feed: str) -> str:
    server.expect_request(path).respond_with_data(feed, content_type=RSS)
    return server.url_for(path)


def test_two_feeds_with_one_title_and_guids_are_both_stored(
    store_cli: Cli, httpserver: HTTPServer, rows: Rows
) -> None:
    a = serve(httpserver, "/a.xml", rss(FEED_A))
    b = serve(httpserver, "/b.xml", rss(FEED_B))

    assert store_cli("ingest", a, "--json").json() == {"new": 2, "duplicates": 0, "failed": []}
    assert store_cli("ingest", b, "--json").json() == {"new": 2, "duplicates": 0, "failed": []}

    stored = rows()
    assert [(s, o, g) for s, o, g, _ in stored] == [
        ("News", a, "1"), ("News", a, "2"), ("News", b, "1"), ("News", b, "2")
    ]  # the name shown stays the feed's title; the origin is the URL polled
    assert store_cli("ingest", a, b, "--json").json() == {"new": 0, "duplicates": 4, "failed": []}
    again = store_cli("ingest", a, b)
    assert again.code == 0 and again.out.strip() == "0 new, 4 duplicates, 0 failed"
    assert rows() == stored


def test_both_feeds_in_one_run(store_cli: Cli, httpserver: HTTPServer) -> None:
    a = serve(httpserver, "/a.xml", rss(FEED_A))
    b = serve(httpserver, "/b.xml", rss(FEED_B))
    assert store_cli("ingest", a, b, "--json").json() == {"new": 4, "duplicates": 0, "failed": []}
    assert store_cli("ingest", b, a, "--json").json() == {"new": 0, "duplicates": 4, "failed": []}


def test_a_revision_needs_the_same_feed(
    store_cli: Cli, httpserver: HTTPServer, rows: Rows
) -> None:
    """Feed B, same title, carries A's item 1 (same GUID, same link) in other words: a
    duplicate, not an edit of A's article. A's own edit of it is stored over the old text."""
    a = serve(httpserver, "/a.xml", rss(FEED_A))
    assert store_cli("ingest", a, "--json").json()["new"] == 2
    b = serve(httpserver, "/b.xml", rss([("1", "https://a.example/?p=1", "edit")]))

    run = store_cli("ingest", b)
    assert run.out.strip() == "0 new, 1 duplicates, 0 failed"
    assert [body for _s, _o, _g, body in rows()] == [TEXTS["a1"], TEXTS["a2"]]

    httpserver.clear()
    serve(httpserver, "/a.xml", rss([("1", "https://a.example/?p=1", "edit"), FEED_A[1]]))
    run = store_cli("ingest", a)
    assert run.out.strip() == "0 new, 2 duplicates (1 updated), 0 failed"
    assert [body for _s, _o, _g, body in rows()] == [TEXTS["edit"], TEXTS["a2"]]


def test_a_redirecting_feed_keeps_the_url_polled(
    store_cli: Cli, httpserver: HTTPServer, rows: Rows
) -> None:
    """The feed moves behind its configured URL (a CDN, a new host) and its items get new
    links and words: the same GUIDs from the same URL polled are the same items."""
    polled = httpserver.url_for("/feed")
    first = serve(httpserver, "/v1.xml", rss(FEED_A))
    httpserver.expect_request("/feed").respond_with_data("", 301, {"Location": first})
    assert store_cli("ingest", polled, "--json").json()["new"] == 2
    assert {o for _s, o, _g, _b in rows()} == {polled}

    httpserver.clear()
    moved = [("1", "https://a.example/pay-deal", "edit"), ("2", "https://a.example/t", "a2-moved")]
    second = serve(httpserver, "/v2.xml", rss(moved))
    httpserver.expect_request("/feed").respond_with_data("", 301, {"Location": second})
    assert store_cli("ingest", polled, "--json").json() == {"new": 0, "duplicates": 2, "failed": []}
