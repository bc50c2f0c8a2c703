"""A feed added through a web page remembers the page (``feeds.found_on``).

``feeds add https://site.example/`` follows the feed the page announces (autodiscovery);
storing the page lets ``feeds remove https://site.example/`` find that feed again. Rows added
before stay without one (nothing records which page they came from).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("found_on", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("found_on")
