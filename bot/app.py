"""The composition root: settings in, a wired ``App`` out. No work happens at import time."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
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
RESCORE_LEASE_TTL = timedelta(minutes=30)


def rescore_topics(app: App) -> None:
    """Score the stored articles for topics added or changed in the config. With several
    workers on one database one of them does it (a lease); the others go on meanwhile."""
    from digests.rescore import rescore_changed, stale_topics

    store, topics = app.store, app.settings.topics
    if not stale_topics(store, topics) and set(store.topic_versions()) >= set(topics):
        return
    holder = f"{socket.gethostname()}:{os.getpid()}:{id(app)}"
    if not store.try_acquire_lease(RESCORE_LEASE, holder, app.clock(), RESCORE_LEASE_TTL):
        log.info("another worker is scoring stored articles for changed topics")
        return
    try:
        rescore_changed(store, topics, app.clock())
    finally:
        store.release_lease(RESCORE_LEASE, holder)
