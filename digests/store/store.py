"""``Store``: the one object the rest of digestbot talks to for persistence.

A thin facade: each method opens one transaction and calls a function of the module that owns
the job (``articles``, ``search``, ``feeds``, ``subscriptions``, ``ledger``, ``archive``,
``leases``). Writes on SQLite begin with ``BEGIN IMMEDIATE``; database errors come out as
``StoreError`` with a one-line reason. Thread-safe (a connection pool); call it from a worker
thread, not an event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError, StatementError

from digests.errors import StoreError
from digests.models import Article, StoredArticle, TopicScore
from digests.store import (
    archive,
    articles,
    feeds,
    leases,
    ledger,
    migrate,
    retention,
    search,
    subscriptions,
    topic_scores,
)
from digests.store.db import IMMEDIATE, create_engine, is_memory, parse_url
from digests.store.retention import PruneCounts
from digests.store.schema import articles as articles_table
from digests.store.types import (
    AddOutcome,
    ArchivedDigest,
    Delivery,
    FeedState,
    KnownArticle,
    NewArticle,
    SearchHit,
    Subscription,
)

log = logging.getLogger(__name__)

_INGEST_LOCK_KEY = 0x6469676573740002  # PostgreSQL: one add_articles batch at a time
MAX_SEARCH_LIMIT = 200
PRUNE_BATCH = 200  # articles (or ledger rows) per prune transaction: about 0.1-0.2 s
PRUNE_PAUSE = 0.15  # s between prune transactions on SQLite (see ``Store.prune``)


def _reason(e: BaseException) -> str:
    orig = getattr(e, "orig", None) or e
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    text = lines[0] if lines else type(orig).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"{name} must be an aware datetime (UTC), got {value.isoformat()}")
    return value.astimezone(UTC)


class Store:
    """Articles, stories, search, feeds, subscriptions, the delivery ledger, the digest
    archive and leader leases, on SQLite or PostgreSQL. Open with ``Store.open(url)``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # lifecycle -----------------------------------------------------------------------

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and upgrade its schema to head (safe with concurrent starts).

        Raises ``StoreError`` with a one-line reason for a bad, unsupported or unreachable URL.
        """
        parsed = parse_url(url)
        shown = parsed.render_as_string(hide_password=True)
        engine = create_engine(parsed)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as e:
            engine.dispose()
            raise StoreError(f"cannot connect to {shown}: {_reason(e)}") from e
        try:
            migrate.upgrade(engine)
        except migrate.MigrationError as e:
            engine.dispose()
            raise StoreError(
                f"cannot migrate {shown}: {_reason(e)} (is it from a newer digestbot?)"
            ) from e
        except SQLAlchemyError as e:
            engine.dispose()
            raise StoreError(f"cannot migrate {shown}: {_reason(e)}") from e
        log.debug("store open url=%s dialect=%s", shown, engine.dialect.name)
        return cls(engine)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL with any password hidden (for logs and ``/healthz``)."""
        return self._engine.url.render_as_string(hide_password=True)

    def schema_version(self) -> str | None:
        """The Alembic revision the database is at (``digestbot db upgrade`` prints it)."""
        return migrate.current_revision(self._engine)

    def ping(self) -> bool:
        """True when the database answers (for ``/healthz``); never raises.

        A SQLite file must also still be where it was opened: a pooled connection keeps
        answering from a deleted file (its inode) while nothing written reaches the disk.
        """
        try:
            path = self._sqlite_file()
            if path is not None and not path.exists():
                log.warning("store ping failed: the database file %s is gone", path)
                return False
            with self._engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError) as e:
            log.warning("store ping failed: %s", _reason(e))
            return False

    def _sqlite_file(self) -> Path | None:
        url = self._engine.url
        if url.get_backend_name() != "sqlite" or is_memory(url) or not url.database:
            return None
        return Path(url.database).resolve()

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; database errors become ``StoreError``."""
        try:
            with self._engine.connect() as conn:
                if write:
                    conn.execution_options(**{IMMEDIATE: True})
                with conn.begin():
                    yield conn
        except StatementError as e:
            if isinstance(e.orig, StoreError):  # raised while binding a value
                raise e.orig from None
            raise StoreError(f"database error: {_reason(e)}") from e
        except SQLAlchemyError as e:
            raise StoreError(f"database error: {_reason(e)}") from e

    # articles ------------------------------------------------------------------------

    def add_articles(self, items: Sequence[NewArticle]) -> list[AddOutcome]:
        """Store a batch in one transaction; one outcome per item, in input order.

        Idempotent: an item whose canonical URL, (feed, GUID) (``origins``) or normalized
        title+body is already stored (or appears earlier in the batch) is a ``duplicate`` and
        writes nothing. A new item joins the story of a near-duplicate published within 7 days,
        else that of an article with the same distinctive headline (a teaser and its full
        text) unless both texts are long and unrelated, else starts a story.
        """
        if not items:
            return []
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _INGEST_LOCK_KEY})
            return articles.add(conn, items, now)

    def known_articles(self, items: Sequence[Article]) -> list[KnownArticle | None]:
        """For each article, the stored one it matches by canonical URL or (feed, GUID),
        which ``add_articles`` would call it a duplicate of, else None: the pipeline skips
        classifying and summarizing those (a feed polled again) unless they are revisions
        (``KnownArticle.revised_by``). A read; ``add_articles`` still decides."""
        if not items:
            return []
        with self._tx() as conn:
            return articles.known(conn, items)

    def update_articles(self, items: Sequence[tuple[int, NewArticle]]) -> list[int]:
        """Store new versions of stored articles (article id, its revision) in one
        transaction; returns the ids updated. See ``revisions.update`` for what is kept."""
        if not items:
            return []
        from digests.store import revisions  # numpy (MinHash): only the writing commands

        with self._tx(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _INGEST_LOCK_KEY})
            return revisions.update(conn, items)

    def prune_story_index(self, before: datetime) -> int:
        """Forget near-duplicate bands of articles published before ``before`` (keep them
        for at least ``articles.STORY_WINDOW``); bounds the index. Returns rows removed."""
        before = _aware(before, "before")
        with self._tx(write=True) as conn:
            return articles.prune_bands(conn, before)

    def count_prunable(
        self, cutoff: datetime, *, index_before: datetime | None = None
    ) -> PruneCounts:
        """What ``prune`` with the same times would remove now (``digestbot prune --dry-run``)."""
        cutoff = _aware(cutoff, "cutoff")
        index_before = _aware(index_before, "index_before") if index_before else None
        with self._tx() as conn:
            return retention.count(conn, cutoff, index_before)

    def prune(
        self,
        cutoff: datetime,
        *,
        index_before: datetime | None = None,
        batch_size: int = PRUNE_BATCH,
        pause: float | None = None,
        keep_going: Callable[[], bool] | None = None,
        on_batch: Callable[[PruneCounts], None] | None = None,
    ) -> PruneCounts:
        """Delete articles published and stored before ``cutoff``, with their topics, bands,
        search entries, the stories left empty and the ledger rows that no longer matter
        (see ``store/retention.py``); then forget the near-duplicate bands of articles
        published before ``index_before`` (None: keep them). Returns what was removed.

        Unlike the other methods this is many transactions: one per batch of ``batch_size``,
        so a large prune never holds the write lock for long and can be stopped between
        batches (``keep_going`` returning False) and run again. Between two transactions it
        waits ``pause`` seconds (default: SQLite ``PRUNE_PAUSE``, PostgreSQL 0): SQLite's lock
        is not fair, and a writer waiting in its busy handler retries only every 100 ms, so
        without the pause it could wait for the whole prune. ``on_batch`` sees each batch.
        The caller decides what is safe to prune (``digests/retention.py``).
        """
        cutoff = _aware(cutoff, "cutoff")
        index_before = _aware(index_before, "index_before") if index_before else None
        if batch_size <= 0:
            raise StoreError(f"batch_size must be positive, got {batch_size}")
        if pause is None:
            pause = PRUNE_PAUSE if self.dialect == "sqlite" else 0.0
        total = PruneCounts()
        started = False

        def tx() -> AbstractContextManager[Connection]:
            nonlocal started
            if started and pause:
                time.sleep(pause)
            started = True
            return self._prune_tx()

        def step(counts: PruneCounts) -> bool:
            nonlocal total
            total += counts
            if on_batch is not None:
                on_batch(counts)
            return keep_going is None or keep_going()

        key: retention.Key | None = None
        while True:
            with tx() as conn:
                batch = retention.prune_article_batch(conn, cutoff, key, batch_size)
            if not step(batch.counts):
                return total
            key = batch.next_key
            if key is None:
                break
        key = None
        while index_before is not None:
            with tx() as conn:
                removed, key = retention.trim_band_step(conn, index_before, key, batch_size)
            if not step(PruneCounts(bands=removed)):
                return total
            if key is None:
                break
        while True:
            with tx() as conn:
                removed = retention.prune_ledger_batch(conn, cutoff, batch_size)
            if removed == 0 or not step(PruneCounts(deliveries=removed)):
                return total

    @contextmanager
    def _prune_tx(self) -> Iterator[Connection]:
        """A write transaction that also waits for (and holds off) ingest batches on
        PostgreSQL, so a new article never joins a story being deleted."""
        with self._tx(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _INGEST_LOCK_KEY})
            yield conn

    def get_article(self, article_id: int) -> StoredArticle | None:
        with self._tx() as conn:
            return articles.load(conn, [article_id]).get(article_id)

    def get_articles(self, article_ids: Sequence[int]) -> list[StoredArticle]:
        """The stored articles among ``article_ids``, in the order given."""
        with self._tx() as conn:
            found = articles.load(conn, list(dict.fromkeys(article_ids)))
        return [found[i] for i in article_ids if i in found]

    def articles_in_window(
        self,
        since: datetime,
        until: datetime,
        *,
        topic: str | None = None,
        min_score: float = 0.0,
    ) -> list[StoredArticle]:
        """Articles published in [since, until), newest first.

        With ``topic``: only articles that are members of it with a score >= ``min_score``.
        """
        since, until = _aware(since, "since"), _aware(until, "until")
        with self._tx() as conn:
            return articles.in_window(conn, since, until, topic=topic, min_score=min_score)

    def count_articles(self) -> int:
        with self._tx() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(articles_table)).scalar_one()
            )

    def search(
        self,
        query: str,
        *,
        topic: str | None = None,
        since: datetime | None = None,
        limit: int = 10,
    ) -> list[SearchHit]:
        """Ranked full-text search; any query text is safe (see ``search.py``).

        Stop words are left out; articles matching all the other words come first, then
        those matching most of them. An empty or wordless query gives ``[]``.
        """
        terms = search.query_terms(query)
        limit = min(limit, MAX_SEARCH_LIMIT)
        if not terms or limit <= 0:
            return []
        since = _aware(since, "since") if since is not None else None
        with self._tx() as conn:
            ranked = search.ranked(conn, terms, topic=topic, since=since, limit=limit)
            found = articles.load(conn, [article_id for article_id, _ in ranked])
        return [
            SearchHit(found[i], score, search.snippet(found[i].title, found[i].body, terms))
            for i, score in ranked
            if i in found
        ]

    # feeds ---------------------------------------------------------------------------

    def get_feed(self, url: str) -> FeedState | None:
        with self._tx() as conn:
            return feeds.get(conn, url)

    def upsert_feed(self, state: FeedState) -> None:
        """Insert or replace a feed's state (validators, health, next poll).

        The lease fields of ``state`` are ignored: an existing lease stays as it is; use
        ``claim_due_feeds``/``release_feed`` for leases. So are ``added_by``/``added_at`` of
        an existing row (use ``add_feed``/``remove_feed``); a new row takes them from ``state``.
        """
        with self._tx(write=True) as conn:
            feeds.upsert(conn, state)

    def list_feeds(self) -> list[FeedState]:
        with self._tx() as conn:
            return feeds.list_all(conn)

    def add_feed(
        self, url: str, title: str, added_by: str, now: datetime, found_on: str | None = None
    ) -> FeedState:
        """Follow ``url`` from now on (``/news feeds add``, ``digestbot feeds add``); the row
        as stored. ``added_by``: who, e.g. "slack:U123", "discord:456", "cli"; ``found_on``:
        the web page given when ``url`` is the feed it announces (``feeds remove PAGE``).

        Idempotent: a feed already added stays as it was, so the returned ``added_at`` is
        earlier than ``now`` (and ``added_by`` the first adder's). An existing row that was
        not added (a one-off ingest, a feed taken out of the config) becomes added and keeps
        its validators and health. A non-empty ``title`` replaces the stored one. Whether the
        URL is configured is the caller's business (the store does not know the config).
        """
        now = _aware(now, "now")
        with self._tx(write=True) as conn:
            return feeds.add(conn, url, title, added_by, now, found_on)

    def remove_feed(self, url: str) -> bool:
        """Stop following a feed added at run time; False when ``url`` is not one (a
        configured feed is refused by the caller; here it would simply be "not added").

        The row stays, with its validators and health, in case the feed is added again;
        it is no longer polled unless it is configured.
        """
        with self._tx(write=True) as conn:
            return feeds.remove(conn, url)

    def claim_due_feeds(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int = 50,
        *,
        configured: Collection[str],
    ) -> list[FeedState]:
        """Lease up to ``limit`` due followed feeds (``next_poll`` unset or <= now) to
        ``worker``: those whose url is in ``configured`` (the config's feeds, OPML files
        expanded) and those added at run time (``add_feed``). Other rows are never claimed.

        A feed leased to another worker is skipped until its lease expires; concurrent
        claimers get disjoint sets. Most overdue first.
        """
        now = _aware(now, "now")
        if limit <= 0:
            return []
        with self._tx(write=True) as conn:
            return feeds.claim_due(conn, worker, now, lease, limit, configured)

    def release_feed(
        self,
        url: str,
        worker: str,
        *,
        next_poll: datetime,
        polled_at: datetime | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        status: int | None = None,
        error: str | None = None,
        title: str | None = None,
    ) -> bool:
        """Record a poll's result and end ``worker``'s lease on the feed.

        ``etag``/``last_modified``/``status``/``title``/``polled_at`` given replace the stored
        ones, None keeps them (so a failed poll keeps the validators). ``error`` None means
        success: the error count resets; a string counts one more consecutive failure.
        Returns False (and writes nothing) when ``worker`` no longer holds the lease.
        """
        next_poll = _aware(next_poll, "next_poll")
        with self._tx(write=True) as conn:
            return feeds.release(
                conn,
                url,
                worker,
                next_poll=next_poll,
                polled_at=polled_at,
                etag=etag,
                last_modified=last_modified,
                status=status,
                error=error,
                title=title,
            )

    # subscriptions -------------------------------------------------------------------

    def add_subscription(self, sub: Subscription) -> Subscription:
        """Add, or update the existing (channel_key, topic) one; returns it as stored."""
        with self._tx(write=True) as conn:
            return subscriptions.add(conn, sub, datetime.now(UTC))

    def remove_subscription(self, channel_key: str, topic: str) -> bool:
        with self._tx(write=True) as conn:
            return subscriptions.remove(conn, channel_key, topic)

    def list_subscriptions(self, channel_key: str | None = None) -> list[Subscription]:
        with self._tx() as conn:
            return subscriptions.list_all(conn, channel_key)

    def record_subscription_error(self, sub_id: int, error: str | None) -> None:
        with self._tx(write=True) as conn:
            subscriptions.record_error(conn, sub_id, error)

    # delivery ledger -----------------------------------------------------------------

    def claim_delivery(
        self,
        channel_key: str,
        sub_key: str,
        window_key: str,
        *,
        worker: str,
        now: datetime,
        topic: str | None = None,
    ) -> Delivery | None:
        """Claim the right to post (channel_key, sub_key, window_key); None if taken.

        Exactly one concurrent caller wins. A row marked failed (not permanent) is taken
        over by the next claim (``attempts`` counts them); delivered or dead rows never are.
        ``topic`` (default: ``sub_key``) is what ``delivered_story_ids`` filters on.
        """
        now = _aware(now, "now")
        with self._tx(write=True) as conn:
            return ledger.claim(
                conn,
                channel_key,
                sub_key,
                window_key,
                topic=topic if topic is not None else sub_key,
                worker=worker,
                now=now,
            )

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        with self._tx() as conn:
            return ledger.get(conn, delivery_id)

    def mark_delivered(
        self,
        delivery_id: int,
        message_ids: Sequence[str],
        story_ids: Sequence[int],
        now: datetime,
    ) -> None:
        """Record the send as done, with the posted messages and the stories they carried."""
        now = _aware(now, "now")
        with self._tx(write=True) as conn:
            if not ledger.mark_delivered(conn, delivery_id, message_ids, story_ids, now):
                raise StoreError(f"no delivery {delivery_id}")

    def record_delivery_progress(
        self, delivery_id: int, message_ids: Sequence[str], *, worker: str
    ) -> bool:
        """Record the parts of a multi-message digest sent so far (crash-resume state).

        Only while ``worker`` holds the claim; False when it lost it (nothing written).
        """
        with self._tx(write=True) as conn:
            return ledger.record_progress(conn, delivery_id, message_ids, worker)

    def mark_failed(self, delivery_id: int, error: str, *, permanent: bool, now: datetime) -> None:
        """Record a failed send: ``permanent`` -> dead, else failed (claimable again).

        A delivered row stays delivered.
        """
        now = _aware(now, "now")
        with self._tx(write=True) as conn:
            ledger.mark_failed(conn, delivery_id, error, permanent=permanent, now=now)

    def release_claim(
        self, delivery_id: int, error: str | None, *, worker: str, attempts: int
    ) -> bool:
        """Hand back a claim a dead or stopped worker left, if no one else has yet: the row
        becomes ``failed`` (claimable) only while ``worker`` still holds it at ``attempts``.
        True for the one caller that did it."""
        with self._tx(write=True) as conn:
            return ledger.release_claim(conn, delivery_id, error, worker=worker,
                                        attempts=attempts)

    def pending_deliveries(self, older_than: datetime) -> list[Delivery]:
        """Claimed before ``older_than`` and never marked: the worker died mid-send."""
        older_than = _aware(older_than, "older_than")
        with self._tx() as conn:
            return ledger.pending(conn, older_than)

    def delivered_story_ids(self, channel_key: str, topic: str) -> set[int]:
        with self._tx() as conn:
            return ledger.delivered_story_ids(conn, channel_key, topic)

    def in_flight_deliveries(self, channel_key: str, topic: str, since: datetime) -> list[Delivery]:
        """Unfinished windows (claimed, or failed and resumable) of ``topic`` to ``channel_key``
        claimed since ``since``: a new plan must leave their stories out."""
        since = _aware(since, "since")
        with self._tx() as conn:
            return ledger.in_flight(conn, channel_key, topic, since)

    # digest archive ------------------------------------------------------------------

    def save_digest(
        self,
        topic: str,
        since: datetime,
        until: datetime,
        payload: dict[str, Any],
        *,
        channel_key: str | None,
        now: datetime,
    ) -> int:
        """Archive a built digest (``payload``: JSON-serializable, e.g. the json renderer's)."""
        since, until, now = _aware(since, "since"), _aware(until, "until"), _aware(now, "now")
        with self._tx(write=True) as conn:
            return archive.save(
                conn, topic, since, until, payload, channel_key=channel_key, now=now
            )

    def list_digests(
        self, topic: str | None = None, *, offset: int = 0, limit: int = 20
    ) -> list[ArchivedDigest]:
        """Archived digests, newest first."""
        with self._tx() as conn:
            return archive.list_recent(conn, topic, offset=offset, limit=limit)

    def get_digest(self, digest_id: int) -> ArchivedDigest | None:
        with self._tx() as conn:
            return archive.get(conn, digest_id)

    def story_counts_per_day(self, since: datetime, until: datetime) -> dict[str, dict[date, int]]:
        """topic -> UTC day -> number of stories (for a trend chart)."""
        since, until = _aware(since, "since"), _aware(until, "until")
        with self._tx() as conn:
            return archive.story_counts_per_day(conn, since, until)

    # topic scores by definition -----------------------------------------------------

    def topic_versions(self) -> dict[str, tuple[str, int]]:
        """Topic -> (fingerprint of the definition its stored scores were computed with, the
        highest article id checked for a score of it)."""
        with self._tx() as conn:
            return topic_scores.versions(conn)

    def scored_topics(self) -> set[str]:
        """Topics some stored article has a score for."""
        with self._tx() as conn:
            return topic_scores.scored_topics(conn)

    def max_article_id(self) -> int:
        with self._tx() as conn:
            return topic_scores.max_article_id(conn)

    def set_topic_version(
        self, topic: str, fingerprint: str, scored_through: int, now: datetime
    ) -> None:
        now = _aware(now, "now")
        with self._tx(write=True) as conn:
            topic_scores.set_version(conn, topic, fingerprint, scored_through, now)

    def article_texts(
        self, after_id: int, limit: int, *, without_topic: str | None = None
    ) -> list[tuple[int, str, str]]:
        """(id, title, body) of the next ``limit`` stored articles after ``after_id`` (with
        ``without_topic``: only those with no score for it)."""
        with self._tx() as conn:
            return topic_scores.texts_after(conn, after_id, limit, without_topic=without_topic)

    def replace_topic_scores(
        self, scores: Sequence[tuple[int, TopicScore]], topics: Sequence[str]
    ) -> None:
        """One transaction: the scores of ``topics`` for those articles become ``scores``."""
        with self._tx(write=True) as conn:
            topic_scores.replace_scores(conn, scores, topics)

    # leader lease --------------------------------------------------------------------

    def try_acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew lease ``name`` for ``holder`` until now+ttl; False if another holds it."""
        now = _aware(now, "now")
        with self._tx(write=True) as conn:
            return leases.try_acquire(conn, name, holder, now, ttl)

    def release_lease(self, name: str, holder: str) -> bool:
        """Give up lease ``name`` if ``holder`` has it (clean shutdown)."""
        with self._tx(write=True) as conn:
            return leases.release(conn, name, holder)
