"""Fixtures for the Discord adapter: the fake Discord API, discord.py pointed at it (and put
back afterwards), digests built from plain values (a 20-story one, a hostile one), an App on a
SQLite file with two stored articles, the real bot logged in against the fake, and
``Interactions``, which sends interaction payloads through the bot's real command tree."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from bot.app import App, make_app
from bot.discord_app import DigestBot, make_discord_bot
from bot.senders.discord import use_api_url
from bot.types import Target
from digests.models import Article, Digest, DigestItem, SourceLink
from digests.pipeline import store_articles
from digests.settings import ChannelSettings, Secrets, Settings
from tests.fakes.discord_api import FakeDiscordApi

BOT_TOKEN = "bot-token-for-tests"
HOOK_ID = 1300000000000000001
HOOK = Target(name="beat-webhook", platform="discord",
              webhook=FakeDiscordApi.webhook_url(HOOK_ID, "hook-token"))
NOW = datetime(2026, 2, 11, 9, 0, tzinfo=UTC)
MENTIONS = ("@everyone", "@here", "<@123>", "<@&456>", "<@!123>")


def story(number: int, *, summary_words: int = 40, sources: int = 2) -> DigestItem:
    """Story ``number``: its title and summary carry the number so order can be checked."""
    summary = " ".join(f"s{number}w{i}" for i in range(summary_words))
    return DigestItem(
        story_id=number,
        title=f"Story {number:02d}: ministers meet over border plans",
        url=f"https://news.example/story/{number}",
        summary=summary,
        sources=tuple(
            SourceLink(title=f"Report {number}.{k}", url=f"https://src{k}.example/{number}",
                       source=f"Outlet {k}")
            for k in range(1, sources + 1)
        ),
        published=NOW - timedelta(hours=number),
    )


def make_digest(items: tuple[DigestItem, ...], *, topic: str = "migration") -> Digest:
    return Digest(topic=topic, since=NOW - timedelta(days=1), until=NOW, items=items,
                  window="24h", color="#1f8b4c", generated_at=NOW)


def twenty_story_digest() -> Digest:
    """20 stories with long summaries: too much for one message (6000 embed characters)."""
    return make_digest(tuple(story(n, summary_words=180, sources=12) for n in range(1, 21)))


def hostile_digest() -> Digest:
    """Article text that tries to ping everyone, users and roles, and to inject markdown."""
    item = DigestItem(
        story_id=1,
        title="Alert @everyone <@123> **bold** [click](https://evil.example)",
        url="https://news.example/hostile",
        summary="Officials @here said <@&456> and <@!123> that `code` ~~gone~~ ||spoiler|| "
                "> quote # heading and @EVERYONE again.",
        sources=(SourceLink(title="@everyone", url="https://news.example/a", source="<@&456>"),),
        published=NOW - timedelta(hours=1),
    )
    return make_digest((item,), topic="security")


@pytest.fixture
def restore_route_base() -> Iterator[None]:
    """discord.py's API base is process-wide: put it back after each test."""
    saved = Route.BASE
    yield
    Route.BASE = saved


@pytest.fixture
async def api(restore_route_base: None) -> AsyncIterator[FakeDiscordApi]:
    async with FakeDiscordApi(bot_token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
async def client(api: FakeDiscordApi) -> AsyncIterator[discord.Client]:
    """A discord.Client logged in against the fake (``/users/@me``), no gateway."""
    use_api_url(api.api_url)
    bot = discord.Client(intents=discord.Intents.none())
    await bot.http.static_login(BOT_TOKEN)
    yield bot
    await bot.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


# --- an app with stored articles, and the bot logged in against the fake ------------------------

GUILD_ID = 1600000000000000001
CHANNEL_ID = 1400000000000000042
DESK_CHANNEL_ID = 1400000000000000077  # declared in the config for "security"
USER_ID = 1700000000000000001
MANAGE_CHANNELS = 1 << 4
SEND_MESSAGES = 1 << 11

ARTICLES = (
    Article(
        title="Troops shell city as war escalates @everyone",
        url="https://news.example/war",
        body="Heavy fighting between troops and insurgents continued on Monday. The military "
             "said missile strikes hit the city. Officials <@123> said the war had displaced "
             "thousands. <@&456> Defence ministers met to discuss the armed conflict.",
        source="Example Wire",
        published=NOW - timedelta(hours=2),
    ),
    Article(
        title="Migrants cross border @here **now**",
        url="https://news.example/border",
        body="Border patrol agents said migrants and asylum seekers crossed the border "
             "overnight. Deportation flights resumed on Monday, officials said. Migration "
             "officials said more deportations of migrants are planned.",
        source="Example News",
        published=NOW - timedelta(hours=3),
    ),
)


def make_settings(db: Path, **changes: Any) -> Settings:
    base = Settings(
        database=f"sqlite:///{db}",
        archive_dir=str(db.parent / "archive"),
        channels={
            "desk": ChannelSettings(platform="discord", channel=str(DESK_CHANNEL_ID),
                                    topics=("security",), schedule="weekdays 08:00"),
        },
    )
    return base.model_copy(update=changes)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    opened = make_app(make_settings(tmp_path / "data" / "digestbot.db"),
                      secrets=Secrets(discord_bot_token=BOT_TOKEN), clock=lambda: NOW)
    store_articles(opened.store, list(ARTICLES), opened.settings.topics, NOW)
    yield opened
    opened.close()


@pytest.fixture
async def bot(app: App, api: FakeDiscordApi, tmp_path: Path) -> AsyncIterator[DigestBot]:
    """The real bot, logged in against the fake (setup_hook ran: cog added, commands synced)."""
    digest_bot = make_discord_bot(app, sync_state=tmp_path / "sync.json", api_url=api.api_url,
                                  env={})
    await digest_bot.login(BOT_TOKEN)
    yield digest_bot
    await digest_bot.close()


@dataclass
class Interactions:
    """Builds interaction payloads shaped as Discord sends them and runs them through the
    bot's real command tree; the answers land in the fake API."""

    bot: DigestBot
    api: FakeDiscordApi
    _count: int = 0

    def payload(
        self,
        command: str,
        subcommand: str | None = None,
        options: dict[str, str] | None = None,
        *,
        kind: int = 2,
        focused: str | None = None,
        permissions: int = SEND_MESSAGES,
        channel_id: int = CHANNEL_ID,
        in_guild: bool = True,
    ) -> dict[str, Any]:
        """``kind`` 2: APPLICATION_COMMAND, 4: APPLICATION_COMMAND_AUTOCOMPLETE."""
        self._count += 1
        leaves: list[dict[str, Any]] = [
            {"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
            for k, v in (options or {}).items()
        ]
        data: dict[str, Any] = {"id": "1800000000000000001", "name": command, "type": 1}
        if subcommand is not None:
            data["options"] = [{"name": subcommand, "type": 1, "options": leaves}]
        else:
            data["options"] = leaves
        user = {"id": str(USER_ID), "username": "asker", "discriminator": "0",
                "global_name": "Asker", "avatar": None, "public_flags": 0}
        payload: dict[str, Any] = {
            "id": str(1900000000000000000 + self._count),
            "application_id": str(self.api.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "token": f"interaction-token-{self._count}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10485760,
            "app_permissions": str(SEND_MESSAGES | (1 << 14)),
        }
        if in_guild:
            data["guild_id"] = str(GUILD_ID)
            payload.update(
                guild_id=str(GUILD_ID),
                guild={"id": str(GUILD_ID), "locale": "en-US", "features": []},
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": str(GUILD_ID)},
                channel={"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID),
                         "name": "newsroom", "position": 1, "permission_overwrites": [],
                         "nsfw": False, "parent_id": None, "rate_limit_per_user": 0,
                         "topic": None, "last_message_id": None, "flags": 0},
                member={"user": user, "roles": [], "nick": None, "avatar": None,
                        "joined_at": "2025-01-01T00:00:00+00:00", "premium_since": None,
                        "deaf": False, "mute": False, "pending": False, "flags": 0,
                        "communication_disabled_until": None,
                        "permissions": str(permissions)},
            )
        else:
            payload.update(user=user, context=1,
                           authorizing_integration_owners={"1": str(USER_ID)},
                           channel={"id": str(channel_id), "type": 1, "recipients": [user],
                                    "flags": 0, "last_message_id": None})
        return payload

    async def run(self, command: str, subcommand: str | None = None,
                  options: dict[str, str] | None = None, **kw: Any) -> str:
        """Dispatch one interaction through the real tree; its token (to find the answers)."""
        payload = self.payload(command, subcommand, options, **kw)
        interaction = discord.Interaction(data=payload, state=self.bot._connection)  # type: ignore[arg-type]
        await self.bot.tree._call(interaction)
        return str(payload["token"])


@pytest.fixture
def interactions(bot: DigestBot, api: FakeDiscordApi) -> Interactions:
    return Interactions(bot, api)
