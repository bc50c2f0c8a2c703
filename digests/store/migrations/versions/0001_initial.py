"""Initial schema: articles and stories, topics, LSH bands, full-text search, feeds,
subscriptions, delivery ledger, digest archive, leases.

Revision ID: 0001
Revises:
Create Date: 2026-02-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)

# Full-text search: title and body, porter stemming on both backends.
_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]
# A tsvector holds at most 1 MB: index the first 200k characters of a body.
_PG_FTS = [
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, left(coalesce(body, ''), 200000)), 'B')
    ) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("url_canonical", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("guid", sa.Text, nullable=True),
        sa.Column("author", sa.Text, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("key_facts", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("published", _TS, nullable=False),
        sa.Column("fetched_at", _TS, nullable=False),
        sa.Column("minhash", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("url_canonical"),
        sa.UniqueConstraint("content_hash"),
        sa.UniqueConstraint("source", "guid", name="uq_articles_source_guid"),
    )
    op.create_index("ix_articles_story_id", "articles", ["story_id"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_table(
        "article_topics",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("member", sa.Boolean, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
    )
    op.create_index("ix_article_topics_topic_member", "article_topics", ["topic", "member"])
    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.BigInteger, primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"])
    op.create_table(
        "feeds",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.Column("last_polled", _TS, nullable=True),
        sa.Column("next_poll", _TS, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.Text, nullable=True),
        sa.Column("lease_until", _TS, nullable=True),
    )
    op.create_index("ix_feeds_next_poll", "feeds", ["next_poll"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_key", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("channel_id", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.UniqueConstraint("channel_key", "topic", name="uq_subscriptions_channel_topic"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_key", sa.String(200), nullable=False),
        sa.Column("sub_key", sa.String(200), nullable=False),
        sa.Column("window_key", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("claimed_at", _TS, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("message_ids", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("channel_key", "sub_key", "window_key", name="uq_deliveries_window"),
    )
    op.create_index("ix_deliveries_status_claimed", "deliveries", ["status", "claimed_at"])
    op.create_table(
        "delivered_stories",
        sa.Column("channel_key", sa.String(200), primary_key=True),
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("story_id", sa.Integer, primary_key=True),
        sa.Column(
            "delivery_id",
            sa.Integer,
            sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("delivered_at", _TS, nullable=False),
    )
    op.create_index("ix_delivered_stories_delivery_id", "delivered_stories", ["delivery_id"])
    op.create_table(
        "digest_archive",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("since", _TS, nullable=False),
        sa.Column("until", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("channel_key", sa.String(200), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_digest_archive_topic_created", "digest_archive", ["topic", "created_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_FTS, "postgresql": _PG_FTS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in (
        "leases",
        "digest_archive",
        "delivered_stories",
        "deliveries",
        "subscriptions",
        "feeds",
        "article_bands",
        "article_topics",
        "articles",
        "stories",
    ):
        op.drop_table(table)
