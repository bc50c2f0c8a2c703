"""Stored topic scores by topic: which definition they were computed with, and replacing
them for the stored articles when that definition changes (``digests.rescore`` decides)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.models import TopicScore
from digests.store.articles import member_of, topic_row
from digests.store.schema import article_topics, articles, topic_versions
from digests.store.upsert import insert


def versions(conn: Connection) -> dict[str, tuple[str, int]]:
    """Topic -> (fingerprint of the definition its stored scores were computed with, the
    highest article id checked for a score of it)."""
    stmt = sa.select(
        topic_versions.c.topic, topic_versions.c.fingerprint, topic_versions.c.scored_through
    )
    rows = conn.execute(stmt)
    return {topic: (fingerprint, int(through)) for topic, fingerprint, through in rows}


def scored_topics(conn: Connection) -> set[str]:
    """Topics some stored article has a score for."""
    return set(conn.execute(sa.select(article_topics.c.topic).distinct()).scalars())


def max_article_id(conn: Connection) -> int:
    top = sa.select(sa.func.coalesce(sa.func.max(articles.c.id), 0))
    return int(conn.execute(top).scalar_one())


def set_version(
    conn: Connection, topic: str, fingerprint: str, scored_through: int, now: datetime
) -> None:
    stmt = insert(conn, topic_versions).values(
        topic=topic, fingerprint=fingerprint, scored_at=now, scored_through=scored_through
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[topic_versions.c.topic],
            set_={
                "fingerprint": stmt.excluded.fingerprint,
                "scored_at": stmt.excluded.scored_at,
                "scored_through": stmt.excluded.scored_through,
            },
        )
    )


def texts_after(
    conn: Connection, after_id: int, limit: int, *, without_topic: str | None = None
) -> list[tuple[int, str, str]]:
    """(id, title, body) of the next ``limit`` stored articles with an id above ``after_id``;
    with ``without_topic``, only those that have no score for that topic."""
    stmt = sa.select(articles.c.id, articles.c.title, articles.c.body).where(
        articles.c.id > after_id
    )
    if without_topic is not None:
        scored = sa.select(article_topics.c.article_id).where(
            article_topics.c.article_id == articles.c.id, article_topics.c.topic == without_topic
        )
        stmt = stmt.where(~sa.exists(scored))
    stmt = stmt.order_by(articles.c.id).limit(limit)
    return [(int(i), str(t), str(b)) for i, t, b in conn.execute(stmt)]


def replace_scores(
    conn: Connection, scores: Sequence[tuple[int, TopicScore]], topics: Sequence[str]
) -> None:
    """The rows of ``topics`` for the articles in ``scores`` become exactly ``scores``."""
    ids = sorted({article_id for article_id, _ in scores})
    for cond in member_of(conn, article_topics.c.article_id, ids):
        conn.execute(sa.delete(article_topics).where(cond, article_topics.c.topic.in_(topics)))
    rows = [topic_row(article_id, s) for article_id, s in scores]
    if rows:
        conn.execute(sa.insert(article_topics), rows)
