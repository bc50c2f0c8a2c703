"""The lifecycle the fake platform APIs share: an aiohttp server on 127.0.0.1, a free port.

A fake subclasses ``FakeServer``, names itself in ``label`` (used in errors and the thread name)
and adds its routes in ``_routes``; it is then usable as ``async with Fake() as api`` in async
tests and ``with Fake().running_in_thread() as api`` in sync ones (the CLI runs its own loop).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, Self

from aiohttp import web


@dataclass
class FakeServer:
    """Start, stop, serve from a thread and wait for a condition; subclasses add the routes."""

    label: ClassVar[str] = "fake server"
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _port: int = field(default=0, init=False, repr=False)

    def _routes(self, app: web.Application) -> None:
        """Add the fake's handlers to ``app``."""
        raise NotImplementedError

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application()
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextmanager
    def running_in_thread(self) -> Iterator[Self]:
        """Serve from a background thread with its own event loop (for sync tests)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        name = self.label.replace(" ", "-").lower()
        thread = threading.Thread(target=serve, name=name, daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.label} did not start")
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    # --- address and waiting -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (e.g. ``lambda: len(api.messages) >= 1``)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.label}: condition not met in time")
            await asyncio.sleep(0.02)

    def wait_for_sync(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """``wait_for`` for sync tests using ``running_in_thread``."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.label}: condition not met in time")
            time.sleep(0.02)
