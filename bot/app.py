"""The composition root: settings in, a wired ``App`` out. No work happens at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    """Open the store (migrating it) and wire the app; the caller closes it."""
    store = Store.open(settings.database)
    return App(
        settings=settings,
        secrets=secrets or Secrets.from_env(),
        store=store,
        clock=clock or utc_now,
    )
