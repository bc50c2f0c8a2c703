"""Which version of each topic's definition the stored topic scores were computed with.

A topic added, renamed or edited in the config is scored again over the stored articles
(``digests.rescore``), so a digest of it covers what is stored already, not only what comes
in afterwards. Starts empty: the first run adopts the configured topics that have scores.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_versions",
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("topic_versions")
