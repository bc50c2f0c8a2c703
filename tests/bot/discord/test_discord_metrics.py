"""Discord commands through the real app_commands tree are timed into ``command_seconds``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.discord_app import DigestBot, make_discord_bot
from bot.metrics import Metrics
from tests.bot.discord.conftest import BOT_TOKEN, Interactions
from tests.fakes.discord_api import FakeDiscordApi


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def timed_bot(
    app: App, api: FakeDiscordApi, tmp_path: Path, metrics: Metrics
) -> AsyncIterator[DigestBot]:
    digest_bot = make_discord_bot(
        app, sync_state=tmp_path / "sync.json", api_url=api.api_url, env={}, metrics=metrics
    )
    await digest_bot.login(BOT_TOKEN)
    yield digest_bot
    await digest_bot.close()


def answered(metrics: Metrics, command: str) -> float:
    labels = {"platform": "discord", "command": command}
    return metrics.registry.get_sample_value("digestbot_command_seconds_count", labels) or 0.0


async def test_app_commands_are_timed(
    timed_bot: DigestBot, api: FakeDiscordApi, metrics: Metrics
) -> None:
    interactions = Interactions(timed_bot, api)
    digest = await interactions.run("news", "digest", {"topic": "migration"})
    short = await interactions.run("digest", None, {"topic": "security"})
    await interactions.run("news", "topics")
    assert api.followups(digest) and api.followups(short)  # the commands were answered
    assert answered(metrics, "digest") == 2
    assert answered(metrics, "topics") == 1
    assert answered(metrics, "ask") == 0
    assert (
        b'digestbot_command_seconds_count{command="topics",platform="discord"} 1.0'
        in metrics.render()
    )
