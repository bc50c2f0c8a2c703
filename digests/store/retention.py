"""Pruning old articles and what hangs off them, one bounded batch per write transaction.

An article is prunable when both its ``published`` and its ``fetched_at`` are before the
cutoff (see ``digests/retention.py`` for why, and for what the caller keeps whatever is
asked). Deleting a batch removes, in the same transaction:

- its topic rows and near-duplicate bands (counted here; the foreign keys would cascade too);
- its full-text entry: SQLite's FTS5 delete trigger (migration 0001), PostgreSQL's
  ``search_vector`` lives in the row itself;
- every story left with no article, and the ledger's record that such a story was delivered
  to a channel (nothing can show it again; on SQLite its id may even be reused later).

A story that keeps a newer article keeps its id, its ``created_at`` (when it was first seen)
and its delivered marks, so it is neither lost nor posted again. Ledger rows go once finished
(delivered, dead or failed), claimed before the cutoff (long past any retry: the caller's
cutoff is older than the misfire grace) and left with no delivered story; a ``claimed`` row, a
delivery in progress, is never touched. ``trim_band_step`` forgets the near-duplicate bands
of articles too old to join a new story (the articles stay). Every step is idempotent, so an
interrupted prune is simply run again. ``count`` answers the same numbers without deleting
(``--dry-run``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.articles import member_of
from digests.store.schema import (
    article_bands,
    article_topics,
    articles,
    delivered_stories,
    deliveries,
    stories,
)

FINISHED = ("delivered", "dead", "failed")  # never "claimed": a send may be in progress
Key = tuple[datetime, int]  # (published, id): where the next article batch starts


@dataclass(frozen=True)
class PruneCounts:
    """Rows removed (or, for a dry run, that would be), by kind."""

    articles: int = 0
    stories: int = 0
    topics: int = 0
    bands: int = 0
    delivered_stories: int = 0
    deliveries: int = 0

    def __add__(self, other: PruneCounts) -> PruneCounts:
        return PruneCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class ArticleBatch:
    """What one article batch removed, and where the next one starts (None: done)."""

    counts: PruneCounts
    next_key: Key | None


def _prunable(table: sa.FromClause, cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.published < cutoff, table.c.fetched_at < cutoff)


def _count(conn: Connection, stmt: sa.Select[Any]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one())


# --- articles and stories -------------------------------------------------------------------


def prune_article_batch(
    conn: Connection, cutoff: datetime, after: Key | None, limit: int
) -> ArticleBatch:
    """Delete up to ``limit`` prunable articles after ``after`` in (published, id) order.

    The key moves past articles kept because they were stored recently, so a batch never
    re-reads them.
    """
    stmt = sa.select(articles.c.id, articles.c.story_id, articles.c.published).where(
        _prunable(articles, cutoff)
    )
    rows = conn.execute(
        _after(stmt, after).order_by(articles.c.published, articles.c.id).limit(limit)
    ).all()
    if not rows:
        return ArticleBatch(PruneCounts(), None)
    ids = [int(r.id) for r in rows]
    counts = _delete_articles(conn, ids, sorted({int(r.story_id) for r in rows}))
    last = rows[-1]
    return ArticleBatch(counts, (last.published, int(last.id)) if len(rows) == limit else None)


def _delete_where(conn: Connection, table: sa.Table, column: sa.Column[Any], ids: list[int]) -> int:
    return sum(
        int(conn.execute(sa.delete(table).where(cond)).rowcount)
        for cond in member_of(conn, column, ids)
    )


def _delete_articles(conn: Connection, ids: list[int], story_ids: list[int]) -> PruneCounts:
    topics = _delete_where(conn, article_topics, article_topics.c.article_id, ids)
    bands = _delete_where(conn, article_bands, article_bands.c.article_id, ids)
    removed = _delete_where(conn, articles, articles.c.id, ids)
    left = sa.exists().where(articles.c.story_id == stories.c.id)
    doomed: list[int] = []
    for cond in member_of(conn, stories.c.id, story_ids):
        found = conn.execute(sa.select(stories.c.id).where(cond, ~left)).scalars()
        doomed += [int(i) for i in found]
    marks = _delete_where(conn, delivered_stories, delivered_stories.c.story_id, doomed)
    gone = _delete_where(conn, stories, stories.c.id, doomed)
    return PruneCounts(
        articles=removed, stories=gone, topics=topics, bands=bands, delivered_stories=marks
    )


# --- the near-duplicate index ---------------------------------------------------------------


def trim_band_step(
    conn: Connection, before: datetime, after: Key | None, limit: int
) -> tuple[int, Key | None]:
    """Forget the bands of up to ``limit`` articles published before ``before``, oldest first
    from ``after`` on; returns (rows removed, where the next step starts; None when done).

    The same job as ``articles.prune_bands``, in bounded steps: that function's
    ``published < before`` subquery covers every older article, so calling it once per step
    would cost each step the whole history again.
    """
    has_bands = sa.exists().where(article_bands.c.article_id == articles.c.id)
    stmt = sa.select(articles.c.id, articles.c.published).where(
        articles.c.published < before, has_bands
    )
    rows = conn.execute(
        _after(stmt, after).order_by(articles.c.published, articles.c.id).limit(limit)
    ).all()
    removed = _delete_where(conn, article_bands, article_bands.c.article_id,
                            [int(r.id) for r in rows])
    last = rows[-1] if len(rows) == limit else None
    return removed, (last.published, int(last.id)) if last is not None else None


def _after(stmt: sa.Select[Any], after: Key | None) -> sa.Select[Any]:
    """Only articles past ``after`` in (published, id) order (a keyset: no rescans)."""
    if after is None:
        return stmt
    published, article_id = after
    return stmt.where(
        articles.c.published >= published,
        sa.or_(articles.c.published > published, articles.c.id > article_id),
    )


# --- the delivery ledger ----------------------------------------------------------------------


def _finished_before(before: datetime) -> sa.ColumnElement[bool]:
    no_marks = ~sa.exists().where(delivered_stories.c.delivery_id == deliveries.c.id)
    return sa.and_(deliveries.c.status.in_(FINISHED), deliveries.c.claimed_at < before, no_marks)


def prune_ledger_batch(conn: Connection, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` finished ledger rows claimed before ``before`` that no longer
    record a delivered story. The conditions are checked again by the delete itself, so a
    row retaken meanwhile (failed -> claimed) stays."""
    ids = [
        int(i)
        for i in conn.execute(
            sa.select(deliveries.c.id)
            .where(_finished_before(before))
            .order_by(deliveries.c.id)
            .limit(limit)
        ).scalars()
    ]
    return sum(
        int(conn.execute(sa.delete(deliveries).where(cond, _finished_before(before))).rowcount)
        for cond in member_of(conn, deliveries.c.id, ids)
    )


# --- dry run ----------------------------------------------------------------------------------


def count(conn: Connection, cutoff: datetime, index_before: datetime | None) -> PruneCounts:
    """What ``prune`` with these times would remove from the store as it is now."""
    prunable = _prunable(articles, cutoff)
    kept = articles.alias("kept")
    doomed = (
        sa.select(articles.c.story_id)
        .where(
            prunable,
            ~sa.exists().where(
                kept.c.story_id == articles.c.story_id, sa.not_(_prunable(kept, cutoff))
            ),
        )
        .distinct()
    )
    band_articles = prunable if index_before is None else sa.or_(
        prunable, articles.c.published < index_before
    )
    surviving_marks = sa.exists().where(
        delivered_stories.c.delivery_id == deliveries.c.id,
        delivered_stories.c.story_id.not_in(doomed.scalar_subquery()),
    )
    return PruneCounts(
        articles=_count(conn, sa.select(articles.c.id).where(prunable)),
        stories=_count(conn, doomed),
        topics=_count(
            conn,
            sa.select(article_topics.c.article_id)
            .join(articles, articles.c.id == article_topics.c.article_id)
            .where(prunable),
        ),
        bands=_count(
            conn,
            sa.select(article_bands.c.band_key)
            .join(articles, articles.c.id == article_bands.c.article_id)
            .where(band_articles),
        ),
        delivered_stories=_count(
            conn,
            sa.select(delivered_stories.c.story_id).where(
                delivered_stories.c.story_id.in_(doomed.scalar_subquery())
            ),
        ),
        deliveries=_count(
            conn,
            sa.select(deliveries.c.id).where(
                deliveries.c.status.in_(FINISHED),
                deliveries.c.claimed_at < cutoff,
                ~surviving_marks,
            ),
        ),
    )


__all__: Sequence[str] = [
    "FINISHED",
    "ArticleBatch",
    "Key",
    "PruneCounts",
    "count",
    "prune_article_batch",
    "prune_ledger_batch",
    "trim_band_step",
]
