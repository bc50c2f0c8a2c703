"""Covering indexes for filtered full-text search over large stores.

Search filters each full-text match by topic and by publication time. Reading ``published``
from an articles row walks past the body's overflow pages (SQLite keeps long rows in page
chains), so the since filter probes an (id, published) index instead; the topic filter reads
article ids straight from a (topic, member, article_id) index, which also serves every query
the old (topic, member) index did.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_id_published", "articles", ["id", "published"])
    op.create_index(
        "ix_article_topics_topic_member_article",
        "article_topics",
        ["topic", "member", "article_id"],
    )
    op.drop_index("ix_article_topics_topic_member", table_name="article_topics")


def downgrade() -> None:
    op.create_index("ix_article_topics_topic_member", "article_topics", ["topic", "member"])
    op.drop_index("ix_article_topics_topic_member_article", table_name="article_topics")
    op.drop_index("ix_articles_id_published", table_name="articles")
