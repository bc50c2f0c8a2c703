"""Feed poll state and the poll lease: each due feed goes to one worker at a time.

A claim is one ``UPDATE ... WHERE url IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``:
on PostgreSQL concurrent claimers skip each other's rows, on SQLite the statement holds the
write lock. A lease that expired (its worker died) is due again.

Only followed feeds are claimed: the configured URLs the caller passes, and rows added at run
time (``added_at`` set by ``add``, cleared by ``remove``). Other rows (a feed fetched once by
``digestbot ingest URL``, or one taken out of the config) keep their validators and health in
case the feed comes back, but are never polled.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.schema import feeds
from digests.store.types import FeedState
from digests.store.upsert import insert

_LEASE_FIELDS = ("lease_owner", "lease_until")


def _state(row: Any) -> FeedState:
    return FeedState(
        url=row.url,
        title=row.title,
        etag=row.etag,
        last_modified=row.last_modified,
        last_polled=row.last_polled,
        last_success=row.last_success,
        next_poll=row.next_poll,
        last_status=row.last_status,
        last_error=row.last_error,
        error_count=row.error_count,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        added_by=row.added_by,
        added_at=row.added_at,
        found_on=row.found_on,
    )


def get(conn: Connection, url: str) -> FeedState | None:
    row = conn.execute(sa.select(feeds).where(feeds.c.url == url)).first()
    return _state(row) if row else None


def list_all(conn: Connection) -> list[FeedState]:
    return [_state(r) for r in conn.execute(sa.select(feeds).order_by(feeds.c.url))]


def upsert(conn: Connection, state: FeedState) -> None:
    """Insert or replace a feed's state; an existing lease is kept as it is, and so are an
    existing row's ``added_by``/``added_at``/``found_on`` (the poller and one-off ingests
    upsert rows too; only ``add``/``remove`` change whether a feed was added). A new row
    takes them from ``state``."""
    values = {
        "url": state.url,
        "title": state.title,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "last_polled": state.last_polled,
        "last_success": state.last_success,
        "next_poll": state.next_poll,
        "last_status": state.last_status,
        "last_error": state.last_error,
        "error_count": state.error_count,
    }
    stmt = insert(conn, feeds).values(
        **values,
        lease_owner=None,
        lease_until=None,
        added_by=state.added_by,
        added_at=state.added_at,
        found_on=state.found_on,
    )
    update = {k: stmt.excluded[k] for k in values if k != "url"}
    conn.execute(stmt.on_conflict_do_update(index_elements=[feeds.c.url], set_=update))


def add(
    conn: Connection,
    url: str,
    title: str,
    added_by: str,
    now: datetime,
    found_on: str | None = None,
) -> FeedState:
    """Follow ``url`` from now on; the row as stored (``found_on``: the page it was found on).

    A new URL gets a row (due at once); an existing row that was not added (a one-off ingest,
    a feed taken out of the config) becomes added and keeps its validators and health; a
    non-empty ``title`` replaces its title. A row already added is left as it is: its
    ``added_by``/``added_at`` stay the first ones, which is how the caller tells.
    """
    stmt = insert(conn, feeds).values(
        url=url, title=title, error_count=0, added_by=added_by, added_at=now, found_on=found_on
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=[feeds.c.url]))
    values: dict[str, Any] = {"added_by": added_by, "added_at": now, "found_on": found_on}
    if title:
        values["title"] = title
    conn.execute(
        sa.update(feeds).where(feeds.c.url == url, feeds.c.added_at.is_(None)).values(**values)
    )
    state = get(conn, url)
    assert state is not None  # inserted or already there, in this transaction
    return state


def remove(conn: Connection, url: str) -> bool:
    """Stop following a feed added at run time: clears ``added_by``/``added_at``/``found_on``
    (the row, its validators and health stay). False when ``url`` is no added feed."""
    stmt = (
        sa.update(feeds)
        .where(feeds.c.url == url, feeds.c.added_at.is_not(None))
        .values(added_by=None, added_at=None, found_on=None)
    )
    return conn.execute(stmt).rowcount == 1


def claim_due(
    conn: Connection,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    configured: Collection[str],
) -> list[FeedState]:
    """Lease due followed feeds: a url in ``configured``, or a row added at run time.

    ``configured`` goes into the statement as an ``IN`` list (one bound parameter per URL;
    both backends take tens of thousands).
    """
    followed = sa.or_(
        feeds.c.added_at.is_not(None),
        feeds.c.url.in_(sorted(set(configured))),
    )
    due = (
        sa.select(feeds.c.url)
        .where(
            followed,
            sa.or_(feeds.c.next_poll.is_(None), feeds.c.next_poll <= now),
            sa.or_(feeds.c.lease_until.is_(None), feeds.c.lease_until <= now),
        )
        .order_by(feeds.c.next_poll.asc().nulls_first(), feeds.c.url)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        sa.update(feeds)
        .where(feeds.c.url.in_(due.scalar_subquery()))
        .values(lease_owner=worker, lease_until=now + lease)
        .returning(*feeds.c)
    )
    claimed = [_state(r) for r in conn.execute(stmt)]
    return sorted(claimed, key=lambda s: (s.next_poll is not None, s.next_poll or now, s.url))


def release(
    conn: Connection,
    url: str,
    worker: str,
    *,
    next_poll: datetime,
    polled_at: datetime | None,
    etag: str | None,
    last_modified: str | None,
    status: int | None,
    error: str | None,
    title: str | None,
) -> bool:
    values: dict[str, Any] = {"next_poll": next_poll, "lease_owner": None, "lease_until": None}
    if polled_at is not None:
        values["last_polled"] = polled_at
    if etag is not None:
        values["etag"] = etag
    if last_modified is not None:
        values["last_modified"] = last_modified
    if status is not None:
        values["last_status"] = status
    if title:
        values["title"] = title
    if error is None:
        values.update(last_error=None, error_count=0)
        if polled_at is not None:
            values["last_success"] = polled_at
    else:
        values.update(last_error=error, error_count=feeds.c.error_count + 1)
    stmt = (
        sa.update(feeds).where(feeds.c.url == url, feeds.c.lease_owner == worker).values(**values)
    )
    return conn.execute(stmt).rowcount == 1
