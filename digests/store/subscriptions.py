"""Subscriptions: which channel gets which topic's digest, on what schedule.

Unique per (channel_key, topic): adding again updates the schedule, time zone, options,
platform, channel id and source, clears the last error, and keeps id and creation time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.schema import subscriptions
from digests.store.types import Subscription
from digests.store.upsert import insert


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        channel_key=row.channel_key,
        platform=row.platform,
        channel_id=row.channel_id,
        topic=row.topic,
        schedule=row.schedule,
        timezone=row.timezone,
        options=dict(row.options or {}),
        source=row.source,
        created_by=row.created_by,
        created_at=row.created_at,
        last_error=row.last_error,
    )


def add(conn: Connection, sub: Subscription, now: datetime) -> Subscription:
    values = {
        "channel_key": sub.channel_key,
        "platform": sub.platform,
        "channel_id": sub.channel_id,
        "topic": sub.topic,
        "schedule": sub.schedule,
        "timezone": sub.timezone,
        "options": dict(sub.options),
        "source": sub.source,
        "created_by": sub.created_by,
        "created_at": sub.created_at or now,
        "last_error": None,
    }
    stmt = insert(conn, subscriptions).values(**values)
    kept = {"channel_key", "topic", "created_by", "created_at"}
    upsert = stmt.on_conflict_do_update(
        index_elements=[subscriptions.c.channel_key, subscriptions.c.topic],
        set_={k: stmt.excluded[k] for k in values if k not in kept},
    ).returning(*subscriptions.c)
    return _subscription(conn.execute(upsert).one())


def remove(conn: Connection, channel_key: str, topic: str) -> bool:
    stmt = sa.delete(subscriptions).where(
        subscriptions.c.channel_key == channel_key, subscriptions.c.topic == topic
    )
    return conn.execute(stmt).rowcount > 0


def list_all(conn: Connection, channel_key: str | None) -> list[Subscription]:
    stmt = sa.select(subscriptions).order_by(subscriptions.c.channel_key, subscriptions.c.topic)
    if channel_key is not None:
        stmt = stmt.where(subscriptions.c.channel_key == channel_key)
    return [_subscription(r) for r in conn.execute(stmt)]


def record_error(conn: Connection, sub_id: int, error: str | None) -> None:
    stmt = sa.update(subscriptions).where(subscriptions.c.id == sub_id).values(last_error=error)
    conn.execute(stmt)
