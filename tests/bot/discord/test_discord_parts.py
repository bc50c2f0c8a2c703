"""Discord digests part by part: what resumable delivery builds on. The bot posts each part
with a nonce of (channel, delivery, part) and ``enforce_nonce``, so sending a part again
returns the message Discord already created; a webhook has no nonce, so it posts again."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.delivery import PartSender, VerifyingSender
from bot.senders.discord import (
    NONCE_LENGTH,
    DiscordBotSender,
    DiscordSender,
    DiscordWebhookSender,
    part_nonce,
)
from bot.types import Target
from tests.bot.discord.conftest import make_digest, story, twenty_story_digest
from tests.fakes.discord_api import FakeDiscordApi

CHANNEL = Target(name="desk", platform="discord", channel_id="1400000000000000042")
OTHER = Target(name="beat", platform="discord", channel_id="1400000000000000043")
HOOK_ID = 1300000000000000001
HOOK = Target(name="hook", platform="discord",
              webhook=FakeDiscordApi.webhook_url(HOOK_ID, "hook-token"))




@pytest.fixture
def bot_sender(client: discord.Client) -> DiscordBotSender:
    return DiscordBotSender(client, timeout=20, min_interval=0)


@pytest.fixture
def webhook_sender(api: FakeDiscordApi, session: aiohttp.ClientSession) -> DiscordWebhookSender:
    return DiscordWebhookSender(session, api_url=api.api_url, timeout=20, min_interval=0)


def test_part_nonce_is_stable_short_and_distinct() -> None:
    nonce = part_nonce(CHANNEL, "7:0")
    assert nonce == part_nonce(CHANNEL, "7:0")  # the same on every attempt and restart
    assert len(nonce) <= NONCE_LENGTH and nonce.isascii() and nonce.isalnum()
    others = {part_nonce(CHANNEL, "7:1"), part_nonce(CHANNEL, "70:"),
              part_nonce(CHANNEL, "8:0"), part_nonce(OTHER, "7:0")}
    assert nonce not in others and len(others) == 4


async def test_bot_parts_are_posted_with_an_enforced_nonce(
    api: FakeDiscordApi, bot_sender: DiscordBotSender
) -> None:
    parts = bot_sender.parts(CHANNEL, twenty_story_digest())
    assert len(parts) > 1
    ids = [await bot_sender.send_part(CHANNEL, part, ref=f"3:{i}")
           for i, part in enumerate(parts)]
    assert ids == [m.id for m in api.channel_messages(CHANNEL.channel_id)]
    bodies = [r.body for r in api.requests_to("channel")]
    assert [b["nonce"] for b in bodies] == [part_nonce(CHANNEL, f"3:{i}")
                                            for i in range(len(parts))]
    assert all(b["enforce_nonce"] is True for b in bodies)
    assert all(b["allowed_mentions"] == {"parse": []} for b in bodies)


async def test_bot_part_sent_again_is_not_posted_again(
    api: FakeDiscordApi, bot_sender: DiscordBotSender
) -> None:
    [part] = bot_sender.parts(CHANNEL, make_digest((story(1),)))
    first = await bot_sender.send_part(CHANNEL, part, ref="5:0")
    again = await bot_sender.send_part(CHANNEL, part, ref="5:0")
    assert first == again
    assert [m.id for m in api.channel_messages()] == [first]
    assert [r.status for r in api.requests_to("channel")] == [200, 200]


async def test_same_part_in_another_channel_is_its_own_message(
    api: FakeDiscordApi, bot_sender: DiscordBotSender
) -> None:
    """Discord dedupes a nonce per author across channels: the channel is in the nonce."""
    [part] = bot_sender.parts(CHANNEL, make_digest((story(1),)))
    first = await bot_sender.send_part(CHANNEL, part, ref="5:0")
    second = await bot_sender.send_part(OTHER, part, ref="5:0")
    assert first != second
    assert [m.target for m in api.channel_messages()] == [CHANNEL.channel_id, OTHER.channel_id]


async def test_bot_lost_answer_is_retried_without_a_duplicate(
    api: FakeDiscordApi, bot_sender: DiscordBotSender
) -> None:
    """Discord created the message but its answer was a 500: discord.py retries the same
    request (same nonce) and gets the message that exists."""
    api.lose_answer_next(1, status=500, route="channel")
    [part] = bot_sender.parts(CHANNEL, make_digest((story(1),)))
    message_id = await bot_sender.send_part(CHANNEL, part, ref="9:0")
    assert [r.status for r in api.requests_to("channel")] == [500, 200]
    assert [m.id for m in api.channel_messages()] == [message_id]


async def test_webhook_lost_answer_posts_twice(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    """The documented limit of webhooks: no nonce, so a retried post is a second message."""
    api.lose_answer_next(1, status=500, route="webhook")
    [part] = webhook_sender.parts(HOOK, make_digest((story(1),)))
    message_id = await webhook_sender.send_part(HOOK, part, ref="9:0")
    messages = api.webhook_messages(HOOK_ID)
    assert len(messages) == 2 and messages[1].id == message_id
    assert all("nonce" not in r.body for r in api.requests_to("webhook"))


async def test_part_deleted_before_it_is_sent_again_is_not_reposted(
    api: FakeDiscordApi, bot_sender: DiscordBotSender
) -> None:
    """Discord answers 404 Unknown Message to a nonce whose message was deleted: the part
    did reach the channel once, so it counts as sent (not a permanent failure)."""
    [part] = bot_sender.parts(CHANNEL, make_digest((story(1),)))
    first = await bot_sender.send_part(CHANNEL, part, ref="4:0")
    api.delete_message(first)
    again = await bot_sender.send_part(CHANNEL, part, ref="4:0")
    assert again == f"deleted:{part_nonce(CHANNEL, '4:0')}"
    assert api.channel_messages() == []
    assert [r.status for r in api.requests_to("channel")] == [200, 404]


async def test_discord_sender_sends_parts_through_webhook_or_bot(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender, bot_sender: DiscordBotSender
) -> None:
    both = DiscordSender(webhook_sender, bot_sender)
    assert isinstance(both, PartSender)
    assert not isinstance(both, VerifyingSender)  # Discord's dedupe is the nonce, no lookup
    digest = make_digest((story(1),))
    [hook_part] = both.parts(HOOK, digest)
    [bot_part] = both.parts(CHANNEL, digest)
    await both.send_part(HOOK, hook_part, ref="1:0")
    await both.send_part(CHANNEL, bot_part, ref="2:0")
    assert [m.route for m in api.messages] == ["webhook", "channel"]
