"""With the database down, a command's answer says so in one short line: no host, port,
database name or driver text in the chat, no ``Usage:`` line; the real error is logged at
ERROR on the bot's side. Real signed requests to an app whose store points at a PostgreSQL
port where nothing listens."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.commands import STORE_UNAVAILABLE
from digests.settings import Secrets
from digests.store import Store
from digests.store.db import create_engine, parse_url
from tests.bot.slack.conftest import (
    BOT_TOKEN,
    CONFIG_CHANNEL,
    NOW,
    SIGNING_SECRET,
    SlashClient,
    make_settings,
)
from tests.bot.slack.test_slack_feeds import answer, slash_for
from tests.fakes.slack_api import FakeSlackApi

DEAD_URL = "postgresql+psycopg://postgres@127.0.0.1:9/audit_db"


@pytest.fixture
async def down(tmp_path: Path, api: FakeSlackApi) -> AsyncIterator[SlashClient]:
    dead = Store(create_engine(parse_url(DEAD_URL)))
    app = App(
        settings=make_settings(tmp_path / "unused.db"),
        secrets=Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET),
        store=dead,
        clock=lambda: NOW,
    )
    try:
        async for client in slash_for(app, api):
            yield client
    finally:
        dead.close()


@pytest.mark.parametrize(
    "text",
    [
        "digest security",
        "search border",
        "ask How many people were deported?",
        "subscribe security weekdays 09:30",
        "unsubscribe security",
        "subscriptions",
        "feeds",
        "feeds remove https://feeds.example.org/gone.xml",
    ],
)
async def test_store_down_answers_one_short_line(
    down: SlashClient, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    caplog.set_level(logging.INFO)
    message = await answer(down, text)
    assert message["response_type"] == "ephemeral"
    assert message["text"] == STORE_UNAVAILABLE
    assert STORE_UNAVAILABLE == (
        "The news store is not available right now; try again in a minute.")
    logged = [r for r in caplog.records
              if r.name == "bot.commands" and r.levelno == logging.ERROR]
    assert len(logged) == 1
    line = logged[0].getMessage()
    assert "store is not available" in line
    assert "127.0.0.1" in line and "port 9" in line  # the real error, for the operator


async def test_store_down_digest_without_topic_in_a_configured_channel(
    down: SlashClient,
) -> None:
    message = await answer(down, "digest", channel=CONFIG_CHANNEL)
    assert message["text"] == STORE_UNAVAILABLE


async def test_bad_input_still_gets_its_usage_line(down: SlashClient) -> None:
    """Answers that need no store are unchanged."""
    message = await answer(down, "digest nosuchtopic")
    assert "unknown topic 'nosuchtopic'" in message["text"]
    assert "Usage: /news digest" in message["text"]
    assert "Topics:" in (await answer(down, "topics"))["text"]
