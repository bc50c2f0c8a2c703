"""The delivery ledger: a digest window is posted to a channel once.

``claim`` is an ``INSERT ... ON CONFLICT DO NOTHING`` on the unique (channel_key, sub_key,
window_key): whoever inserts the row owns the send. A ``failed`` (transient) row can be taken
over by the next claim with a conditional ``UPDATE`` (one winner again); ``delivered`` and
``dead`` rows never are. A ``claimed`` row whose worker died stays claimed:
``pending(older_than)`` lists them so the shell can decide (mark failed, then claim again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.schema import delivered_stories, deliveries
from digests.store.types import Delivery
from digests.store.upsert import insert


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        channel_key=row.channel_key,
        sub_key=row.sub_key,
        window_key=row.window_key,
        topic=row.topic,
        status=row.status,
        worker=row.worker,
        claimed_at=row.claimed_at,
        attempts=row.attempts,
        delivered_at=row.delivered_at,
        message_ids=tuple(row.message_ids or ()),
        error=row.error,
    )


def claim(
    conn: Connection,
    channel_key: str,
    sub_key: str,
    window_key: str,
    *,
    topic: str,
    worker: str,
    now: datetime,
) -> Delivery | None:
    stmt = (
        insert(conn, deliveries)
        .values(
            channel_key=channel_key,
            sub_key=sub_key,
            window_key=window_key,
            topic=topic,
            status="claimed",
            worker=worker,
            claimed_at=now,
            attempts=1,
            message_ids=[],
        )
        .on_conflict_do_nothing(
            index_elements=[deliveries.c.channel_key, deliveries.c.sub_key, deliveries.c.window_key]
        )
        .returning(*deliveries.c)
    )
    row = conn.execute(stmt).first()
    if row is not None:
        return _delivery(row)
    retake = (
        sa.update(deliveries)
        .where(
            deliveries.c.channel_key == channel_key,
            deliveries.c.sub_key == sub_key,
            deliveries.c.window_key == window_key,
            deliveries.c.status == "failed",
        )
        .values(
            status="claimed",
            worker=worker,
            claimed_at=now,
            attempts=deliveries.c.attempts + 1,
        )
        .returning(*deliveries.c)
    )
    row = conn.execute(retake).first()
    return _delivery(row) if row is not None else None


def get(conn: Connection, delivery_id: int) -> Delivery | None:
    row = conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()
    return _delivery(row) if row is not None else None


def record_progress(
    conn: Connection, delivery_id: int, message_ids: Sequence[str], worker: str
) -> bool:
    """Save the parts sent so far, only while ``worker`` still holds the claim."""
    stmt = (
        sa.update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "claimed",
            deliveries.c.worker == worker,
        )
        .values(message_ids=list(message_ids))
    )
    return bool(conn.execute(stmt).rowcount == 1)


def mark_delivered(
    conn: Connection,
    delivery_id: int,
    message_ids: Sequence[str],
    story_ids: Sequence[int],
    now: datetime,
) -> bool:
    stmt = (
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status="delivered", delivered_at=now, message_ids=list(message_ids), error=None)
        .returning(deliveries.c.channel_key, deliveries.c.topic)
    )
    row = conn.execute(stmt).first()
    if row is None:
        return False
    rows = [
        {
            "channel_key": row.channel_key,
            "topic": row.topic,
            "story_id": story_id,
            "delivery_id": delivery_id,
            "delivered_at": now,
        }
        for story_id in sorted(set(story_ids))
    ]
    if rows:
        conn.execute(insert(conn, delivered_stories).on_conflict_do_nothing(), rows)
    return True


def mark_failed(
    conn: Connection, delivery_id: int, error: str, *, permanent: bool, now: datetime
) -> bool:
    stmt = (
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.status != "delivered")
        .values(status="dead" if permanent else "failed", error=error)
    )
    return conn.execute(stmt).rowcount == 1


def release_claim(
    conn: Connection, delivery_id: int, error: str | None, *, worker: str, attempts: int
) -> bool:
    """Hand a claimed row back (``failed``: claimable again) only while it is still the claim
    judged abandoned: the same worker and attempt. False when another worker took it over
    first (a new claim, or a row already handed back), so two rescuers never both resend."""
    stmt = (
        sa.update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "claimed",
            deliveries.c.worker == worker,
            deliveries.c.attempts == attempts,
        )
        .values(status="failed", error=error)
    )
    return conn.execute(stmt).rowcount == 1


def pending(conn: Connection, older_than: datetime) -> list[Delivery]:
    stmt = (
        sa.select(deliveries)
        .where(deliveries.c.status == "claimed", deliveries.c.claimed_at < older_than)
        .order_by(deliveries.c.claimed_at, deliveries.c.id)
    )
    return [_delivery(r) for r in conn.execute(stmt)]


def delivered_story_ids(conn: Connection, channel_key: str, topic: str) -> set[int]:
    stmt = sa.select(delivered_stories.c.story_id).where(
        delivered_stories.c.channel_key == channel_key, delivered_stories.c.topic == topic
    )
    return {int(r.story_id) for r in conn.execute(stmt)}


def in_flight(conn: Connection, channel_key: str, topic: str, since: datetime) -> list[Delivery]:
    """Windows of ``topic`` to ``channel_key`` claimed since ``since`` and not finished
    (``claimed``, or ``failed`` and so to be resumed): their plans are not delivered yet."""
    stmt = (
        sa.select(deliveries)
        .where(
            deliveries.c.channel_key == channel_key,
            deliveries.c.topic == topic,
            deliveries.c.status.in_(("claimed", "failed")),
            deliveries.c.claimed_at >= since,
        )
        .order_by(deliveries.c.id)
    )
    return [_delivery(r) for r in conn.execute(stmt)]
