"""The composition root: settings in, a wired ``App`` out. No work happens at import time."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digests.settings import Secrets, Settings
from digests.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """Everything a command needs: settings, secrets, the store and the clock."""

    settings: Settings
    secrets: Secrets
    store: Store
    clock: Clock = field(default=utc_now)
    # One digest at a time per chat channel in this process, so two digests due at the same
    # minute for one channel do not interleave their messages.
    channel_locks: dict[str, asyncio.Lock] = field(default_factory=dict, repr=False)

    @property
    def archive_dir(self) -> Path:
        return self.settings.resolve_path(self.settings.archive_dir)

    def close(self) -> None:
        self.store.close()


def make_app(
    settings: Settings, *, secrets: Secrets | None = None, clock: Clock | None = None
) -> App:
    """Open the store (migrating it), bring the stored topic scores up to the configured
    topics (``digests.rescore``), and wire the app; the caller closes it."""
    store = Store.open(settings.database)
    app = App(
        settings=settings,
        secrets=secrets or Secrets.from_env(),
        store=store,
        clock=clock or utc_now,
    )
    try:
        rescore_topics(app)
    except BaseException:
        store.close()
        raise
    return app


RESCORE_LEASE = "rescore-topics"
RESCORE_LEASE_TTL = timedelta(minutes=2)  # renewed after every batch; a dead holder frees it
RESCORE_WAIT = 120.0  # seconds to wait for another worker's rescoring before going on


def rescore_topics(app: App) -> None:
    """Score the stored articles for topics added or changed in the config (and fill in
    articles stored meanwhile under a config without a topic). With several workers on one
    database one of them does it (a lease, renewed per batch); the others wait for it, up to
    ``RESCORE_WAIT``, so that a digest is not built from half-scored articles."""
    from digests.rescore import plan, rescore_changed

    store, topics = app.store, app.settings.topics
    if plan(store, topics).empty:
        return
    holder = f"{socket.gethostname()}:{os.getpid()}:{id(app)}"
    deadline = time.monotonic() + RESCORE_WAIT
    while not store.try_acquire_lease(RESCORE_LEASE, holder, app.clock(), RESCORE_LEASE_TTL):
        if time.monotonic() > deadline:
            log.warning("another worker is still scoring stored articles for changed topics; "
                        "going on with the scores as they are")
            return
        time.sleep(0.5)

    def renew(_done: int) -> None:
        store.try_acquire_lease(RESCORE_LEASE, holder, app.clock(), RESCORE_LEASE_TTL)

    try:
        rescore_changed(store, topics, app.clock(), progress=renew)
    finally:
        store.release_lease(RESCORE_LEASE, holder)
