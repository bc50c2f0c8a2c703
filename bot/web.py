"""The one HTTP server of ``digestbot run``: ``/healthz``, ``/metrics``, Slack, the archive.

``/healthz`` asks the store (in a thread, with a short timeout, so a hung database cannot hang
the probe) and reports the scheduler and the last poll: 200 when the store answers, 503 when
not. ``/metrics`` is the Prometheus text of the process's own registry.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.app import App
from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
PING_TIMEOUT = 3.0  # seconds; a probe must answer well within a load balancer's timeout
APP_KEY = web.AppKey("digestbot_app", App)


def _never() -> bool:
    return False


def _no_poll() -> datetime | None:
    return None


@dataclass
class HealthState:
    """What ``/healthz`` reports besides the store, read live from the running parts."""

    scheduler_alive: Callable[[], bool] = field(default=_never)
    last_poll: Callable[[], datetime | None] = field(default=_no_poll)


async def store_answers(app: App, timeout: float = PING_TIMEOUT) -> bool:
    """``store.ping`` in a worker thread; False on timeout or any error."""
    try:
        return bool(await asyncio.wait_for(asyncio.to_thread(app.store.ping), timeout))
    except (TimeoutError, Exception) as e:
        log.warning("healthz: store did not answer (%s)", type(e).__name__)
        return False


def health_body(store_ok: bool, state: HealthState) -> dict[str, Any]:
    last = state.last_poll()
    return {
        "status": "ok" if store_ok else "unavailable",
        "store": "ok" if store_ok else "unreachable",
        "scheduler": "running" if state.scheduler_alive() else "stopped",
        "last_poll": last.astimezone(UTC).isoformat() if last is not None else None,
    }


def make_web_app(
    app: App,
    *,
    metrics: Metrics,
    health_state: HealthState | None = None,
    bolt: Any | None = None,
    ping_timeout: float = PING_TIMEOUT,
) -> web.Application:
    """The aiohttp application; the caller runs it (``web.AppRunner``) and cleans it up."""
    state = health_state or HealthState()
    web_app = web.Application()
    web_app[APP_KEY] = app

    async def healthz(request: web.Request) -> web.Response:
        ok = await store_answers(app, ping_timeout)
        return web.json_response(health_body(ok, state), status=200 if ok else 503,
                                 headers={"Cache-Control": "no-store"})

    async def metrics_text(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_text)
    if bolt is not None:
        from bot.slack_app import add_slack_routes

        add_slack_routes(web_app, bolt)
    else:
        web_app.router.add_post(SLACK_EVENTS_PATH, _slack_closed)
    _add_archive(web_app, app)
    return web_app


async def _slack_closed(request: web.Request) -> web.Response:
    """``POST /slack/events`` with Slack's HTTP mode off (no ``SLACK_SIGNING_SECRET``, or
    Socket Mode): nothing can be verified, so every request is refused as an unsigned one."""
    log.warning("refused a Slack request: HTTP mode is off (set SLACK_SIGNING_SECRET)")
    return web.json_response({"error": "Slack HTTP mode is off"}, status=401)


def _add_archive(web_app: web.Application, app: App) -> None:
    """The archive pages, when ``bot.archive_site`` is installed (it is optional here)."""
    try:
        module = importlib.import_module("bot.archive_site")
    except ModuleNotFoundError as e:
        if e.name != "bot.archive_site":
            raise
        log.debug("archive site not available: no bot.archive_site")
        return
    module.add_archive_routes(web_app, app)


def build_static_archive(app: App, out_dir: Any) -> int:
    """``digestbot archive build``: delegated to ``bot.archive_site`` (see there)."""
    from digests.errors import UsageError

    try:
        module = importlib.import_module("bot.archive_site")
    except ModuleNotFoundError as e:
        raise UsageError("the archive site is not available in this build") from e
    return int(module.build_static_archive(app, out_dir))
