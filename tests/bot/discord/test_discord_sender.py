"""The Discord senders against the fake Discord API: webhook mode and bot mode, over real HTTP
with discord.py's own clients pointed at the fake."""

from __future__ import annotations

import json
import re
import time

import aiohttp
import discord
import pytest
from discord.http import Route

from bot.senders.discord import (
    DiscordBotSender,
    DiscordSender,
    DiscordWebhookSender,
    WebhookAddress,
    api_url_from_env,
    use_api_url,
)
from bot.types import Target
from digests.errors import DeliveryError
from tests.bot.discord.conftest import (
    BOT_TOKEN,
    HOOK,
    HOOK_ID,
    MENTIONS,
    hostile_digest,
    make_digest,
    story,
    twenty_story_digest,
)
from tests.fakes.discord_api import FakeDiscordApi, embed_size, message_problems

CHANNEL = Target(name="discord:1400000000000000042", platform="discord",
                 channel_id="1400000000000000042")


@pytest.fixture
def webhook_sender(api: FakeDiscordApi, session: aiohttp.ClientSession) -> DiscordWebhookSender:
    return DiscordWebhookSender(session, api_url=api.api_url, timeout=10, min_interval=0)




def assert_within_limits(api: FakeDiscordApi) -> None:
    """Every request that posted a message: within every limit, and pinging no one."""
    posts = [r for r in api.requests if r.route in ("webhook", "channel", "followup")]
    assert posts
    for request in posts:
        body = request.body
        assert message_problems(body) == []
        assert body["allowed_mentions"] == {"parse": []}
        assert sum(embed_size(e) for e in body.get("embeds", [])) <= 6000


# --- webhook mode ------------------------------------------------------------------------------


async def test_webhook_digest_is_posted_as_embeds(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    digest = make_digest((story(1), story(2)))
    ids = await webhook_sender.send(HOOK, digest)
    [message] = api.webhook_messages(HOOK_ID)
    assert ids == [message.id]
    [request] = api.requests_to("webhook")
    assert request.path == f"/webhooks/{HOOK_ID}/hook-token"  # re-based onto the fake
    assert request.query["wait"] in ("1", "true")
    assert request.authorization is None  # no bot token in webhook mode
    assert "Migration — last 24h" in message.content
    first, second = message.embeds
    assert first["title"] == "Story 01: ministers meet over border plans"
    assert first["url"] == "https://news.example/story/1"
    assert first["color"] == 0x1F8B4C
    assert first["footer"]["text"] == "migration · last 24h"
    assert first["fields"][0]["name"] == "Sources (2)"
    assert "[Outlet 1](https://src1.example/1)" in first["fields"][0]["value"]
    assert first["timestamp"].startswith("2026-02-11T08:00:00")
    assert second["title"].startswith("Story 02")
    assert_within_limits(api)


async def test_twenty_stories_split_whole_and_in_order(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    digest = twenty_story_digest()
    ids = await webhook_sender.send(HOOK, digest)
    messages = api.webhook_messages()
    assert len(messages) > 1
    assert ids == [m.id for m in messages]
    assert len(set(ids)) == len(ids)
    titles = [e["title"] for m in messages for e in m.embeds]
    assert titles == [f"Story {n:02d}: ministers meet over border plans" for n in range(1, 21)]
    for m in messages:  # a story is never cut: its summary is whole, in its one embed
        for embed in m.embeds:
            number = int(embed["title"][6:8])
            assert embed["description"].split() == [f"s{number}w{i}" for i in range(180)]
    for number, m in enumerate(messages, 1):
        assert f"({number}/{len(messages)})" in m.content.splitlines()[0]
    assert_within_limits(api)


async def test_hostile_text_pings_no_one_and_is_escaped(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    await webhook_sender.send(HOOK, hostile_digest())
    [request] = api.requests_to("webhook")
    assert request.body["allowed_mentions"] == {"parse": []}
    text = json.dumps(request.body, ensure_ascii=False)
    for mention in MENTIONS:
        assert mention.lower() not in text.lower()
    [embed] = request.body["embeds"]
    assert "\\*\\*bold\\*\\*" in embed["title"]  # markdown shown literally
    assert "\\[click\\]" in embed["title"]  # no masked link from feed text
    assert "\\`code\\`" in embed["description"]
    assert "\\|\\|spoiler\\|\\|" in embed["description"]
    assert re.search(r"@\u200beveryone", embed["title"])


async def test_rate_limited_post_is_retried_and_appears_once(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    api.rate_limit_next(1, retry_after=0.3, route="webhook")
    started = time.monotonic()
    ids = await webhook_sender.send(HOOK, make_digest((story(1),)))
    waited = time.monotonic() - started
    statuses = [r.status for r in api.requests_to("webhook")]
    assert statuses == [429, 200]
    assert len(api.webhook_messages()) == 1
    assert ids == [api.webhook_messages()[0].id]
    assert waited >= 0.3  # retry_after was honoured


async def test_429_without_via_is_retried_too(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    """discord.py takes a 429 without ``Via`` for a Cloudflare ban and gives up; a server
    that is not Discord leaves ``Via`` out, and its ``retry_after`` is honoured all the same."""
    api.rate_limit_next(1, retry_after=0.3, route="webhook", via=False)
    started = time.monotonic()
    ids = await webhook_sender.send(HOOK, make_digest((story(1),)))
    assert time.monotonic() - started >= 0.3
    assert [r.status for r in api.requests_to("webhook")] == [429, 200]
    assert ids == [m.id for m in api.webhook_messages()] and len(ids) == 1


async def test_429_that_gives_no_wait_is_a_transient_error(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    """No ``retry_after`` and no rate-limit headers (a ban, say): not hammered, sent later."""
    api.rate_limit_next(1, route="webhook", via=False, in_json=False, in_headers=False)
    with pytest.raises(DeliveryError) as caught:
        await webhook_sender.send(HOOK, make_digest((story(1),)))
    assert caught.value.permanent is False
    assert caught.value.reason == "HTTP 429 You are being rate limited."
    assert [r.status for r in api.requests_to("webhook")] == [429]
    assert api.webhook_messages() == []


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [(404, 10015, "Unknown Webhook"), (401, 50027, "Invalid Webhook Token"),
     (403, 50013, "Missing Permissions")],
)
async def test_permanent_webhook_errors(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender, status: int, code: int,
    message: str,
) -> None:
    api.error_next(status, code=code, message=message, route="webhook")
    with pytest.raises(DeliveryError) as caught:
        await webhook_sender.send(HOOK, make_digest((story(1),)))
    error = caught.value
    assert error.permanent is True
    assert error.platform == "discord"
    assert error.channel == "beat-webhook"
    assert str(status) in error.reason and message in error.reason
    assert "\n" not in str(error)


async def test_long_rate_limit_becomes_a_transient_error_at_once(
    api: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    """A wait longer than the message's budget is not slept: the delivery layer retries."""
    sender = DiscordWebhookSender(session, api_url=api.api_url, timeout=0.3)
    api.rate_limit_next(1, retry_after=30, route="webhook")
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        await sender.send(HOOK, make_digest((story(1),)))
    assert time.monotonic() - started < 0.3
    assert caught.value.permanent is False
    assert caught.value.reason == "rate limited for 30s"
    assert api.webhook_messages() == []


async def test_slow_answer_becomes_a_transient_timeout(
    api: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    sender = DiscordWebhookSender(session, api_url=api.api_url, timeout=0.3)
    api.delay = 0.8
    with pytest.raises(DeliveryError) as caught:
        await sender.send(HOOK, make_digest((story(1),)))
    assert caught.value.permanent is False
    assert "timed out" in caught.value.reason


async def test_failure_midway_stops_and_is_reported(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    """The webhook is deleted after the first message of a long digest: nothing more is sent."""
    api.error_next(404, code=10015, message="Unknown Webhook", route="webhook", after=1)
    with pytest.raises(DeliveryError) as caught:
        await webhook_sender.send(HOOK, twenty_story_digest())
    assert caught.value.permanent
    assert [r.status for r in api.requests_to("webhook")] == [200, 404]
    [posted] = api.webhook_messages()
    assert posted.embeds[0]["title"].startswith("Story 01")


async def test_notice_is_plain_escaped_text(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    message_id = await webhook_sender.notify(HOOK, "Feed https://f.example failing @everyone\n"
                                                   "**5** errors in a row")
    [message] = api.webhook_messages()
    assert message.id == message_id
    assert message.embeds == []
    assert "@everyone" not in message.content
    assert "\\*\\*5\\*\\* errors" in message.content.splitlines()[1]
    assert api.requests_to("webhook")[0].body["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://discord.com/api/webhooks/123/abc", WebhookAddress(123, "abc")),
        ("https://discord.com/api/v10/webhooks/123/a.b-c_d/", WebhookAddress(123, "a.b-c_d")),
        ("https://ptb.discordapp.com/api/webhooks/9/t?thread_id=77", WebhookAddress(9, "t", 77)),
    ],
)
def test_webhook_urls_are_parsed(url: str, expected: WebhookAddress) -> None:
    assert WebhookAddress.parse(url) == expected


@pytest.mark.parametrize(
    "url", ["", "https://discord.com/api/channels/1/messages", "ftp://discord.com/api/webhooks/1/x",
            "https://discord.com/api/webhooks/abc/def", "not a url"],
)
def test_bad_webhook_url_is_a_permanent_error(url: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        WebhookAddress.parse(url, channel="beat")
    assert caught.value.permanent
    assert "not a Discord webhook URL" in caught.value.reason


async def test_webhook_thread_id_is_passed_on(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    target = Target(name="t", platform="discord", webhook=f"{HOOK.webhook}?thread_id=555")
    await webhook_sender.send(target, make_digest((story(1),)))
    [request] = api.requests_to("webhook")
    assert request.query["thread_id"] == "555"


def test_api_url_comes_from_the_environment(restore_route_base: None) -> None:
    assert api_url_from_env({}) == "https://discord.com/api/v10"
    assert api_url_from_env({"DISCORD_API_URL": "http://proxy/api/v10"}) == "http://proxy/api/v10"
    assert use_api_url("http://proxy.local/api/v10/") == "http://proxy.local/api/v10"
    assert Route("GET", "/users/@me").url == "http://proxy.local/api/v10/users/@me"


# --- bot mode ----------------------------------------------------------------------------------


async def test_bot_sender_posts_to_the_channel(
    api: FakeDiscordApi, client: discord.Client
) -> None:
    ids = await DiscordBotSender(client, min_interval=0).send(CHANNEL, twenty_story_digest())
    messages = api.channel_messages("1400000000000000042")
    assert ids == [m.id for m in messages]
    assert len(messages) > 1
    requests = api.requests_to("channel")
    assert all(r.authorization == f"Bot {BOT_TOKEN}" for r in requests)
    assert [e["title"][:8] for m in messages for e in m.embeds] == [
        f"Story {n:02d}" for n in range(1, 21)]
    assert_within_limits(api)


async def test_bot_sender_retries_a_rate_limit_once(
    api: FakeDiscordApi, client: discord.Client
) -> None:
    api.rate_limit_next(1, retry_after=0.2, route="channel")
    ids = await DiscordBotSender(client, min_interval=0).send(CHANNEL, hostile_digest())
    assert [r.status for r in api.requests_to("channel")] == [429, 200]
    assert len(api.channel_messages()) == 1 and len(ids) == 1
    assert_within_limits(api)


async def test_bot_sender_unknown_channel_is_permanent(
    api: FakeDiscordApi, client: discord.Client
) -> None:
    api.error_next(404, code=10003, message="Unknown Channel", route="channel")
    with pytest.raises(DeliveryError) as caught:
        await DiscordBotSender(client).send(CHANNEL, make_digest((story(1),)))
    assert caught.value.permanent
    assert "Unknown Channel" in caught.value.reason


async def test_bot_sender_needs_a_numeric_channel_id(client: discord.Client) -> None:
    with pytest.raises(DeliveryError) as caught:
        await DiscordBotSender(client).notify(
            Target(name="desk", platform="discord", channel_id="#general"), "hi")
    assert caught.value.permanent


async def test_discord_sender_picks_webhook_or_bot(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender, client: discord.Client
) -> None:
    both = DiscordSender(webhook_sender, DiscordBotSender(client))
    await both.notify(HOOK, "via webhook")
    await both.notify(CHANNEL, "via bot")
    assert [m.route for m in api.messages] == ["webhook", "channel"]
    with pytest.raises(DeliveryError) as caught:
        await DiscordSender(webhook_sender).notify(CHANNEL, "no bot")
    assert caught.value.permanent
    assert "DISCORD_BOT_TOKEN" in caught.value.reason
