"""The tables the store queries (SQLAlchemy Core); migrations create them.

``migrations/versions`` holds the DDL history; this module mirrors head for queries, and a
test checks the two agree. Full-text search lives outside these tables: an FTS5 table on
SQLite, a generated ``tsvector`` column on PostgreSQL (see ``search.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from digests.errors import StoreError


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no zone, so values are stored as naive UTC
    and tagged UTC again on read. A naive datetime is a bug in the caller and is refused.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise StoreError(f"naive datetime {value.isoformat()} (use aware UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise StoreError(f"unexpected stored time {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = sa.MetaData()

stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("url_canonical", sa.Text, nullable=True, unique=True),
    sa.Column("source", sa.Text, nullable=False),  # the name shown for it, not unique
    # The feed its GUID belongs to (``digests.store.origins``): its URL as polled, a feed
    # file's file:// URL, or "source:<name>" (an article file; a row older than 0007).
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("guid", sa.Text, nullable=True),
    sa.Column("author", sa.Text, nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("key_facts", sa.JSON, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("published", UTCDateTime, nullable=False, index=True),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("minhash", sa.LargeBinary, nullable=True),
    # fingerprints.title_key: links a teaser to the full text of its story. NULL: a title too
    # short or generic to identify a story, or an article published more than a week before
    # migration 0005 ran.
    sa.Column("title_key", sa.String(32), nullable=True, index=True),
    # GUID first: the duplicate checks look rows up by GUID alone (origins matched after).
    sa.UniqueConstraint("guid", "origin", name="uq_articles_guid_origin"),
    # Covering, for search's since filter: published without reading the (long) row.
    sa.Index("ix_articles_id_published", "id", "published"),
)

article_topics = sa.Table(
    "article_topics",
    metadata,
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
    # Covering, for search's topic filter: member ids without reading the rows.
    sa.Index("ix_article_topics_topic_member_article", "topic", "member", "article_id"),
)

# MinHash LSH bands of recent articles: a shared band key makes a near-duplicate candidate.
article_bands = sa.Table(
    "article_bands",
    metadata,
    sa.Column("band_key", sa.BigInteger, primary_key=True),
    sa.Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
    sa.Column("last_polled", UTCDateTime, nullable=True),
    sa.Column("last_success", UTCDateTime, nullable=True),
    sa.Column("next_poll", UTCDateTime, nullable=True, index=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.Text, nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    # Set when the feed was followed at run time (``Store.add_feed``), not from the config.
    sa.Column("added_by", sa.Text, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=True),
    # The web page the added feed was found on (autodiscovery), for ``feeds remove PAGE``.
    sa.Column("found_on", sa.Text, nullable=True),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
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
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.UniqueConstraint("channel_key", "topic", name="uq_subscriptions_channel_topic"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_key", sa.String(200), nullable=False),
    sa.Column("sub_key", sa.String(200), nullable=False),
    sa.Column("window_key", sa.String(100), nullable=False),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("worker", sa.String(200), nullable=False),
    sa.Column("claimed_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Column("message_ids", sa.JSON, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("channel_key", "sub_key", "window_key", name="uq_deliveries_window"),
    sa.Index("ix_deliveries_status_claimed", "status", "claimed_at"),
)

delivered_stories = sa.Table(
    "delivered_stories",
    metadata,
    sa.Column("channel_key", sa.String(200), primary_key=True),
    sa.Column("topic", sa.String(100), primary_key=True),
    sa.Column("story_id", sa.Integer, primary_key=True),
    sa.Column(
        "delivery_id",
        sa.Integer,
        sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("delivered_at", UTCDateTime, nullable=False),
)

digest_archive = sa.Table(
    "digest_archive",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("until", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("channel_key", sa.String(200), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Index("ix_digest_archive_topic_created", "topic", "created_at"),
)

# The definition (fingerprint) each topic's stored scores were computed with (digests.rescore).
topic_versions = sa.Table(
    "topic_versions",
    metadata,
    sa.Column("topic", sa.String(100), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("scored_at", UTCDateTime, nullable=False),
    # The highest article id checked for a score of this topic (see digests.rescore).
    sa.Column("scored_through", sa.Integer, nullable=False, server_default="0"),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
