"""Schema migrations: from empty, concurrently, from an older revision; and open errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from digests.errors import StoreError
from digests.store import Store, migrate
from digests.store import fingerprints as fp
from digests.store.db import create_engine, parse_url
from digests.store.schema import metadata
from tests.store.builders import ELECTION_STORY, PORT_STORY, make_article
from tests.store.test_title_stories import TEASER, TITLE

REPO = Path(__file__).resolve().parents[2]
TABLES = {
    "stories",
    "articles",
    "article_topics",
    "article_bands",
    "feeds",
    "subscriptions",
    "deliveries",
    "delivered_stories",
    "digest_archive",
    "leases",
}


def _engine(url: str) -> sa.Engine:
    return create_engine(parse_url(url))


def test_upgrade_from_empty(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert store.ping()
    engine = _engine(store_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_schema_matches_the_tables_the_code_queries(store_url: str) -> None:
    Store.open(store_url).close()
    engine = _engine(store_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()

    # Full-text search lives outside the metadata on purpose (FTS5 table, tsvector column).
    def outside(d: object) -> bool:
        text = repr(d)
        return "articles_fts" in text or "search_vector" in text or "alembic_version" in text

    assert [d for d in diff if not outside(d)] == []


def test_concurrent_upgrades_in_processes(store_url: str) -> None:
    code = "import sys; from digests.store import Store; Store.open(sys.argv[1]).close()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, store_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    with Store.open(store_url) as store:
        [o] = store.add_articles([make_article()])
        assert o.status == "new" and store.count_articles() == 1


def test_concurrent_upgrades_in_threads(store_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        try:
            Store.open(store_url).close()
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = _engine(store_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_database_at_0001_upgrades_to_head_and_keeps_data(store_url: str) -> None:
    engine = _engine(store_url)
    try:
        migrate.upgrade(engine, "0001")
        assert migrate.current_revision(engine) == "0001"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO feeds (url, title, error_count) VALUES ('https://e.com/f', 'F', 0)"
                )
            )
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        feed = store.get_feed("https://e.com/f")
        assert feed is not None and feed.title == "F"
    engine = _engine(store_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_newer_schema_is_refused(store_url: str) -> None:
    Store.open(store_url).close()
    engine = _engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="newer digestbot"):
        Store.open(store_url)


def test_sqlite_creates_parent_folder(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "digestbot.db"
    with Store.open(f"sqlite:///{db}") as store:
        assert store.dialect == "sqlite" and store.count_articles() == 0
    assert db.exists()


def test_sqlite_in_memory(tmp_path: Path) -> None:
    with Store.open("sqlite://") as store:
        [o] = store.add_articles([make_article()])
        assert store.get_article(o.article_id) is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "bad database URL"),
        ("not a url", "bad database URL"),
        ("mysql://u@localhost/db", "unsupported database 'mysql'"),
        ("postgresql+nodriver://u@localhost/db", "no driver"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/db", "cannot connect to"),
        ("sqlite:////proc/definitely/not/here.db", "cannot"),
    ],
)
def test_bad_urls_are_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        Store.open(url)
    text = str(info.value)
    assert "\n" not in text and "secret" not in text


def test_ping_false_when_server_is_gone() -> None:
    store = Store(_engine("postgresql+psycopg://u@127.0.0.1:1/db"))
    assert store.ping() is False


def test_the_head_constant_is_the_newest_migration() -> None:
    """``migrate.HEAD`` lets a store at head open without importing Alembic: it must be the
    head Alembic finds in the scripts (update it with every new migration)."""
    assert migrate.head_revision() == migrate.HEAD


def test_a_store_at_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'at-head.db'}"
    Store.open(url).close()  # creates and migrates
    code = (
        "import sys\n"
        "from digests.store import Store\n"
        f"Store.open({url!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_0004_adds_the_run_time_feed_columns_and_goes_back_down(store_url: str) -> None:
    """Up from 0003 keeps the feed rows (none of them added); down to 0003 drops the columns
    and keeps the rows; up again works."""
    engine = _engine(store_url)
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO feeds (url, title, etag, error_count) "
                "VALUES ('https://e.com/f', 'F', '\"v1\"', 0)"
            ))
        migrate.upgrade(engine)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("feeds")}
        assert {"added_by", "added_at"} <= columns
    finally:
        engine.dispose()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with Store.open(store_url) as store:
        feed = store.get_feed("https://e.com/f")
        assert feed is not None and feed.etag == '"v1"' and not feed.added
        store.add_feed("https://e.com/g", "G", "slack:U1", now)
        assert store.get_feed("https://e.com/g") == store.add_feed("https://e.com/g", "", "x", now)
    engine = _engine(store_url)
    try:
        with engine.connect() as conn, conn.begin():
            command.downgrade(migrate.alembic_config(conn), "0003")
        assert migrate.current_revision(engine) == "0003"
        columns = {c["name"] for c in sa.inspect(engine).get_columns("feeds")}
        assert "added_by" not in columns and "added_at" not in columns
        with engine.connect() as conn:
            urls = conn.execute(sa.text("SELECT url FROM feeds ORDER BY url")).scalars().all()
        assert urls == ["https://e.com/f", "https://e.com/g"]
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        again = store.get_feed("https://e.com/g")
        assert again is not None and not again.added  # down and up: the marks are gone


def test_0005_keys_titles_of_the_last_week_and_goes_back_down(store_url: str) -> None:
    """Down to 0004 drops the column and its index and keeps the rows (and, on SQLite, the
    full-text triggers); up again keys the titles of articles published within a week (not
    older ones, not generic titles), so a teaser stored after the upgrade joins their story."""
    now = datetime.now(UTC)
    with Store.open(store_url) as store:
        recent, generic, old = store.add_articles(
            [
                make_article(TITLE, PORT_STORY, published=now - timedelta(days=1)),
                make_article("Live: port strike day two, ships wait", "Text.", published=now),
                make_article(
                    "Dock workers strike at southern port after pay talks collapse",
                    ELECTION_STORY,
                    published=now - timedelta(days=30),
                ),
            ]
        )
    engine = _engine(store_url)
    try:
        with engine.connect() as conn, conn.begin():
            command.downgrade(migrate.alembic_config(conn), "0004")
        inspector = sa.inspect(engine)
        assert "title_key" not in {c["name"] for c in inspector.get_columns("articles")}
        assert "ix_articles_title_key" not in {i["name"] for i in inspector.get_indexes("articles")}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one() == 3
            if engine.dialect.name == "sqlite":
                triggers = conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
                assert {"articles_fts_ai", "articles_fts_ad", "articles_fts_au"} <= set(triggers)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.HEAD
        with engine.connect() as conn:
            keys = dict(conn.execute(sa.text("SELECT id, title_key FROM articles")).all())
        assert keys == {
            recent.article_id: fp.title_key(TITLE),
            generic.article_id: None,
            old.article_id: None,
        }
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        [teaser] = store.add_articles(
            [make_article(TITLE, TEASER, url="https://wire.example/t", published=now)]
        )
        assert teaser.story_id == recent.story_id
        assert {h.article.id for h in store.search("dock workers")} >= {
            recent.article_id,
            teaser.article_id,
        }


def test_0006_adds_topic_versions_and_goes_back_down(store_url: str) -> None:
    engine = _engine(store_url)
    try:
        migrate.upgrade(engine)
        assert "topic_versions" in sa.inspect(engine).get_table_names()
        with engine.connect() as conn, conn.begin():
            command.downgrade(migrate.alembic_config(conn), "0005")
        assert "topic_versions" not in sa.inspect(engine).get_table_names()
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()


def test_0008_adds_found_on_to_feeds_and_goes_back_down(store_url: str) -> None:
    """Up from 0007 keeps the feed rows (with no page); down to 0007 drops the column and
    keeps the rows; up again works."""
    engine = _engine(store_url)
    try:
        migrate.upgrade(engine, "0007")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO feeds (url, title, error_count, added_by) "
                "VALUES ('https://e.com/f', 'F', 0, 'cli')"
            ))
        migrate.upgrade(engine)
        assert "found_on" in {c["name"] for c in sa.inspect(engine).get_columns("feeds")}
    finally:
        engine.dispose()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with Store.open(store_url) as store:
        old = store.get_feed("https://e.com/f")
        assert old is not None and old.found_on is None and old.added_by == "cli"
        store.add_feed("https://e.com/g", "G", "cli", now, found_on="https://e.com/")
    engine = _engine(store_url)
    try:
        with engine.connect() as conn, conn.begin():
            command.downgrade(migrate.alembic_config(conn), "0007")
        assert migrate.current_revision(engine) == "0007"
        assert "found_on" not in {c["name"] for c in sa.inspect(engine).get_columns("feeds")}
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT url, added_by FROM feeds ORDER BY url")).all()
        assert [tuple(r) for r in rows] == [("https://e.com/f", "cli"), ("https://e.com/g", "cli")]
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        again = store.get_feed("https://e.com/g")
        assert again is not None and again.added and again.found_on is None
