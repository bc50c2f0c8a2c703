"""Command registration: synced in setup_hook, globally or to DISCORD_GUILD_ID, and only when
the command tree changed (Discord allows 200 command creates a day per guild)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import App
from bot.discord_app import DigestBot, guild_id_from_env, make_discord_bot
from digests.errors import ConfigError
from tests.bot.discord.conftest import BOT_TOKEN, GUILD_ID
from tests.fakes.discord_api import FakeDiscordApi

SUBCOMMANDS = ["digest", "ask", "search", "topics", "subscribe", "unsubscribe",
               "subscriptions", "feeds", "help"]


async def login(app: App, api: FakeDiscordApi, state: Path, **env: str) -> DigestBot:
    bot = make_discord_bot(app, sync_state=state, api_url=api.api_url, env=env)
    await bot.login(BOT_TOKEN)
    return bot


async def test_first_start_syncs_the_news_group_and_digest(
    app: App, api: FakeDiscordApi, tmp_path: Path
) -> None:
    bot = await login(app, api, tmp_path / "sync.json")
    await bot.close()
    [sync] = api.syncs
    assert sync.path == f"/applications/{api.application_id}/commands"  # global
    assert sync.authorization == f"Bot {BOT_TOKEN}"
    commands = {c["name"]: c for c in sync.body}
    assert sorted(commands) == ["digest", "news"]
    news = commands["news"]
    assert [o["name"] for o in news["options"]] == SUBCOMMANDS
    assert all(o["type"] == 1 for o in news["options"])  # subcommands
    by_name = {o["name"]: o for o in news["options"]}
    for name in ("digest", "subscribe", "unsubscribe"):
        topic = next(o for o in by_name[name]["options"] if o["name"] == "topic")
        assert topic["autocomplete"] is True
    assert [o["name"] for o in by_name["ask"]["options"]] == ["question"]
    assert by_name["ask"]["options"][0]["required"] is True
    short = commands["digest"]
    assert [o["name"] for o in short["options"]] == ["topic", "since"]
    state = json.loads((tmp_path / "sync.json").read_text())
    assert list(state) == [f"{api.application_id}:global"]


async def test_unchanged_commands_are_not_synced_again(
    app: App, api: FakeDiscordApi, tmp_path: Path
) -> None:
    for _ in range(3):
        bot = await login(app, api, tmp_path / "sync.json")
        assert bot.tree.get_command("news") is not None  # the cog is there every time
        await bot.close()
    assert len(api.syncs) == 1
    assert len(api.requests_to("user")) == 3


async def test_guild_id_syncs_to_that_guild(
    app: App, api: FakeDiscordApi, tmp_path: Path
) -> None:
    bot = await login(app, api, tmp_path / "sync.json", DISCORD_GUILD_ID=str(GUILD_ID))
    await bot.close()
    bot = await login(app, api, tmp_path / "sync.json", DISCORD_GUILD_ID=str(GUILD_ID))
    await bot.close()
    [sync] = api.syncs
    assert sync.path == f"/applications/{api.application_id}/guilds/{GUILD_ID}/commands"
    assert sorted(c["name"] for c in sync.body) == ["digest", "news"]


async def test_changed_commands_are_synced(
    app: App, api: FakeDiscordApi, tmp_path: Path
) -> None:
    state = tmp_path / "sync.json"
    state.write_text(json.dumps({f"{api.application_id}:global": "an older tree"}))
    bot = await login(app, api, state)
    await bot.close()
    assert len(api.syncs) == 1
    assert json.loads(state.read_text())[f"{api.application_id}:global"] != "an older tree"


async def test_failed_sync_is_retried_next_start_and_bot_still_runs(
    app: App, api: FakeDiscordApi, tmp_path: Path
) -> None:
    state = tmp_path / "sync.json"
    api.error_next(403, code=50001, message="Missing Access", route="sync")
    bot = await login(app, api, state)
    assert bot.get_cog("NewsCog") is not None
    await bot.close()
    assert not state.exists()  # nothing recorded, so the next start tries again
    bot = await login(app, api, state)
    await bot.close()
    assert [r.status for r in api.requests_to("sync")] == [403, 200]


async def test_corrupt_state_file_means_sync(
    app: App, api: FakeDiscordApi, tmp_path: Path
) -> None:
    state = tmp_path / "sync.json"
    state.write_text("{not json")
    bot = await login(app, api, state)
    await bot.close()
    assert len(api.syncs) == 1
    assert json.loads(state.read_text())


def test_guild_id_from_env() -> None:
    assert guild_id_from_env({}) is None
    assert guild_id_from_env({"DISCORD_GUILD_ID": " 123 "}) == 123
    with pytest.raises(ConfigError) as caught:
        guild_id_from_env({"DISCORD_GUILD_ID": "my-server"})
    assert caught.value.problems == ["DISCORD_GUILD_ID: not a guild id (a number), got "
                                     "'my-server'"]


async def test_bad_token_is_a_login_failure(app: App, api: FakeDiscordApi,
                                            tmp_path: Path) -> None:
    import discord

    bot = make_discord_bot(app, sync_state=tmp_path / "s.json", api_url=api.api_url, env={})
    with pytest.raises(discord.LoginFailure):
        await bot.login("wrong-token")
    await bot.close()
    assert api.syncs == []
