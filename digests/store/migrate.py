"""Bring a database to the schema head, safely when several processes start at once.

Alembic is configured in code (the environment ships in ``migrations/``), so no alembic.ini
is needed at runtime. The whole upgrade runs in one transaction guarded by a lock: a
PostgreSQL session advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``). The second
process waits, then finds the schema already at head and does nothing.

A database already at ``HEAD`` (every start but the first after an upgrade) is recognised by
reading ``alembic_version`` directly, without importing Alembic: that import and the migration
scripts cost every CLI command about half a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from digests.store.db import IMMEDIATE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (tests/store/test_migrations.py keeps it true).
HEAD = "0008"
# pg_advisory_lock key: any constant unique to this application.
_PG_LOCK_KEY = 0x6469676573740001  # "digest" + 1


class MigrationError(Exception):
    """Alembic could not bring the database to the wanted revision (e.g. an unknown one)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and a connection to use)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The head as Alembic finds it in the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def at_head(engine: Engine) -> bool:
    """Whether the database's recorded revision is ``HEAD`` (False when it has none yet)."""
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return list(versions) == [HEAD]
    except SQLAlchemyError:  # no alembic_version table: a new database
        return False


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` under the migration lock; a no-op when already there."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command
    from alembic.util import CommandError

    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        if postgres:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            locked = conn.execution_options(**{IMMEDIATE: True})
            with locked.begin():
                command.upgrade(alembic_config(locked), revision)
        except CommandError as e:
            raise MigrationError(str(e)) from e
        finally:
            if postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
