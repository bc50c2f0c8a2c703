"""Articles carry a title key, so a teaser and the full text of one story meet.

``fingerprints.title_key``: a hash of the headline's normalized words, NULL for a title too
short or generic to identify a story. A new article that MinHash links to no story joins the
story of a recent article with the same key (``clustering._link_by_title``).

The backfill calls the application's ``title_key`` rather than a frozen copy, on purpose: a
key is only useful if it equals the key the running code computes for the next article, so
an upgrade run later, by a newer version, must key the backfill as that version does.

Backfill: only articles published within ``STORY_WINDOW`` (a week) of the upgrade get a key,
as only those can still share a story with an article stored afterwards; older rows keep
NULL. That bounds the work (a week of articles: titles only, one UPDATE per keyed row, inside
the upgrade's transaction) whatever the size of the store.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from digests.store.articles import STORY_WINDOW
from digests.store.fingerprints import title_key
from digests.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_articles = sa.table(
    "articles",
    sa.column("id", sa.Integer),
    sa.column("title", sa.Text),
    sa.column("published", UTCDateTime),
    sa.column("title_key", sa.String(32)),
)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:  # SQLite: a plain ADD COLUMN, no copy
        batch.add_column(sa.Column("title_key", sa.String(32), nullable=True))
    op.create_index("ix_articles_title_key", "articles", ["title_key"])
    _backfill(datetime.now(UTC) - STORY_WINDOW)


def _backfill(since: datetime) -> None:
    conn = op.get_bind()
    stmt = sa.select(_articles.c.id, _articles.c.title).where(_articles.c.published >= since)
    rows = [
        {"row_id": article_id, "key": key}
        for article_id, title in conn.execute(stmt)
        if (key := title_key(title)) is not None
    ]
    if rows:
        update = (
            sa.update(_articles)
            .where(_articles.c.id == sa.bindparam("row_id"))
            .values(title_key=sa.bindparam("key"))
        )
        conn.execute(update, rows)


def downgrade() -> None:
    op.drop_index("ix_articles_title_key", table_name="articles")
    # Not batch mode: SQLite would copy the table, dropping its full-text triggers; its own
    # ALTER TABLE ... DROP COLUMN (3.35+) keeps them.
    op.drop_column("articles", "title_key")
