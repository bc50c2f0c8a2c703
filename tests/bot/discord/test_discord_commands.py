"""Slash commands through the real app_commands tree and cog: interaction payloads shaped as
Discord sends them, answers asserted on the HTTP requests the fake Discord API received."""

from __future__ import annotations

import json

import discord
import pytest

from bot.app import App
from bot.discord_app import DigestBot, make_discord_bot, reply_messages, send_reply
from bot.types import Reply
from digests.models import SourceLink
from digests.settings import PermissionSettings
from tests.bot.discord.conftest import (
    BOT_TOKEN,
    CHANNEL_ID,
    DESK_CHANNEL_ID,
    MANAGE_CHANNELS,
    MENTIONS,
    Interactions,
    twenty_story_digest,
)
from tests.fakes.discord_api import EPHEMERAL, FakeDiscordApi, message_problems

DEFER = 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
AUTOCOMPLETE_RESULT = 8
SUPPRESS_EMBEDS = 4


def defer_of(api: FakeDiscordApi, token: str) -> dict[str, object]:
    [callback] = api.callbacks(token)
    assert callback["type"] == DEFER
    return callback


def deferred_ephemeral(api: FakeDiscordApi, token: str) -> bool:
    data = defer_of(api, token).get("data") or {}
    assert isinstance(data, dict)
    return bool(int(data.get("flags") or 0) & EPHEMERAL)


def original_deleted(api: FakeDiscordApi, token: str) -> bool:
    return any(r.method == "DELETE" and token in r.path for r in api.requests_to("original"))


def assert_safe(api: FakeDiscordApi, token: str) -> None:
    for message in api.followups(token):
        assert message.payload["allowed_mentions"] == {"parse": []}
        assert message_problems(message.payload) == []
        text = json.dumps(message.payload, ensure_ascii=False).lower()
        for mention in MENTIONS:
            assert mention.lower() not in text


async def test_news_digest_defers_publicly_then_posts_embeds(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "digest", {"topic": "migration"})
    assert deferred_ephemeral(api, token) is False
    [message] = api.followups(token)
    assert not message.ephemeral
    assert "Migration — last 24h" in message.content
    [embed] = message.embeds
    assert embed["title"] == "Migrants cross border @\u200bhere \\*\\*now\\*\\*"
    assert embed["url"] == "https://news.example/border"
    assert embed["footer"]["text"] == "migration · last 24h"
    assert not original_deleted(api, token)
    assert_safe(api, token)


async def test_digest_short_form_and_hostile_text(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("digest", None, {"topic": "security", "since": "7d"})
    assert deferred_ephemeral(api, token) is False
    [message] = api.followups(token)
    assert "Security — last 7d" in message.content
    assert message.embeds[0]["title"].startswith("Troops shell city as war escalates")
    assert_safe(api, token)


async def test_digest_without_topic_uses_the_configured_channel_topic(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "digest", {}, channel_id=DESK_CHANNEL_ID)
    [message] = api.followups(token)
    assert "Security — last 24h" in message.content


async def test_empty_digest_answers_only_the_asker(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "digest", {"topic": "drugs", "since": "30m"})
    assert deferred_ephemeral(api, token) is False  # a digest is expected to be public...
    assert original_deleted(api, token)  # ...so the public placeholder goes away
    [message] = api.followups(token)
    assert message.ephemeral
    assert message.content == "There is no news for drugs in the last 30m."


async def test_unknown_topic_is_a_one_line_ephemeral_error(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "digest", {"topic": "sports"})
    [message] = api.followups(token)
    assert message.ephemeral
    assert "unknown topic 'sports'" in message.content
    assert "Traceback" not in message.content


async def test_topics_is_ephemeral(interactions: Interactions, api: FakeDiscordApi) -> None:
    token = await interactions.run("news", "topics")
    assert deferred_ephemeral(api, token) is True
    [message] = api.followups(token)
    assert message.ephemeral
    lines = message.content.splitlines()
    assert lines[0] == "Topics:"
    assert [line.split(" ")[0] for line in lines[1:]] == ["drugs", "migration", "security"]


async def test_help_lists_every_command(interactions: Interactions, api: FakeDiscordApi) -> None:
    token = await interactions.run("news", "help")
    [message] = api.followups(token)
    assert message.ephemeral
    for name in ("digest", "ask", "search", "topics", "subscribe", "unsubscribe",
                 "subscriptions", "feeds"):
        assert f"/news {name}" in message.content
    assert "\\[topic\\]" in message.content  # brackets shown, not read as a link


async def test_search_answers_with_linked_sources_without_previews(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "search", {"query": "border migrants"})
    [message] = api.followups(token)
    assert message.ephemeral
    assert message.flags & SUPPRESS_EMBEDS
    assert "**Search**" in message.content
    assert "(https://news.example/border)" in message.content
    assert_safe(api, token)


async def test_ask_answers_from_stored_articles(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "ask", {"question": "Where did the fighting happen?"})
    [message] = api.followups(token)
    assert message.ephemeral
    lines = message.content.splitlines()
    assert lines[0] == "**Answer**"
    assert "fighting" in lines[1]
    assert lines[-1].startswith("\\[1\\] [Troops shell city")
    assert "(https://news.example/war)" in lines[-1]
    assert_safe(api, token)


async def test_subscribe_needs_manage_channels(
    interactions: Interactions, api: FakeDiscordApi, bot: DigestBot
) -> None:
    token = await interactions.run("news", "subscribe", {"topic": "security"})
    assert deferred_ephemeral(api, token) is True
    [message] = api.followups(token)
    assert message.ephemeral
    assert "not allowed" in message.content
    assert bot.app.store.list_subscriptions(f"discord:{CHANNEL_ID}") == []


async def test_subscribe_list_unsubscribe_with_manage_channels(
    interactions: Interactions, api: FakeDiscordApi, bot: DigestBot
) -> None:
    token = await interactions.run("news", "subscribe",
                                   {"topic": "migration", "schedule": "weekdays 09:30"},
                                   permissions=MANAGE_CHANNELS)
    assert deferred_ephemeral(api, token) is False
    [message] = api.followups(token)
    assert not message.ephemeral
    assert "now subscribed to migration" in message.content
    [sub] = bot.app.store.list_subscriptions(f"discord:{CHANNEL_ID}")
    assert (sub.topic, sub.platform, sub.channel_id) == ("migration", "discord", str(CHANNEL_ID))

    token = await interactions.run("news", "subscriptions")
    [listing] = api.followups(token)
    assert listing.ephemeral and "migration" in listing.content

    token = await interactions.run("news", "unsubscribe", {"topic": "migration"},
                                   permissions=MANAGE_CHANNELS)
    [done] = api.followups(token)
    assert not done.ephemeral and "no longer subscribed" in done.content
    assert bot.app.store.list_subscriptions(f"discord:{CHANNEL_ID}") == []


async def test_permission_can_be_relaxed_in_config(
    api: FakeDiscordApi, bot: DigestBot, interactions: Interactions
) -> None:
    relaxed = PermissionSettings(discord_require_manage_channels=False)
    bot.app.settings = bot.app.settings.model_copy(update={"permissions": relaxed})
    token = await interactions.run("news", "subscribe", {"topic": "drugs"})
    [message] = api.followups(token)
    assert "now subscribed to drugs" in message.content


async def test_topic_autocomplete_offers_configured_topics(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "digest", {"topic": "se"}, kind=4, focused="topic")
    [callback] = api.callbacks(token)
    assert callback["type"] == AUTOCOMPLETE_RESULT
    assert callback["data"]["choices"] == [{"name": "security", "value": "security"}]
    token = await interactions.run("news", "subscribe", {"topic": ""}, kind=4, focused="topic")
    [callback] = api.callbacks(token)
    assert [c["value"] for c in callback["data"]["choices"]] == ["drugs", "migration", "security"]
    assert api.followups() == []  # autocomplete never posts


async def test_dm_interaction_works_and_cannot_subscribe(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "subscribe", {"topic": "security"}, in_guild=False,
                                   permissions=MANAGE_CHANNELS)
    [message] = api.followups(token)
    assert message.ephemeral and "not allowed" in message.content


async def test_gateway_dispatch_path(interactions: Interactions, api: FakeDiscordApi,
                                     bot: DigestBot) -> None:
    """The same payload as the gateway delivers it: INTERACTION_CREATE -> tree -> cog."""
    payload = interactions.payload("news", "topics")
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await api.wait_for(lambda: len(api.followups(payload["token"])) == 1)
    assert api.followups(payload["token"])[0].content.startswith("Topics:")


async def test_commands_are_answered_quickly(interactions: Interactions,
                                            api: FakeDiscordApi) -> None:
    """The defer is the first request for each command (Discord's 3-second rule)."""
    token = await interactions.run("news", "digest", {"topic": "security"})
    mine = [r for r in api.requests if token in r.path]
    assert mine[0].route == "callback"
    assert mine[0].at - mine[-1].at < 3


def test_long_replies_split_on_lines_within_2000() -> None:
    lines = [f"line {i} " + "x" * 150 for i in range(40)]
    sources = tuple(SourceLink(title=f"T{i} @everyone", url=f"https://e.example/{i}")
                    for i in range(5))
    messages = reply_messages(Reply(text="\n".join(lines), title="Search", sources=sources))
    assert len(messages) > 1
    assert all(len(m) <= 2000 for m in messages)
    joined = "\n".join(messages).splitlines()
    assert joined[0] == "**Search**"
    assert [line.split(" ")[1] for line in joined[1:41]] == [str(i) for i in range(40)]
    assert joined[-1].startswith("\\[5\\] [T4 @\u200beveryone](https://e.example/4)")


async def test_bot_intents_are_minimal(app: App, api: FakeDiscordApi) -> None:
    digest_bot = make_discord_bot(app, api_url=api.api_url, env={})
    try:
        assert digest_bot.intents.guilds
        assert not digest_bot.intents.messages and not digest_bot.intents.members
        assert not digest_bot.intents.message_content
    finally:
        await digest_bot.close()


async def test_bot_logs_in_with_its_token(api: FakeDiscordApi, bot: DigestBot) -> None:
    [me] = api.requests_to("user")
    assert me.authorization == f"Bot {BOT_TOKEN}"
    assert bot.user is not None and bot.user.id == api.bot_user_id


async def test_long_digest_reply_is_split_into_public_followups(
    interactions: Interactions, api: FakeDiscordApi, bot: DigestBot
) -> None:
    payload = interactions.payload("news", "digest")
    interaction = discord.Interaction(data=payload, state=bot._connection)  # type: ignore[arg-type]
    await interaction.response.defer(ephemeral=False)
    digest = twenty_story_digest()
    await send_reply(interaction, Reply(text="", ephemeral=False, digest=digest),
                     deferred_ephemeral=False)
    messages = api.followups(payload["token"])
    assert len(messages) > 1
    assert not any(m.ephemeral for m in messages)
    titles = [e["title"][:8] for m in messages for e in m.embeds]
    assert titles == [f"Story {n:02d}" for n in range(1, 21)]
    assert_safe(api, payload["token"])


async def test_public_reply_after_ephemeral_defer_keeps_the_asker_slot_private(
    interactions: Interactions, api: FakeDiscordApi, bot: DigestBot
) -> None:
    payload = interactions.payload("news", "topics")
    interaction = discord.Interaction(data=payload, state=bot._connection)  # type: ignore[arg-type]
    await interaction.response.defer(ephemeral=True)
    await send_reply(interaction, Reply(text="Changed for everyone.", ephemeral=False),
                     deferred_ephemeral=True)
    first, second = api.followups(payload["token"])
    assert first.ephemeral and first.content == "Posted in the channel."
    assert not second.ephemeral and second.content == "Changed for everyone."


async def test_failed_followup_is_logged_not_raised(
    interactions: Interactions, api: FakeDiscordApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.error_next(404, code=10015, message="Unknown Webhook", route="followup")
    token = await interactions.run("news", "help")
    assert api.callbacks(token)  # the defer went out
    assert api.followups(token) == []
    assert "discord reply failed" in caplog.text
