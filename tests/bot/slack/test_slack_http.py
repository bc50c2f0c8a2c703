"""Slash commands over real HTTP: signed as Slack signs them, answered via the fake response_url."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.slack_app import make_slack_app, socket_mode_handler
from digests.errors import DigestbotError
from digests.settings import PermissionSettings, Secrets
from tests.bot.slack.conftest import (
    BOT_TOKEN,
    CHANNEL,
    CONFIG_CHANNEL,
    SlashClient,
    open_app,
    serve,
)
from tests.fakes.slack_api import FakeSlackApi, block_kit_problem

INJECTED = ("<!channel", "<!here", "<@U123", "<http://evil")


def all_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def assert_inert(payload: dict[str, Any]) -> None:
    """No mention or foreign link from article text; the only ``<!`` is Slack's date token."""
    text = all_text(payload)
    for marker in INJECTED:
        assert marker not in text
    assert all(m.startswith("<!date^") for m in re.findall(r"<![^>]*", text))
    assert "<@" not in text


async def test_digest_is_posted_in_channel_with_blocks(slash: SlashClient) -> None:
    result = await slash.send("digest migration")
    assert result.status == 200
    assert result.seconds < 3
    [message] = await slash.followups(result)
    assert message["response_type"] == "in_channel"
    assert message["unfurl_links"] is False
    assert block_kit_problem(message) is None
    header = message["blocks"][0]
    assert header["type"] == "header"
    assert "Migration" in header["text"]["text"]
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 2  # the sample and the hostile article are two stories
    assert any("Noem" in s for s in sections)
    assert any("&lt;!channel&gt;" in s for s in sections)  # shown literally, pings no one
    assert_inert(message)


async def test_short_form_digest_command(slash: SlashClient) -> None:
    result = await slash.send("security", command="/digest")
    assert result.status == 200
    [message] = await slash.followups(result)
    assert message["response_type"] == "in_channel"
    assert "Security" in message["blocks"][0]["text"]["text"]


async def test_empty_digest_answers_only_the_asker(slash: SlashClient) -> None:
    result = await slash.send("digest drugs 30m")
    [message] = await slash.followups(result)
    assert message["response_type"] == "ephemeral"
    assert message["text"] == "There is no news for drugs in the last 30m."


async def test_digest_without_topic_in_unconfigured_channel_asks_which(
    slash: SlashClient,
) -> None:
    [message] = await slash.followups(await slash.send("digest"))
    assert message["response_type"] == "ephemeral"
    assert "Which topic?" in message["text"]
    assert "drugs, migration, security" in message["text"]


async def test_digest_without_topic_in_configured_channel_uses_its_topic(
    slash: SlashClient,
) -> None:
    [message] = await slash.followups(await slash.send("digest", channel=CONFIG_CHANNEL))
    assert message["response_type"] == "in_channel"
    assert "Security" in message["blocks"][0]["text"]["text"]


async def test_ask_answers_the_asker_with_sources(slash: SlashClient) -> None:
    result = await slash.send("ask How many people were deported?")
    assert result.status == 200
    [message] = await slash.followups(result)
    assert message["response_type"] == "ephemeral"
    assert "1,700 deportations" in message["text"]
    assert "[1] <file:" not in message["text"]  # only http(s) links become links
    assert "[1] Noem Cultivates Security Ties In Colombia Visit" in message["text"]


async def test_ask_with_no_answer_says_so(slash: SlashClient) -> None:
    [message] = await slash.followups(await slash.send("ask What is the capital of Peru?"))
    assert message["response_type"] == "ephemeral"
    assert message["text"] == "Nothing stored answers that question."


async def test_search_lists_hits_with_links_and_escapes_article_text(slash: SlashClient) -> None:
    [message] = await slash.followups(await slash.send("search deportations"))
    assert message["response_type"] == "ephemeral"
    assert "<https://news.example/hostile|Migrants cross border &lt;!channel&gt;" in (
        message["text"]
    )
    assert "&lt;http://evil|click&gt;" in message["text"]
    assert_inert(message)


async def test_topics_lists_each_topic_with_description(slash: SlashClient) -> None:
    [message] = await slash.followups(await slash.send("topics"))
    assert message["response_type"] == "ephemeral"
    for topic in ("security", "migration", "drugs"):
        assert f"\n{topic} - " in message["text"]


@pytest.mark.parametrize("text", ["frobnicate now", "", "   "])
async def test_unknown_or_empty_input_gets_help(slash: SlashClient, text: str) -> None:
    result = await slash.send(text)
    assert result.status == 200
    [message] = await slash.followups(result)
    assert message["response_type"] == "ephemeral"
    assert "/news digest [topic] [since]" in message["text"]
    assert "/news subscribe TOPIC" in message["text"]
    if text.strip():
        assert "Unknown command 'frobnicate'." in message["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("digest nosuchtopic", "unknown topic 'nosuchtopic'"),
        ("digest security 400d", "bad window '400d'"),
        ("digest security yesterday", "bad window 'yesterday'"),
        ("subscribe security at teatime", "bad schedule 'at teatime'"),
        ("subscribe", "subscribe needs a topic."),
        ("ask", "ask needs some words."),
    ],
)
async def test_malformed_input_gets_a_usage_line(
    slash: SlashClient, text: str, expected: str
) -> None:
    [message] = await slash.followups(await slash.send(text))
    assert message["response_type"] == "ephemeral"
    assert expected in message["text"]
    assert "Usage: /news" in message["text"]
    assert "Traceback" not in message["text"]


async def test_wrong_secret_is_rejected(slash: SlashClient, api: FakeSlackApi) -> None:
    result = await slash.send("topics", secret="not-the-secret")
    assert result.status == 401
    assert api.responses == []


async def test_stale_timestamp_is_rejected(slash: SlashClient, api: FakeSlackApi) -> None:
    result = await slash.send("topics", age=600)  # correctly signed, 10 minutes old
    assert result.status == 401
    assert api.responses == []


async def test_unsigned_request_is_rejected(slash: SlashClient) -> None:
    assert (await slash.send("topics", signed=False)).status == 401


async def test_healthz_shares_the_server(server: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{server}/healthz") as resp:
        assert resp.status == 200


# --- subscriptions ---------------------------------------------------------------------------


async def test_subscribe_round_trip_is_persisted(
    slash: SlashClient, db_path: Path, api: FakeSlackApi
) -> None:
    [done] = await slash.followups(await slash.send("subscribe security weekdays 09:30"))
    assert done["response_type"] == "in_channel"
    assert "subscribed to security: weekdays 09:30 (UTC)" in done["text"]
    [same] = await slash.followups(await slash.send("subscribe security weekdays 09:30"))
    assert same["response_type"] == "ephemeral"
    assert same["text"].startswith("This channel is already subscribed to security: weekdays "
                                   "09:30 (UTC); next digest ")
    [moved] = await slash.followups(await slash.send("subscribe security daily 07:00"))
    assert moved["text"].startswith("The security digest of this channel now comes daily 07:00 "
                                    "(UTC) (was weekdays 09:30)")
    [moved_back] = await slash.followups(await slash.send("subscribe security weekdays 09:30"))
    assert "now comes weekdays 09:30 (UTC) (was daily 07:00)" in moved_back["text"]

    other = open_app(db_path)  # a second process on the same database sees it
    try:
        [sub] = other.store.list_subscriptions(f"slack:{CHANNEL}")
    finally:
        other.close()
    assert (sub.topic, sub.schedule, sub.source, sub.created_by) == (
        "security", "weekdays 09:30", "chat", "U0ASKER")
    assert (sub.platform, sub.channel_id, sub.timezone) == ("slack", CHANNEL, "UTC")

    [listing] = await slash.followups(await slash.send("subscriptions"))
    assert listing["response_type"] == "ephemeral"
    assert "security - weekdays 09:30 (UTC, chat), next 2026-02-11 09:30 UTC" in listing["text"]

    [gone] = await slash.followups(await slash.send("unsubscribe security"))
    assert "no longer subscribed to security" in gone["text"]
    other = open_app(db_path)
    try:
        assert other.store.list_subscriptions(f"slack:{CHANNEL}") == []
    finally:
        other.close()
    [again] = await slash.followups(await slash.send("unsubscribe security"))
    assert "not subscribed to security" in again["text"]


async def test_default_schedule_is_daily_0800(slash: SlashClient) -> None:
    [done] = await slash.followups(await slash.send("subscribe migration"))
    assert "subscribed to migration: daily 08:00 (UTC)" in done["text"]
    assert "next digest 2026-02-12 08:00 UTC" in done["text"]


async def test_config_declared_subscriptions_are_listed(slash: SlashClient) -> None:
    [listing] = await slash.followups(await slash.send("subscriptions", channel=CONFIG_CHANNEL))
    assert "security - weekdays 08:00 (UTC, config)" in listing["text"]
    [refused] = await slash.followups(
        await slash.send("unsubscribe security", channel=CONFIG_CHANNEL))
    assert "declared in the config file" in refused["text"]


async def test_allow_list_keeps_others_from_subscribing(
    db_path: Path, api: FakeSlackApi
) -> None:
    app = open_app(db_path, permissions=PermissionSettings(slack_allowed_users=("U0ADMIN",)))
    try:
        async for base in serve(app, api):
            async with aiohttp.ClientSession() as session:
                client = SlashClient(f"{base}/slack/events", api, session)
                [denied] = await client.followups(await client.send("subscribe security"))
                assert "not allowed" in denied["text"]
                assert app.store.list_subscriptions(f"slack:{CHANNEL}") == []
                [ok] = await client.followups(
                    await client.send("subscribe security", user="U0ADMIN"))
                assert "now subscribed" in ok["text"]
                assert len(app.store.list_subscriptions(f"slack:{CHANNEL}")) == 1
    finally:
        app.close()


# --- construction ------------------------------------------------------------------------------


def test_what_each_mode_needs(db_path: Path) -> None:
    """HTTP mode needs the signing secret (a bot token is optional: answers go to
    response_url); Socket Mode needs the bot token."""
    app = open_app(db_path)
    try:
        app.secrets = Secrets(slack_signing_secret="x")
        assert make_slack_app(app) is not None
        with pytest.raises(DigestbotError, match="SLACK_BOT_TOKEN"):
            make_slack_app(app, socket_mode=True)
        app.secrets = Secrets(slack_bot_token=BOT_TOKEN)
        with pytest.raises(DigestbotError, match="SLACK_SIGNING_SECRET"):
            make_slack_app(app)
    finally:
        app.close()


async def test_socket_mode_handler_is_built_on_the_apps_client(
    db_path: Path, api: FakeSlackApi
) -> None:
    app = open_app(db_path)
    try:
        app.secrets = Secrets(slack_bot_token=BOT_TOKEN)  # no signing secret: Socket Mode only
        bolt = make_slack_app(app, socket_mode=True)
        handler = socket_mode_handler(bolt, "xapp-1-A0APP-test")
        assert handler.app_token == "xapp-1-A0APP-test"
        assert handler.client.web_client is bolt.client
        await handler.close_async()
        # its HTTP side can never verify a request
        async for base in serve(app, api, socket_mode=True):
            async with aiohttp.ClientSession() as session:
                client = SlashClient(f"{base}/slack/events", api, session)
                assert (await client.send("topics", secret="")).status == 401
    finally:
        app.close()


async def test_ack_comes_before_slow_work(slash: SlashClient, db_path: Path) -> None:
    """The store is locked by another writer: Slack still gets its 200 at once, the answer
    follows when the work is done."""
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = await slash.send("subscribe security")
        assert result.status == 200
        assert result.seconds < 1.5
        await asyncio.sleep(0.5)
        assert slash.api.responses_to(result.key) == []  # still waiting for the store
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    [done] = await slash.followups(result)
    assert "now subscribed to security" in done["text"]


@pytest.mark.parametrize(("sent", "shown"), [
    ("search deportations &amp; arrests", "deportations &amp; arrests"),
    ("search &lt;b&gt;deportations&lt;/b&gt;", "&lt;b&gt;deportations&lt;/b&gt;"),
    ("search <https://news.example/x|news.example/x> deportations",
     "https://news.example/x deportations"),
])
async def test_slack_escaping_of_the_typed_text_is_undone(
    slash: SlashClient, sent: str, shown: str
) -> None:
    """Slack sends ``AT&T`` as ``AT&amp;T`` and wraps links it recognises: the command reads
    what the user typed (escaped once again only in the reply)."""
    [message] = await slash.followups(await slash.send(sent))
    assert f"'{shown}'" in message["text"], message["text"][:200]
    assert "&amp;amp;" not in message["text"] and "&amp;lt;" not in message["text"]


async def test_digest_with_an_escaped_ampersand_names_the_topic_as_typed(
    slash: SlashClient,
) -> None:
    [message] = await slash.followups(await slash.send("digest security&amp;"))
    assert "unknown topic 'security&amp;'" in message["text"]


@pytest.mark.parametrize(("schedule", "every"), [
    ("every 10s", "10 s"), ("every 1m", "1 min"), ("* * * * *", "1 min"),
    ("*/5 8 * * *", "5 min"),
])
async def test_chat_cannot_subscribe_a_channel_more_often_than_every_15_minutes(
    slash: SlashClient, app: App, schedule: str, every: str
) -> None:
    [message] = await slash.followups(await slash.send(f"subscribe drugs {schedule}"))
    assert message["response_type"] == "ephemeral"
    assert f"posts every {every}: from chat, at most one digest every 15 min" in message["text"]
    assert app.store.list_subscriptions() == []
    [ok] = await slash.followups(await slash.send("subscribe drugs every 15m"))
    assert [s.schedule for s in app.store.list_subscriptions()] == ["every 15m"]
    assert ok["response_type"] == "in_channel"
