"""``INSERT ... ON CONFLICT`` for the backend at hand (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert(conn: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An insert that supports ``on_conflict_do_nothing``/``on_conflict_do_update``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
