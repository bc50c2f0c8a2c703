"""Articles carry their origin: a GUID is unique within its feed, not within its source name.

Before, an article was unique by (source, guid), and ``source`` is a display name (the
configured name, else the feed's title): two feeds titled "News" that both number items "1",
"2" shared it, so the second feed's item "1" was dropped as a duplicate of the first's. Now
the key is (guid, origin), ``origin`` being the feed's URL as polled or a feed file's
``file://`` URL (``digests.store.origins``; GUID first in the key, as lookups go by GUID).

Backfill: a row whose source names exactly one row of ``feeds`` (by its title; by its host
when it has none, as ``parse_feed`` names such a feed) gets that feed's URL. Every other row
(its source names no polled feed, or several; an article file) gets the legacy origin
``"source:" + source``: an article from a feed still matches it by (its source, GUID), so
polling an old feed again after the upgrade does not store its items a second time. The
prefix comes from the application, not a frozen copy, on purpose: the legacy origin is only
useful if it equals the one the running code matches.

SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt (Alembic batch mode).
That drops its full-text triggers (made again here) and, with foreign keys on (how the store
connects), dropping the old table would cascade to ``article_topics`` and ``article_bands``:
their rows are set aside in temporary tables and put back. PostgreSQL alters in place.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from digests.store.origins import LEGACY_PREFIX

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_CHILDREN = ("article_topics", "article_bands")  # ON DELETE CASCADE from articles
# As made by 0001 (frozen): a rebuilt table has no triggers.
_SQLITE_FTS_TRIGGERS = [
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
_MAP = "_digestbot_0007_origins"


def upgrade() -> None:
    op.add_column("articles", sa.Column("origin", sa.Text, nullable=True))
    _backfill()
    with _rebuilding() as batch:
        batch.alter_column("origin", existing_type=sa.Text, nullable=False)
        batch.drop_constraint("uq_articles_source_guid", type_="unique")
        batch.create_unique_constraint("uq_articles_guid_origin", ["guid", "origin"])


def _backfill() -> None:
    """One UPDATE: the feed's URL where the source names one feed, else the legacy origin.

    An article file (no GUID, a file: URL) always takes the legacy origin: it is what the
    running code gives it, and a revision of it needs the same origin.
    """
    conn = op.get_bind()
    urls: dict[str, set[str]] = defaultdict(set)
    for url, title in conn.execute(sa.text("SELECT url, title FROM feeds")):
        urls[title or urlsplit(url).hostname or url].add(url)
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {_MAP} (name TEXT PRIMARY KEY, url TEXT)"))
    pairs = [{"name": n, "url": next(iter(found))} for n, found in urls.items() if len(found) == 1]
    if pairs:
        conn.execute(sa.text(f"INSERT INTO {_MAP} (name, url) VALUES (:name, :url)"), pairs)
    conn.execute(
        sa.text(
            "UPDATE articles SET origin = COALESCE("
            " CASE WHEN guid IS NULL AND url LIKE 'file:%' THEN NULL"
            f" ELSE (SELECT m.url FROM {_MAP} m WHERE m.name = articles.source) END,"
            " :legacy || source)"
        ),
        {"legacy": LEGACY_PREFIX},
    )
    conn.execute(sa.text(f"DROP TABLE {_MAP}"))


@contextmanager
def _rebuilding() -> Iterator[BatchOperations]:
    """``op.batch_alter_table("articles")``; on SQLite, with what a rebuild would lose kept."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table in _CHILDREN:
            op.execute(f"CREATE TEMPORARY TABLE _keep_{table} AS SELECT * FROM {table}")
            op.execute(f"DELETE FROM {table}")
    with op.batch_alter_table("articles") as batch:
        yield batch
    if sqlite:
        for statement in _SQLITE_FTS_TRIGGERS:
            op.execute(statement)
        for table in _CHILDREN:
            op.execute(f"INSERT INTO {table} SELECT * FROM _keep_{table}")
            op.execute(f"DROP TABLE _keep_{table}")


def downgrade() -> None:
    """Back to (source, guid): where two feeds with one source share a GUID, the later rows
    lose their GUID (still matched by their URL and their words), as that key holds one."""
    op.execute(
        "UPDATE articles SET guid = NULL WHERE guid IS NOT NULL AND id NOT IN ("
        " SELECT MIN(id) FROM articles WHERE guid IS NOT NULL GROUP BY source, guid)"
    )
    with _rebuilding() as batch:
        batch.drop_constraint("uq_articles_guid_origin", type_="unique")
        batch.create_unique_constraint("uq_articles_source_guid", ["source", "guid"])
        batch.drop_column("origin")
