"""Named leader leases: one holder at a time (Discord gateway, Slack socket, scheduler).

One upsert decides: insert the lease, or take it over when it expired or is ours (renewal).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from digests.store.schema import leases
from digests.store.upsert import insert


def try_acquire(conn: Connection, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    stmt = insert(conn, leases).values(name=name, holder=holder, expires_at=now + ttl)
    upsert = stmt.on_conflict_do_update(
        index_elements=[leases.c.name],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=(leases.c.holder == holder) | (leases.c.expires_at <= now),
    ).returning(leases.c.holder)
    row = conn.execute(upsert).first()
    return row is not None and row.holder == holder


def release(conn: Connection, name: str, holder: str) -> bool:
    stmt = leases.delete().where(leases.c.name == name, leases.c.holder == holder)
    return conn.execute(stmt).rowcount == 1
