"""Writing and reading articles: exact dedupe, stories, topic rows.

``add`` runs inside one write transaction (the caller's): it looks up every key of the batch
with a few chunked ``IN`` queries, decides each item in memory (input order, the first of
several equal items wins), then writes stories, articles, topics and LSH bands with batched
inserts. So a batch of thousands costs a handful of round trips, not thousands.

Which story a new article joins is decided in ``clustering`` (MinHash, then title keys).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from digests.errors import StoreError
from digests.models import Article, StoredArticle, TopicScore
from digests.store import fingerprints as fp
from digests.store.origins import GuidKey, guid_keys, origin_of
from digests.store.schema import article_bands, article_topics, articles, stories
from digests.store.types import AddOutcome, KnownArticle, NewArticle
from digests.store.urls import canonical_url

if TYPE_CHECKING:
    import numpy as np

STORY_WINDOW = timedelta(days=7)  # near-duplicates further apart in time are separate stories
CHUNK = 2000  # bound parameters per IN (...) query, safe on SQLite and PostgreSQL

T = TypeVar("T")


def member_of(
    conn: Connection, column: sa.ColumnElement[T], values: Sequence[T]
) -> Iterator[sa.ColumnElement[bool]]:
    """``column IN values`` as few conditions as the backend allows, for batch lookups.

    PostgreSQL: one ``= ANY(array)`` (one parameter, whatever the size). SQLite: ``IN``
    lists of at most ``CHUNK`` parameters.
    """
    if not values:
        return
    if conn.dialect.name == "postgresql":
        yield column == sa.any_(sa.literal(list(values), postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(values), CHUNK):
        yield column.in_(values[start : start + CHUNK])


@dataclass
class _Item:
    """One input item with its keys, and what was decided for it."""

    new: NewArticle
    published: datetime
    url_key: str | None
    guid_keys: tuple[GuidKey, ...]  # (origin, guid): its own first, then a legacy one
    hash_key: str
    words: list[str]  # title and body words, split once for the hash and the shingles
    title_key: str | None
    body_words: int
    signature: np.ndarray | None = None  # set by assign_stories, with bands and minhash
    bands: list[int] = field(default_factory=list)
    minhash: bytes | None = None
    # Decision: a duplicate of a stored article, or of an earlier item in the batch ...
    dup_of_id: tuple[int, int] | None = None  # (article_id, story_id)
    dup_of_item: int | None = None
    # ... or new, joining a stored story, an earlier item's story, or starting its own.
    story_id: int | None = None
    story_of_item: int | None = None
    article_id: int | None = None


def item_of(new: NewArticle) -> _Item:
    """The article with its keys and words, split once (``add`` and ``revisions.update``)."""
    a = new.article
    published = a.published or new.fetched_at
    if published.tzinfo is None or new.fetched_at.tzinfo is None:
        raise StoreError(f"naive datetime on article {a.url or a.title!r} (use aware UTC)")
    url_key = canonical_url(a.url) or None
    title_words, body_words = fp.words(a.title), fp.words(a.body)
    hash_key = fp.hash_of_words(title_words, body_words)
    return _Item(
        new,
        published,
        url_key,
        guid_keys(a),
        hash_key,
        title_words + body_words,
        fp.title_key(a.title),
        len(body_words),
    )


_Ref = tuple[int, int]  # (article_id, story_id)


def _existing_keys(
    conn: Connection, items: Sequence[_Item]
) -> tuple[dict[str, _Ref], dict[GuidKey, _Ref], dict[str, _Ref]]:
    """Stored (article_id, story_id) by canonical URL, by (origin, guid), by content hash."""
    return _stored_refs(
        conn,
        [i.url_key for i in items if i.url_key],
        [guid for i in items for _origin, guid in i.guid_keys[:1]],
        [i.hash_key for i in items],
    )


def _stored_refs(
    conn: Connection,
    url_keys: Sequence[str],
    guid_values: Sequence[str],
    hash_keys: Sequence[str],
) -> tuple[dict[str, _Ref], dict[GuidKey, _Ref], dict[str, _Ref]]:
    ref = (articles.c.id, articles.c.story_id)
    by_url: dict[str, tuple[int, int]] = {}
    by_guid: dict[GuidKey, tuple[int, int]] = {}
    by_hash: dict[str, tuple[int, int]] = {}
    urls = sorted(set(url_keys))
    for cond in member_of(conn, articles.c.url_canonical, urls):
        stmt = sa.select(articles.c.url_canonical, *ref).where(cond)
        for url, article_id, story_id in conn.execute(stmt):
            by_url[url] = (article_id, story_id)
    # By GUID alone (the unique index leads with it); the origin is matched in memory.
    for cond in member_of(conn, articles.c.guid, sorted(set(guid_values))):
        stmt2 = sa.select(articles.c.origin, articles.c.guid, *ref).where(cond)
        for origin, guid, article_id, story_id in conn.execute(stmt2):
            by_guid[(origin, guid)] = (article_id, story_id)
    hashes = sorted(set(hash_keys))
    for cond in member_of(conn, articles.c.content_hash, hashes):
        stmt3 = sa.select(articles.c.content_hash, *ref).where(cond)
        for content_hash, article_id, story_id in conn.execute(stmt3):
            by_hash[content_hash] = (article_id, story_id)
    return by_url, by_guid, by_hash


def known(conn: Connection, batch: Sequence[Article]) -> list[KnownArticle | None]:
    """The stored article each one matches by canonical URL or (origin, GUID), else None:
    ``add`` calls those duplicates whatever else the batch holds, and leaving them out of its
    batch changes no other decision (a duplicate never counts as an earlier item of the batch).

    For the pipeline, so that a feed polled again is not classified and summarized again only
    to be dropped, and so that it can tell a revision (``KnownArticle.revised_by``) from a
    repeat. The content hash is left to ``add``: it costs more than it saves here.
    """
    url_keys = [canonical_url(a.url) or None for a in batch]
    keys = [guid_keys(a) for a in batch]
    cols = (
        articles.c.id,
        articles.c.source,
        articles.c.guid,
        articles.c.content_hash,
        articles.c.url_canonical,
        sa.func.length(articles.c.body),
        articles.c.origin,
    )
    by_url: dict[str, KnownArticle] = {}
    by_guid: dict[GuidKey, KnownArticle] = {}
    for cond in member_of(conn, articles.c.url_canonical, sorted({u for u in url_keys if u})):
        for url, *fields in conn.execute(sa.select(articles.c.url_canonical, *cols).where(cond)):
            by_url[url] = KnownArticle(*fields)
    guids = sorted({a.guid for a in batch if a.guid})
    for cond in member_of(conn, articles.c.guid, guids):
        for row in conn.execute(sa.select(*cols).where(cond)):
            found = KnownArticle(*row)
            if found.guid is not None and found.origin is not None:
                by_guid[(found.origin, found.guid)] = found
    return [
        (by_url.get(url) if url else None) or _first(by_guid, item_keys)
        for url, item_keys in zip(url_keys, keys, strict=True)
    ]


def _first(found: dict[GuidKey, T], keys: Sequence[GuidKey]) -> T | None:
    """What ``found`` holds under the first of ``keys`` it has."""
    for key in keys:
        if key in found:
            return found[key]
    return None


def _mark_duplicates(conn: Connection, items: Sequence[_Item]) -> list[_Item]:
    """Decide exact duplicates (stored or earlier in the batch); return the new items."""
    by_url, by_guid, by_hash = _existing_keys(conn, items)
    seen_url: dict[str, int] = {}
    seen_guid: dict[GuidKey, int] = {}
    seen_hash: dict[str, int] = {}
    fresh: list[_Item] = []
    for index, item in enumerate(items):
        stored = (
            (by_url.get(item.url_key) if item.url_key else None)
            or _first(by_guid, item.guid_keys)
            or by_hash.get(item.hash_key)
        )
        if stored:
            item.dup_of_id = stored
            continue
        # Not an ``or`` chain: the first item's index, 0, is a match too.
        earlier = next(
            (
                i
                for i in (
                    seen_url.get(item.url_key) if item.url_key else None,
                    _first(seen_guid, item.guid_keys[:1]),
                    seen_hash.get(item.hash_key),
                )
                if i is not None
            ),
            None,
        )
        if earlier is not None:
            item.dup_of_item = earlier
            continue
        if item.url_key:
            seen_url[item.url_key] = index
        for key in item.guid_keys[:1]:
            seen_guid[key] = index
        seen_hash[item.hash_key] = index
        fresh.append(item)
    return fresh


def add(conn: Connection, batch: Sequence[NewArticle], now: datetime) -> list[AddOutcome]:
    """Store a batch (in the caller's write transaction); outcomes in input order."""
    items = [item_of(n) for n in batch]
    fresh = _mark_duplicates(conn, items)
    from digests.store.clustering import assign_stories  # numpy: only the writing commands

    assign_stories(conn, items, fresh)
    # Stories for items that start one, then resolve the rest in input order.
    founders = [i for i in fresh if i.story_id is None and i.story_of_item is None]
    story_ids = _next_ids(conn, stories, len(founders))
    if founders:
        rows = [{"id": sid, "created_at": now} for sid in story_ids]
        conn.execute(sa.insert(stories), rows)
    for item, sid in zip(founders, story_ids, strict=True):
        item.story_id = sid
    for item in fresh:
        if item.story_id is None:
            assert item.story_of_item is not None
            item.story_id = items[item.story_of_item].story_id
    if fresh:
        for item, aid in zip(fresh, _next_ids(conn, articles, len(fresh)), strict=True):
            item.article_id = aid
        conn.execute(sa.insert(articles), [_article_row(i) for i in fresh])
        topic_rows = [row for i in fresh for row in topic_rows_of(i)]
        if topic_rows:
            conn.execute(sa.insert(article_topics), topic_rows)
        band_rows = [(b, i.article_id) for i in fresh for b in set(i.bands)]
        if band_rows:
            insert_plain(conn, article_bands, band_rows)
    return [_outcome(item, items) for item in items]


def topic_rows_of(item: _Item) -> list[dict[str, Any]]:
    """The article_topics rows of an item with an id: one per topic (the first score wins)."""
    seen: dict[str, TopicScore] = {}
    for t in item.new.topics:
        seen.setdefault(t.topic, t)
    assert item.article_id is not None
    return [topic_row(item.article_id, t) for t in seen.values()]


def _article_row(item: _Item) -> dict[str, Any]:
    a = item.new.article
    return {
        "id": item.article_id,
        "story_id": item.story_id,
        "title": a.title,
        "url": a.url,
        "url_canonical": item.url_key,
        "source": a.source,
        "origin": origin_of(a),
        "guid": a.guid or None,
        "author": a.author,
        "body": a.body,
        "summary": item.new.summary.summary,
        "key_facts": list(item.new.summary.key_facts),
        "content_hash": item.hash_key,
        "published": item.published,
        "fetched_at": item.new.fetched_at,
        "minhash": item.minhash,
        "title_key": item.title_key,
    }


def topic_row(article_id: int, t: TopicScore) -> dict[str, Any]:
    """One article_topics row (``add``, ``revisions.update``, ``topic_scores``)."""
    return {
        "article_id": article_id,
        "topic": t.topic,
        "score": float(t.score),
        "member": bool(t.member),
        "evidence": list(t.evidence),
    }


def _next_ids(conn: Connection, table: sa.Table, count: int) -> list[int]:
    """Reserve ``count`` primary keys, so a batch inserts without RETURNING row by row.

    PostgreSQL: from the table's sequence. SQLite: above the current maximum, which is safe
    because the caller holds the write lock (BEGIN IMMEDIATE) until commit.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        stmt = sa.text(
            "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
        )
        return sorted(int(v) for v in conn.execute(stmt, {"t": table.name, "n": count}).scalars())
    top = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


def insert_plain(conn: Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert of many rows of plain values (ints), straight to the driver.

    SQLAlchemy's per-row parameter handling dominates for tens of thousands of tiny rows, and
    psycopg's executemany sends one statement per row; so: COPY on PostgreSQL, executemany
    on SQLite (in-process, cheap).
    """
    names = ", ".join(c.name for c in table.columns)
    if conn.dialect.name == "postgresql":
        cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    marks = ", ".join(["?"] * len(table.columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _outcome(item: _Item, items: Sequence[_Item]) -> AddOutcome:
    if item.dup_of_id is not None:
        return AddOutcome("duplicate", *item.dup_of_id)
    if item.dup_of_item is not None:
        first = items[item.dup_of_item]
        assert first.article_id is not None and first.story_id is not None
        return AddOutcome("duplicate", first.article_id, first.story_id)
    assert item.article_id is not None and item.story_id is not None
    return AddOutcome("new", item.article_id, item.story_id)


def prune_bands(conn: Connection, before: datetime) -> int:
    """Drop the LSH bands of articles published before ``before``; returns rows removed.

    Only articles within ``STORY_WINDOW`` of a new one can join its story, so older bands
    are dead weight; the articles and their signatures stay.
    """
    old = sa.select(articles.c.id).where(articles.c.published < before)
    stmt = sa.delete(article_bands).where(article_bands.c.article_id.in_(old.scalar_subquery()))
    return int(conn.execute(stmt).rowcount)


# Reading -------------------------------------------------------------------------------

_ARTICLE_COLUMNS = (
    articles.c.id,
    articles.c.title,
    articles.c.url,
    articles.c.body,
    articles.c.source,
    articles.c.published,
    articles.c.fetched_at,
    articles.c.story_id,
    articles.c.author,
    articles.c.summary,
    articles.c.key_facts,
)


def load(conn: Connection, ids: Sequence[int]) -> dict[int, StoredArticle]:
    """Stored articles by id, with their topic scores."""
    topics: dict[int, list[TopicScore]] = defaultdict(list)
    rows: list[Any] = []
    for cond in member_of(conn, articles.c.id, list(ids)):
        rows.extend(conn.execute(sa.select(*_ARTICLE_COLUMNS).where(cond)))
    for cond in member_of(conn, article_topics.c.article_id, list(ids)):
        stmt = (
            sa.select(article_topics)
            .where(cond)
            .order_by(article_topics.c.article_id, article_topics.c.score.desc())
        )
        for t in conn.execute(stmt):
            topics[t.article_id].append(
                TopicScore(t.topic, float(t.score), bool(t.member), tuple(t.evidence or ()))
            )
    return {
        r.id: StoredArticle(
            id=r.id,
            title=r.title,
            url=r.url,
            body=r.body,
            source=r.source,
            published=r.published,
            fetched_at=r.fetched_at,
            story_id=r.story_id,
            author=r.author,
            summary=r.summary,
            key_facts=tuple(r.key_facts or ()),
            topics=tuple(topics.get(r.id, ())),
        )
        for r in rows
    }


def in_window(
    conn: Connection,
    since: datetime,
    until: datetime,
    *,
    topic: str | None,
    min_score: float,
) -> list[StoredArticle]:
    """Articles published in [since, until), newest first; with ``topic``, its members only."""
    stmt = sa.select(articles.c.id).where(
        articles.c.published >= since, articles.c.published < until
    )
    if topic is not None:
        stmt = stmt.join(article_topics, article_topics.c.article_id == articles.c.id).where(
            article_topics.c.topic == topic,
            article_topics.c.member.is_(True),
            article_topics.c.score >= min_score,
        )
    stmt = stmt.order_by(articles.c.published.desc(), articles.c.id.desc())
    ids = [row.id for row in conn.execute(stmt)]
    found = load(conn, ids)
    return [found[i] for i in ids if i in found]
