"""Start/stop order of ``digestbot run`` (one asyncio process) and ``digestbot run --once``.

Start: store (migrated) -> metrics -> senders -> finish deliveries a dead process left pending
-> HTTP server (/healthz, /metrics, Slack, archive) -> scheduler (polls, digests, the daily prune
when ``retention.articles`` is set) -> the chat gateways (Discord bot, Slack Socket Mode), only
on the worker holding the ``gateway`` lease.
Stop (SIGTERM/SIGINT, within ``delivery.shutdown_grace`` + 4 s: 9 s by default): no new jobs,
and a delivery starts no further message part; the part in flight gets ``delivery.shutdown_grace``
to finish (the row then stays ``claimed`` with the parts sent, noted as stopped, and any worker
resumes it from the next part; if the grace runs out first, the delivery is cancelled and the
next start resolves it as after a crash: a message the platform accepted but had not answered
yet is then posted again), then the gateways, the HTTP server, the senders and the store
close. Each ledger transition is one transaction, so nothing is ever half-written.

The start and stop lines are logged at INFO (alerting on warnings must not fire at every
restart) on their own logger, ``bot.runner.lifecycle``, which ``run`` shows without ``-v``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.app import App, make_app
from bot.delivery import (
    DeliveryOutcome,
    PostResult,
    deliver_subscription,
    notify_admin,
    post_now,
    resolve_pending,
    worker_id,
)
from bot.metrics import Metrics
from bot.poller import Poller
from bot.retention import EVERY as PRUNE_EVERY
from bot.retention import FIRST_AFTER as PRUNE_FIRST
from bot.retention import prune_job
from bot.scheduler import DigestScheduler, job_id
from bot.senders import Sender
from bot.senders.registry import open_senders
from bot.web import HealthState, make_web_app
from digests import pipeline
from digests.errors import ConfigError, DigestbotError
from digests.models import IngestReport
from digests.settings import Settings
from digests.store import Subscription

log = logging.getLogger(__name__)
lifecycle = logging.getLogger(f"{__name__}.lifecycle")  # start/stop lines: INFO, always shown

EXIT_OK = 0
EXIT_ERROR = 2
AFTER_DRAIN = 4.0  # seconds the stop takes after the drain (delivery.shutdown_grace), at most
GATEWAY_LEASE = "gateway"
LEASE_TTL = timedelta(seconds=60)
LEASE_RENEW = 20.0
RETRY_EVERY = 30.0  # failed windows are retried (within the grace period) this often


def resolve_port(
    cli_port: int | None, settings: Settings, env: dict[str, str] | None = None
) -> int:
    """``--port``, else ``$PORT``, else ``http.port`` from the config."""
    if cli_port is not None:
        if not 0 <= cli_port <= 65535:
            raise ConfigError([f"--port: not a port number: {cli_port}"])
        return cli_port
    env = dict(os.environ) if env is None else env
    raw = env.get("PORT", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) > 65535:
            raise ConfigError([f"$PORT: not a port number: {raw!r}"])
        return int(raw)
    return settings.http.port


def _fail(error: DigestbotError) -> int:
    if isinstance(error, ConfigError):
        for problem in error.problems:
            sys.stderr.write(f"{problem}\n")
    else:
        lines = str(error).strip().splitlines()
        sys.stderr.write(f"digestbot: error: {lines[0] if lines else type(error).__name__}\n")
    return EXIT_ERROR


# --- run --------------------------------------------------------------------------------------


def run(settings: Settings, *, port: int | None = None) -> int:
    """Serve until SIGTERM/SIGINT; 0 on a clean stop, 2 on a config or store error."""
    if not lifecycle.isEnabledFor(logging.INFO):  # without -v: still the start and stop lines
        lifecycle.setLevel(logging.INFO)
    try:
        return asyncio.run(_serve(settings, resolve_port(port, settings)))
    except DigestbotError as e:
        return _fail(e)


async def _serve(settings: Settings, port: int) -> int:
    app = await asyncio.to_thread(make_app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = Service(app, port=port, stopping=stop)  # the signal stops deliveries at once
    try:
        await service.start()
        await stop.wait()
        lifecycle.info("stopping (signal received): waiting up to %.0fs for deliveries in "
                       "progress", app.settings.delivery.shutdown_grace_seconds)
    finally:
        await service.stop()
        await asyncio.to_thread(app.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return EXIT_OK


@dataclass
class Service:
    """The running parts of one worker; ``start`` then ``stop``."""

    app: App
    port: int
    worker: str = field(default_factory=worker_id)
    metrics: Metrics = field(default_factory=Metrics)
    senders: dict[str, Sender] = field(default_factory=dict)
    scheduler: DigestScheduler | None = None
    poller: Poller | None = None
    bound_port: int | None = None
    prune_first: float = PRUNE_FIRST.total_seconds()  # retention: first prune after start
    prune_every: float = PRUNE_EVERY.total_seconds()
    # Set on SIGTERM (or by ``stop``): deliveries start no further message part.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _web: web.AppRunner | None = None
    _bolt: Any | None = None
    _gateway: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> None:
        app = self.app
        self.senders = dict(await self._stack.enter_async_context(open_senders(app)))
        await resolve_pending(app, self.senders, metrics=self.metrics, worker=self.worker,
                              stop=self.stopping)
        notifier = self._notice if app.settings.admin_channel else None
        self.poller = Poller(app, worker_id=self.worker, metrics=self.metrics,
                             notifier=notifier)
        prune = self._prune if app.settings.retention.max_age is not None else None
        self.scheduler = DigestScheduler(app, deliver=self._deliver, poll=self._poll,
                                         prune=prune, prune_every=self.prune_every,
                                         prune_first=self.prune_first, stopping=self.stopping)
        slack_mode = self._slack_mode()
        if slack_mode in ("http", "socket"):
            from bot.slack_app import make_slack_app

            self._bolt = make_slack_app(app, socket_mode=slack_mode == "socket",
                                        metrics=self.metrics)
        scheduler, poller = self.scheduler, self.poller
        state = HealthState(scheduler_alive=lambda: scheduler.alive,
                            last_poll=lambda: poller.last_poll)
        web_app = make_web_app(app, metrics=self.metrics, health_state=state,
                               bolt=self._bolt if slack_mode == "http" else None)
        self._web = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
        await self._web.setup()
        site = web.TCPSite(self._web, app.settings.http.host, self.port)
        try:
            await site.start()
        except OSError as e:  # the port is taken, or the host is not this machine's
            raise DigestbotError(
                f"cannot listen on {app.settings.http.host}:{self.port}: "
                f"{e.strerror or e} (set another port with --port or $PORT)"
            ) from None
        self.bound_port = int(self._web.addresses[0][1]) if self._web.addresses else self.port
        self._tasks.append(asyncio.create_task(self._start_scheduler(), name="scheduler"))
        discord = "bot" if app.secrets.discord_bot_token else (
            "webhooks" if "discord" in self.senders else "off")
        if slack_mode == "socket" or discord == "bot":
            self._tasks.append(asyncio.create_task(self._lead(slack_mode, discord), name="lease"))
        lifecycle.info(
            "digestbot running: http://%s:%s worker=%s slack=%s discord=%s admin_channel=%s "
            "archive=%s shutdown_grace=%s", app.settings.http.host, self.bound_port,
            self.worker, slack_mode, discord, app.settings.admin_channel or "log",
            app.archive_dir, app.settings.delivery.shutdown_grace,
        )

    @property
    def stop_budget(self) -> float:
        """Seconds ``stop`` takes at most: the drain, then ``AFTER_DRAIN`` to close the rest."""
        return self.app.settings.delivery.shutdown_grace_seconds + AFTER_DRAIN

    async def stop(self) -> None:
        """Stop within ``stop_budget`` seconds; each step bounded, none raises."""
        deadline = time.monotonic() + self.stop_budget
        self.stopping.set()
        if self.scheduler is not None:
            drain = self.app.settings.delivery.shutdown_grace_seconds
            await _quietly(self.scheduler.shutdown(timeout=drain), "scheduler")
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=max(0.1, deadline - time.monotonic() - 3))
        for close in reversed(self._gateway):
            await _quietly(close(), "gateway", timeout=1.5)
        if self._gateway:
            await _quietly(asyncio.to_thread(self.app.store.release_lease, GATEWAY_LEASE,
                                             self.worker), "lease", timeout=1.0)
        if self.poller is not None:
            await _quietly(self.poller.aclose(), "poller", timeout=1.0)
        if self._web is not None:
            await _quietly(self._web.cleanup(), "http server", timeout=1.5)
        await _quietly(self._stack.aclose(), "senders", timeout=1.0)
        lifecycle.info("digestbot stopped worker=%s", self.worker)

    # jobs ------------------------------------------------------------------------------------

    async def _deliver(self, sub: Subscription, slot: datetime) -> DeliveryOutcome:
        return await deliver_subscription(self.app, sub, slot, self.senders,
                                          metrics=self.metrics, worker=self.worker,
                                          stop=self.stopping)

    async def _poll(self) -> None:
        assert self.poller is not None
        report = await self.poller.poll_once()
        self.metrics.polled()
        if report.new:
            log.info("poll: %d new articles (%d feeds claimed)", report.new, report.claimed)

    async def _prune(self) -> None:
        """Retention (daily, and soon after start): one worker per day, see bot/retention.py.
        Stops between batches once the scheduler stops, so shutdown is not held up."""
        scheduler = self.scheduler
        assert scheduler is not None
        await prune_job(self.app, worker=self.worker, metrics=self.metrics,
                        keep_going=lambda: scheduler.alive)

    async def _notice(self, text: str) -> None:
        await notify_admin(self.app, self.senders, text)

    async def _start_scheduler(self) -> None:
        """Start the scheduler (its catch-up delivers missed windows), then every
        ``RETRY_EVERY`` seconds finish windows other (dead) workers left claimed and retry
        failed ones; the ledger keeps all of it from double posting. A resume runs as a
        tracked job, so shutdown lets its part in flight finish as it does a scheduled one's."""
        scheduler = self.scheduler
        assert scheduler is not None
        await scheduler.start()
        while True:
            await asyncio.sleep(RETRY_EVERY)
            if not scheduler.alive:
                return
            try:
                await scheduler.track(
                    resolve_pending(self.app, self.senders, metrics=self.metrics,
                                    worker=self.worker, starting=False, stop=self.stopping),
                    "resuming deliveries")
                await scheduler.catch_up([job_id(s) for s in scheduler.subscriptions()])
            except DigestbotError as e:
                log.error("retrying deliveries failed: %s", e)

    # gateways (leader only) ------------------------------------------------------------------

    def _slack_mode(self) -> str:
        """socket (app + bot token), http (signing secret: slash commands over HTTP, with or
        without a bot token), send-only (bot token alone: scheduled posts), or off. Whatever
        the mode, ``POST /slack/events`` is served: outside http mode it refuses with 401."""
        secrets = self.app.secrets
        if secrets.slack_bot_token and secrets.slack_app_token:
            return "socket"
        if secrets.slack_signing_secret:
            return "http"
        return "send-only" if secrets.slack_bot_token else "off"

    async def _lead(self, slack_mode: str, discord: str) -> None:
        """Hold the ``gateway`` lease; the holder alone connects Socket Mode / the Discord
        gateway. Others keep trying, so one takes over when the leader dies."""
        store = self.app.store
        leading = False
        while True:
            held = await asyncio.to_thread(store.try_acquire_lease, GATEWAY_LEASE, self.worker,
                                           self.app.clock(), LEASE_TTL)
            if held and not leading:
                leading = True
                await self._connect(slack_mode, discord)
            elif not held and leading:
                log.warning("lost the gateway lease: disconnecting chat gateways")
                leading = False
                for close in reversed(self._gateway):
                    await _quietly(close(), "gateway", timeout=1.5)
                self._gateway.clear()
            await asyncio.sleep(LEASE_RENEW)

    async def _connect(self, slack_mode: str, discord: str) -> None:
        app = self.app
        if slack_mode == "socket" and self._bolt is not None and app.secrets.slack_app_token:
            from bot.slack_app import start_socket_mode

            try:
                handler = await start_socket_mode(self._bolt, app.secrets.slack_app_token)
                self._gateway.append(handler.close_async)
            except Exception:
                log.exception("slack socket mode could not connect")
        if discord == "bot" and app.secrets.discord_bot_token:
            from bot.discord_app import make_discord_bot, start_discord_bot

            bot = make_discord_bot(app, metrics=self.metrics)
            try:
                task = await start_discord_bot(bot, app.secrets.discord_bot_token)
            except Exception as e:  # a bad token must not stop digests and the HTTP server
                log.error("discord bot could not log in: %s", type(e).__name__)
                await _quietly(bot.close(), "discord", timeout=1.5)
                return
            self._tasks.append(task)
            self._gateway.append(bot.close)
            log.info("discord gateway connecting (this worker holds the gateway lease)")


async def _quietly(work: Awaitable[Any], what: str, *, timeout: float | None = None) -> None:
    try:
        await asyncio.wait_for(work, timeout)
    except Exception:
        log.warning("shutdown: %s did not stop cleanly", what, exc_info=True)


# --- run --once ---------------------------------------------------------------------------------


def run_once(settings: Settings) -> int:
    """Ingest the configured sources, post every channel's topics now, exit.

    Digests go to stdout (console channels) and the archive folder; a one-line summary goes
    to stderr. 0, or 2 on a config or store error.
    """
    try:
        app = make_app(settings)
    except DigestbotError as e:
        return _fail(e)
    try:
        report, results = asyncio.run(_once(app))
    except DigestbotError as e:
        return _fail(e)
    finally:
        app.close()
    sys.stderr.write(summary_line(report, results, str(app.archive_dir)) + "\n")
    return EXIT_OK


async def _once(app: App) -> tuple[IngestReport, list[PostResult]]:
    specs = pipeline.resolve_sources([], app.settings)
    report = IngestReport()
    if specs:
        report = await pipeline.ingest(specs, app.store, app.settings, now=app.clock())
    results: list[PostResult] = []
    async with open_senders(app) as senders:
        for name, channel in app.settings.channels.items():
            if not channel.topics:
                continue
            results.append(await post_now(app, name, senders=senders))
    return report, results


def summary_line(report: IngestReport, results: list[PostResult], archive: str) -> str:
    delivered = sum(len({d.topic for d in r.delivered}) for r in results)
    messages = sum(len(r.delivered) for r in results)
    skipped = sum(len(r.skipped) for r in results)
    failed = sum(len(r.failed) for r in results)
    return (
        f"digestbot: ingested {report.new} new, {report.duplicates} duplicates, "
        f"{len(report.failed)} failed; posted {delivered} digests ({messages} messages) to "
        f"{len(results)} channels, {skipped} skipped, {failed} failed; archive in {archive}"
    )


__all__ = ["Service", "resolve_port", "run", "run_once", "summary_line"]
