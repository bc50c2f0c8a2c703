"""Fixtures for delivery tests: an App on the shared ``store`` fixture (SQLite and
PostgreSQL), the Slack fake with history, and the senders wired as ``digestbot run`` does."""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.senders import Sender
from bot.senders.console import ConsoleSender
from bot.senders.registry import make_senders
from digests.settings import Secrets, Settings
from digests.store import Store, Subscription
from tests.bot.delivery.helpers import NOW, HistorySlackApi, settings_with

CHANNELS: dict[str, Any] = {
    "desk": {"platform": "slack", "channel": "C1", "topics": ["security"]},
    "console": {"platform": "console", "topics": ["security", "migration"]},
    "ops": {"platform": "console"},
}


@pytest.fixture
async def slack_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HistorySlackApi]:
    api = HistorySlackApi()
    await api.start()
    monkeypatch.setenv("SLACK_API_URL", api.api_url)
    yield api
    await api.stop()


@pytest.fixture
def console_out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def make_test_app(store: Store, tmp_path: Path) -> Callable[..., App]:
    def make(channels: dict[str, Any] | None = None, *, token: str | None = "xoxb-test",
             **extra: Any) -> App:
        extra.setdefault("archive_dir", str(tmp_path / "archive"))
        extra.setdefault("delivery", {"min_interval_seconds": 0})
        settings: Settings = settings_with(channels or CHANNELS, **extra)
        ticks = itertools.count()
        return App(settings=settings, secrets=Secrets(slack_bot_token=token), store=store,
                   clock=lambda: NOW + timedelta(milliseconds=next(ticks)))

    return make


@pytest.fixture
def app(make_test_app: Callable[..., App]) -> App:
    return make_test_app()


@pytest.fixture
def senders(app: App, slack_api: HistorySlackApi, console_out: io.StringIO) -> dict[str, Sender]:
    return make_senders(app, console=ConsoleSender(lambda: console_out))


@pytest.fixture
def sub(store: Store) -> Subscription:
    return store.add_subscription(Subscription(
        id=None, channel_key="desk", platform="slack", channel_id="C1", topic="security",
        schedule="daily 08:00", timezone="UTC", options={}, created_at=NOW,
    ))
