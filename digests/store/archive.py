"""The digest archive (web pages, ``digest`` history) and the per-day story counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.schema import article_topics, articles, digest_archive
from digests.store.types import ArchivedDigest


def _digest(row: Any) -> ArchivedDigest:
    return ArchivedDigest(
        id=row.id,
        topic=row.topic,
        since=row.since,
        until=row.until,
        created_at=row.created_at,
        channel_key=row.channel_key,
        payload=dict(row.payload or {}),
    )


def save(
    conn: Connection,
    topic: str,
    since: datetime,
    until: datetime,
    payload: dict[str, Any],
    *,
    channel_key: str | None,
    now: datetime,
) -> int:
    stmt = (
        sa.insert(digest_archive)
        .values(
            topic=topic,
            since=since,
            until=until,
            created_at=now,
            channel_key=channel_key,
            payload=payload,
        )
        .returning(digest_archive.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


def list_recent(
    conn: Connection, topic: str | None, *, offset: int, limit: int
) -> list[ArchivedDigest]:
    """Newest first."""
    stmt = sa.select(digest_archive).order_by(
        digest_archive.c.created_at.desc(), digest_archive.c.id.desc()
    )
    if topic is not None:
        stmt = stmt.where(digest_archive.c.topic == topic)
    stmt = stmt.offset(max(0, offset)).limit(max(0, limit))
    return [_digest(r) for r in conn.execute(stmt)]


def get(conn: Connection, digest_id: int) -> ArchivedDigest | None:
    row = conn.execute(sa.select(digest_archive).where(digest_archive.c.id == digest_id)).first()
    return _digest(row) if row is not None else None


def story_counts_per_day(
    conn: Connection, since: datetime, until: datetime
) -> dict[str, dict[date, int]]:
    """topic -> UTC day -> distinct stories with a member article published that day.

    A story is counted on the day of its earliest member article in the window.
    """
    stmt = (
        sa.select(
            article_topics.c.topic,
            articles.c.story_id,
            sa.func.min(articles.c.published).label("first"),
        )
        .join(articles, articles.c.id == article_topics.c.article_id)
        .where(
            article_topics.c.member.is_(True),
            articles.c.published >= since,
            articles.c.published < until,
        )
        .group_by(article_topics.c.topic, articles.c.story_id)
    )
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in conn.execute(stmt):
        counts[row.topic][row.first.astimezone(UTC).date()] += 1  # min() keeps UTCDateTime
    return {topic: dict(days) for topic, days in counts.items()}
