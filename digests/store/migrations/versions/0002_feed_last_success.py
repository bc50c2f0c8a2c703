"""Feeds remember their last successful poll, for `/news feeds` and feed-health notices.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("last_success", sa.DateTime(timezone=True), nullable=True))
    # A feed whose last poll succeeded last succeeded then.
    op.execute("UPDATE feeds SET last_success = last_polled WHERE error_count = 0")


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("last_success")
