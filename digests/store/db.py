"""Engines for the two supported backends, set up the way the store relies on.

SQLite: WAL (readers never wait for the writer), foreign keys on, a busy timeout, and
explicit ``BEGIN``/``BEGIN IMMEDIATE`` so a read-then-write transaction takes the write lock
up front instead of failing half-way with "database is locked". PostgreSQL: psycopg 3,
pre-ping, a connect timeout.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from digests.errors import StoreError

SUPPORTED = ("sqlite", "postgresql")
BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10

# Execution option: ``conn.execution_options(immediate=True)`` makes SQLite's next BEGIN
# take the write lock at once. Ignored on PostgreSQL (row locks do that job there).
IMMEDIATE = "immediate"


def parse_url(url: str) -> URL:
    """Parse a SQLAlchemy URL or raise ``StoreError`` with a one-line reason."""
    try:
        parsed = sa.make_url(url.strip())
    except (ArgumentError, ValueError) as e:
        raise StoreError(f"bad database URL {url!r}: expected e.g. sqlite:///data/x.db") from e
    if parsed.get_backend_name() not in SUPPORTED:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in "
            f"{parsed.render_as_string(hide_password=True)} (use sqlite or postgresql)"
        )
    return parsed


def is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def create_engine(url: URL) -> Engine:
    """An engine for ``url`` (already parsed); creates a SQLite file's parent folder."""
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        )
    except NoSuchModuleError as e:
        raise StoreError(f"no driver for {url.drivername!r}: {e}") from e
    except ImportError as e:
        raise StoreError(f"driver for {url.drivername!r} is not installed: {e}") from e


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    }
    if is_memory(url):
        kwargs["poolclass"] = StaticPool  # one shared in-memory database
    else:
        database = url.database or ""
        path = Path(database[5:] if database.startswith("file:") else database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create folder for {path}: {e.strerror}") from e
    engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (the driver's implicit BEGIN cannot be
    # made IMMEDIATE), then set the pragmas the store relies on.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL once; retried, since SQLite answers "database is locked" to a
    journal-mode change while another process is creating or migrating the same new file,
    without calling the busy handler (seen with two workers starting at once)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
