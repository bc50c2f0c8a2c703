"""``/healthz`` and ``/metrics`` on a real aiohttp server, over a real store."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import Engine

from bot.app import App
from bot.metrics import Metrics
from bot.web import HealthState, make_web_app
from digests.settings import Secrets, Settings
from digests.store import Store
from digests.store.db import create_engine, parse_url

LAST_POLL = datetime(2026, 3, 2, 7, 59, tzinfo=UTC)



def _app(store: Store, tmp_path: Path) -> App:
    return App(settings=Settings(archive_dir=str(tmp_path / "archive")), secrets=Secrets(),
               store=store)


async def _client(
    app: App, metrics: Metrics, state: HealthState | None = None
) -> TestClient[web.Request, web.Application]:
    client: TestClient[web.Request, web.Application] = TestClient(
        TestServer(make_web_app(app, metrics=metrics, health_state=state, ping_timeout=2.0))
    )
    await client.start_server()
    return client


async def test_healthz_ok(store: Store, tmp_path: Path) -> None:
    state = HealthState(scheduler_alive=lambda: True, last_poll=lambda: LAST_POLL)
    client = await _client(_app(store, tmp_path), Metrics(), state)
    try:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "store": "ok", "scheduler": "running",
                                         "last_poll": "2026-03-02T07:59:00+00:00"}
    finally:
        await client.close()


async def test_healthz_503_when_database_server_is_dead(tmp_path: Path) -> None:
    # A store whose engine points at a port where nothing listens: the server is gone.
    dead = Store(create_engine(parse_url("postgresql+psycopg://postgres@127.0.0.1:9/gone")))
    client = await _client(_app(dead, tmp_path), Metrics())
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "unavailable" and body["scheduler"] == "stopped"
        assert body["last_poll"] is None
    finally:
        await client.close()
        dead.close()


@pytest.mark.postgres
async def test_healthz_503_when_database_is_dropped(pg_admin: Engine, tmp_path: Path) -> None:
    name = f"healthz_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = pg_admin.url.set(database=name).render_as_string(hide_password=False)
    store = Store.open(url)
    client = await _client(_app(store, tmp_path), Metrics())
    try:
        assert (await client.get("/healthz")).status == 200
        with pg_admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["store"] == "unreachable"
    finally:
        await client.close()
        store.close()
        with pg_admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_healthz_503_when_the_sqlite_file_is_deleted(tmp_path: Path) -> None:
    """A pooled SQLite connection keeps answering from a deleted file: the file is checked."""
    folder = tmp_path / "data"
    store = Store.open(f"sqlite:///{folder / 'bot.db'}")
    client = await _client(_app(store, tmp_path), Metrics())
    try:
        assert (await client.get("/healthz")).status == 200
        shutil.rmtree(folder)
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["store"] == "unreachable"
    finally:
        await client.close()
        store.close()


async def test_metrics_text(sqlite_store: Store, tmp_path: Path) -> None:
    metrics = Metrics()
    metrics.fetch("ok", 0.2)
    metrics.fetch("not_modified", 0.01)
    metrics.fetch("weird", 1.0)  # unknown outcomes count as errors
    metrics.ingested(7)
    metrics.delivered("slack", "delivered")
    metrics.command("discord", "digest", 0.3)
    metrics.polled(1_700_000_000)
    client = await _client(_app(sqlite_store, tmp_path), metrics)
    try:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    finally:
        await client.close()
    for line in (
        "digestbot_articles_ingested_total 7.0",
        'digestbot_feed_fetches_total{outcome="ok"} 1.0',
        'digestbot_feed_fetches_total{outcome="error"} 1.0',
        "digestbot_feed_fetch_seconds_count 3.0",
        'digestbot_digests_delivered_total{outcome="delivered",platform="slack"} 1.0',
        'digestbot_command_seconds_count{command="digest",platform="discord"} 1.0',
        "digestbot_last_poll_timestamp 1.7e+09",
    ):
        assert line in text, line


async def test_archive_pages_are_mounted(sqlite_store: Store, tmp_path: Path) -> None:
    client = await _client(_app(sqlite_store, tmp_path), Metrics())
    try:
        response = await client.get("/")
        assert response.status == 200
        assert "text/html" in response.headers["Content-Type"]
    finally:
        await client.close()
