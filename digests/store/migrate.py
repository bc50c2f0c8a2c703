"""Bring a database to the schema head, safely when several processes start at once.

Alembic is configured in code (the environment ships in ``migrations/``), so no alembic.ini
is needed at runtime. The whole upgrade runs in one transaction guarded by a lock: a
PostgreSQL session advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``). The second
process waits, then finds the schema already at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from digests.store.db import IMMEDIATE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_lock key: any constant unique to this application.
_PG_LOCK_KEY = 0x6469676573740001  # "digest" + 1


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and a connection to use)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` under the migration lock; a no-op when already there."""
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        if postgres:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            locked = conn.execution_options(**{IMMEDIATE: True})
            with locked.begin():
                command.upgrade(alembic_config(locked), revision)
        finally:
            if postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
