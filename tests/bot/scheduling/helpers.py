"""Stand-ins shared by the scheduler tests: a hand-moved clock and a recording job runner."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.scheduler import job_id
from digests.store.types import Subscription


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """Stands in for delivery, polling and pruning: records what it is asked to run."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.polls = 0
        self.prunes = 0
        self.delay = delay
        self.finished = 0

    async def deliver(self, sub: Subscription, slot: datetime) -> None:
        self.calls.append((job_id(sub), slot))
        await asyncio.sleep(self.delay)
        self.finished += 1

    async def poll(self) -> None:
        self.polls += 1

    async def prune(self) -> None:
        self.prunes += 1
