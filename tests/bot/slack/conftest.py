"""Fixtures for the Slack adapter: a real App on a SQLite file with two stored articles (the
sample and a hostile one), the fake Slack Web API, and the bot's aiohttp server with the Slack
routes on a free port. ``SlashClient`` sends slash commands signed exactly as Slack does."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bot.app import App, make_app
from bot.metrics import Metrics
from bot.senders.slack import make_slack_client
from bot.slack_app import add_slack_routes, make_slack_app
from digests.models import Article
from digests.pipeline import store_articles
from digests.settings import ChannelSettings, Secrets, Settings
from digests.sources.files import read_file
from tests.fakes.slack_api import FakeSlackApi

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
CHANNEL = "C0TEST"
CONFIG_CHANNEL = "C0DESK"
NOW = datetime(2026, 2, 11, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]
SAMPLE_NAME = "noem-colombia-visit.txt"
SAMPLE = next(
    (p for p in (ROOT / "config" / "samples" / SAMPLE_NAME,
                 ROOT / ".." / "shared" / "samples" / SAMPLE_NAME) if p.exists()),
    ROOT / "config" / "samples" / SAMPLE_NAME,
)

HOSTILE = Article(
    title="Migrants cross border <!channel> <@U123>",
    url="https://news.example/hostile",
    body=(
        "Border patrol agents said migrants and asylum seekers crossed the border overnight. "
        "<!here> Deportation flights resumed on Monday, <http://evil|click> officials said. "
        "Migration officials <!channel> said more deportations of migrants are planned. "
        "Immigration enforcement <@U123> continued at the border."
    ),
    source="Example News",
    published=NOW - timedelta(hours=2),
)


def sample_articles() -> list[Article]:
    if not SAMPLE.exists():
        pytest.skip(f"sample article not found: {SAMPLE}")
    return [replace(a, published=NOW - timedelta(hours=1)) for a in read_file(SAMPLE)]


def make_settings(db: Path, **changes: Any) -> Settings:
    base = Settings(
        database=f"sqlite:///{db}",
        channels={
            "desk": ChannelSettings(platform="slack", channel=CONFIG_CHANNEL,
                                    topics=("security",), schedule="weekdays 08:00"),
        },
        delivery=Settings().delivery.model_copy(update={"min_interval_seconds": 0.05}),
    )
    return base.model_copy(update=changes)


def open_app(db: Path, **changes: Any) -> App:
    secrets = Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    return make_app(make_settings(db, **changes), secrets=secrets, clock=lambda: NOW)


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlashResult:
    status: int
    body: str
    seconds: float
    key: str  # the response_url key the follow-ups arrive under


@dataclass
class SlashClient:
    """Posts slash commands to the bot's ``/slack/events`` as Slack would."""

    url: str
    api: FakeSlackApi
    session: aiohttp.ClientSession
    _count: int = 0

    async def send(
        self,
        text: str,
        *,
        command: str = "/news",
        user: str = "U0ASKER",
        channel: str = CHANNEL,
        secret: str = SIGNING_SECRET,
        age: float = 0.0,
        signed: bool = True,
    ) -> SlashResult:
        self._count += 1
        key = f"r{self._count}"
        form = {
            "token": "legacy-verification-token",
            "team_id": "T0001",
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "newsroom",
            "user_id": user,
            "user_name": "asker",
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "response_url": self.api.response_url(key),
            "trigger_id": f"1337.42.{self._count}",
        }
        body = urlencode(form)
        timestamp = int(time.time() - age)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            headers["X-Slack-Request-Timestamp"] = str(timestamp)
            headers["X-Slack-Signature"] = sign(body, timestamp, secret)
        started = time.monotonic()
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            text_body = await resp.text()
            return SlashResult(resp.status, text_body, time.monotonic() - started, key)

    async def followups(self, result: SlashResult, n: int = 1) -> list[dict[str, Any]]:
        await self.api.wait_for(lambda: len(self.api.responses_to(result.key)) >= n)
        return self.api.responses_to(result.key)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "digestbot.db"


@pytest.fixture
def app(db_path: Path) -> Iterator[App]:
    app = open_app(db_path)
    store_articles(app.store, [*sample_articles(), HOSTILE], app.settings.topics, NOW)
    yield app
    app.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=BOT_TOKEN) as fake:
        yield fake


async def serve(
    app: App, api: FakeSlackApi, *, socket_mode: bool = False, metrics: Metrics | None = None
) -> AsyncIterator[str]:
    """The bot's HTTP server with the Slack routes (and a /healthz like the real one's)."""
    client = make_slack_client(BOT_TOKEN, base_url=api.api_url, backoff=0.05)
    bolt = make_slack_app(app, client=client, socket_mode=socket_mode, metrics=metrics)
    web_app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app.router.add_get("/healthz", healthz)
    add_slack_routes(web_app, bolt)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def server(app: App, api: FakeSlackApi) -> AsyncIterator[str]:
    async for base in serve(app, api):
        yield base


@pytest.fixture
async def slash(server: str, api: FakeSlackApi) -> AsyncIterator[SlashClient]:
    async with aiohttp.ClientSession() as session:
        yield SlashClient(f"{server}/slack/events", api, session)

