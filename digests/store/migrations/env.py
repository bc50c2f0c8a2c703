"""Alembic environment: runs on the connection ``digests.store.migrate`` hands over.

The caller opens the connection, takes the migration lock and owns the transaction; this file
only points Alembic at it. Offline (SQL script) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from digests.errors import StoreError
from digests.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise StoreError("migrations run through digests.store.migrate with an open connection")

context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
