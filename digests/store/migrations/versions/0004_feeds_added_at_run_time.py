"""Feeds can be followed at run time (``/news feeds add``, ``digestbot feeds add``).

A row with ``added_at`` set was added at run time by ``added_by`` ("slack:U123",
"discord:456", "cli"); the poller polls those and the configured feeds, and no other row
(a feed fetched once by ``digestbot ingest URL``, or one removed from the config, keeps its
validators and health but is not polled).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("added_by", sa.Text, nullable=True))
        batch.add_column(sa.Column("added_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("added_at")
        batch.drop_column("added_by")
