"""With the database down, Discord's answer is the same short line as Slack's (the grammar in
``bot.commands`` serves both): no database details, no ``Usage:`` line; the error is logged at
ERROR. The real bot and command tree against the fake Discord API, on an app whose store points
at a PostgreSQL port where nothing listens."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.commands import STORE_UNAVAILABLE
from digests.settings import Secrets
from digests.store import Store
from digests.store.db import create_engine, parse_url
from tests.bot.discord.conftest import BOT_TOKEN, NOW, Interactions, make_settings
from tests.fakes.discord_api import FakeDiscordApi


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    """Replaces conftest's ``app``: the same settings, a store that cannot connect."""
    dead = Store(create_engine(parse_url("postgresql+psycopg://postgres@127.0.0.1:9/audit_db")))
    yield App(settings=make_settings(tmp_path / "data" / "digestbot.db"),
              secrets=Secrets(discord_bot_token=BOT_TOKEN), store=dead, clock=lambda: NOW)
    dead.close()


@pytest.mark.parametrize(
    ("subcommand", "options"),
    [("digest", {"topic": "security"}), ("search", {"query": "border"}), ("subscriptions", {})],
)
async def test_store_down_answers_one_short_line(
    interactions: Interactions, api: FakeDiscordApi, caplog: pytest.LogCaptureFixture,
    subcommand: str, options: dict[str, str],
) -> None:
    caplog.set_level(logging.INFO)
    token = await interactions.run("news", subcommand, options)
    [message] = api.followups(token)
    assert message.content == STORE_UNAVAILABLE
    assert "127.0.0.1" not in message.content and "Usage" not in message.content
    errors = [r.getMessage() for r in caplog.records
              if r.name == "bot.commands" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "port 9" in errors[0]
