"""Which version of each topic's definition the stored topic scores were computed with.

A topic added, renamed or edited in the config is scored again over the stored articles
(``digests.rescore``), so a digest of it covers what is stored already, not only what comes
in afterwards. ``scored_through``: the highest article id checked for a score of the topic, so
that articles stored meanwhile under a config without it (a cron ``ingest`` with another
config) are scored for it too, checking only the newer ids. Starts empty: the first run
adopts the configured topics that have scores.

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
        sa.Column("scored_through", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("topic_versions")
