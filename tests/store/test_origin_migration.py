"""Migration 0007 on a store written before it: every row gets an origin (its feed's URL where
its source names one feed, else the legacy ``source:<name>``), nothing else is lost (topic
scores, story bands, full-text search), and polling the old feeds again stores nothing new,
even for items whose link and words changed since. Then down to 0006 and up again.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from pytest_httpserver import HTTPServer

from digests.store import fingerprints as fp
from digests.store import migrate
from digests.store.db import create_engine, parse_url
from digests.store.schema import UTCDateTime
from digests.store.urls import canonical_url
from tests.cli.harness import Run
from tests.pipeline.test_feed_origins import TEXTS, rss

Cli = Callable[..., Run]
WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# The articles table as 0006 left it (no origin), for writing rows the way the code did then.
_OLD_ARTICLES = sa.table(
    "articles",
    *(sa.column(name, sa.Text) for name in ("title", "url", "url_canonical", "source", "guid")),
    *(sa.column(name, sa.Text) for name in ("body", "summary", "content_hash")),
    sa.column("id", sa.Integer),
    sa.column("story_id", sa.Integer),
    sa.column("key_facts", sa.JSON),
    sa.column("published", UTCDateTime),
    sa.column("fetched_at", UTCDateTime),
)


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(parse_url(store_url))
    yield engine
    engine.dispose()


def _old_row(article_id: int, source: str, guid: str | None, url: str, text: str) -> dict[str, Any]:
    title = text[:40]
    return {
        "id": article_id,
        "story_id": article_id,
        "title": title,
        "url": url,
        "url_canonical": canonical_url(url) or None,
        "source": source,
        "guid": guid,
        "body": text,
        "summary": "",
        "key_facts": [],
        "content_hash": fp.content_hash(title, text),
        "published": WHEN,
        "fetched_at": WHEN,
    }


def _write_pre_0007_store(engine: sa.Engine, feeds: dict[str, tuple[str, str]]) -> None:
    """At 0006: three polled feeds (two titled "News", one "Solo"), the items two of them gave
    then, an item of a local feed file and an article file, with topic scores and bands."""
    migrate.upgrade(engine, "0006")
    rows = [
        _old_row(1, "News", "1", "https://a.example/?p=1", TEXTS["a1"]),
        _old_row(2, "News", "2", "https://a.example/?p=2", TEXTS["a2"]),
        _old_row(3, "Solo", "1", "https://c.example/?p=1", TEXTS["b1"]),
        _old_row(4, "Local", "x", "https://local.example/x", TEXTS["b2"]),
        _old_row(5, "notes", None, "file:///srv/notes/plan.txt", TEXTS["notes"]),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO feeds (url, title, error_count) VALUES (:url, :title, 0)"),
            [{"url": url, "title": title} for url, title in feeds.values()],
        )
        conn.execute(
            sa.text("INSERT INTO stories (id, created_at) VALUES (:id, :at)"),
            [{"id": r["id"], "at": WHEN.replace(tzinfo=None)} for r in rows],
        )
        conn.execute(sa.insert(_OLD_ARTICLES), rows)
        conn.execute(
            sa.text(
                "INSERT INTO article_topics (article_id, topic, score, member, evidence) "
                "VALUES (:id, 'security', 0.9, :yes, '[]')"
            ),
            [{"id": r["id"], "yes": True} for r in rows],
        )
        conn.execute(
            sa.text("INSERT INTO article_bands (band_key, article_id) VALUES (:band, :id)"),
            [{"band": 1000 + r["id"], "id": r["id"]} for r in rows],
        )
        if engine.dialect.name == "postgresql":  # ids given: move the sequences past them
            for table in ("stories", "articles"):
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _origins(engine: sa.Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT id, origin FROM articles")).all())


def test_upgrade_keys_old_rows_and_old_feeds_bring_nothing_new(
    engine: sa.Engine, store_cli: Cli, httpserver: HTTPServer
) -> None:
    feeds = {
        name: (httpserver.url_for(f"/{name}.xml"), title)
        for name, title in (("a", "News"), ("b", "News"), ("c", "Solo"))
    }
    _write_pre_0007_store(engine, feeds)

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.HEAD
    assert _origins(engine) == {
        1: "source:News",  # two feeds are titled "News": which one is not known
        2: "source:News",
        3: feeds["c"][0],
        4: "source:Local",  # a feed file: not a polled feed
        5: "source:notes",  # an article file
    }
    assert (_count(engine, "article_topics"), _count(engine, "article_bands")) == (5, 5)
    uniques = {u["name"] for u in sa.inspect(engine).get_unique_constraints("articles")}
    assert "uq_articles_guid_origin" in uniques and "uq_articles_source_guid" not in uniques
    found = store_cli("search", "harvest olive", "--json")
    assert [hit["url"] for hit in found.json()] == ["https://local.example/x"], found.err

    # The feeds now: the same GUIDs under new links and in new words.
    a_now = [("1", "https://a.example/pay-deal", "edit"), ("2", "https://a.example/t", "a2-moved")]
    c_now = [("1", "https://c.example/school", "b1-moved")]
    for name, items, title in (("a", a_now, "News"), ("c", c_now, "Solo")):
        httpserver.expect_request(f"/{name}.xml").respond_with_data(rss(items, title=title))
    urls = [feeds["a"][0], feeds["c"][0]]
    assert store_cli("ingest", *urls, "--json").json() == {"new": 0, "duplicates": 3, "failed": []}

    # Feed b, also "News", with a GUID no row has: new, and keyed by its own URL.
    httpserver.expect_request("/b.xml").respond_with_data(
        rss([("3", "https://b.example/3", "fresh")], title="News")
    )
    run = store_cli("ingest", feeds["b"][0], "--json")
    assert run.code == 0 and run.json()["new"] == 1, run.err
    assert _origins(engine)[6] == feeds["b"][0]
    run = store_cli("search", "mountain village school", "--json")  # FTS triggers made again
    assert run.code == 0 and [h["url"] for h in run.json()] == ["https://c.example/?p=1"]


def test_down_to_0006_keeps_rows_and_up_again(
    engine: sa.Engine, store_cli: Cli, httpserver: HTTPServer
) -> None:
    """At head, two feeds titled "News" both store a GUID "1"; 0006 holds one (source, guid):
    the later row loses its GUID and stays. Up again, both feeds being titled "News", both
    rows take the legacy origin; polling the two feeds again stores nothing."""
    for name, key in (("a", "a1"), ("b", "b1")):
        httpserver.expect_request(f"/{name}.xml").respond_with_data(
            rss([("1", f"https://{name}.example/1", key)])
        )
    urls = [httpserver.url_for("/a.xml"), httpserver.url_for("/b.xml")]
    assert store_cli("ingest", urls[0], "--json").json()["new"] == 1
    assert store_cli("ingest", urls[1], "--json").json()["new"] == 1
    before = _count(engine, "article_topics")

    with engine.connect() as conn, conn.begin():
        command.downgrade(migrate.alembic_config(conn), "0006")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, source, guid FROM articles ORDER BY id")).all()
        if engine.dialect.name == "sqlite":
            triggers = set(
                conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                .scalars()
            )
            assert {"articles_fts_ai", "articles_fts_ad", "articles_fts_au"} <= triggers
    assert [tuple(r) for r in rows] == [(1, "News", "1"), (2, "News", None)]
    assert _count(engine, "article_topics") == before > 0
    columns = {c["name"] for c in sa.inspect(engine).get_columns("articles")}
    assert "origin" not in columns

    migrate.upgrade(engine)
    assert _origins(engine) == {1: "source:News", 2: "source:News"}
    assert store_cli("ingest", *urls, "--json").json() == {"new": 0, "duplicates": 2, "failed": []}
