"""``/news feeds`` with its ``action``, ``url`` and ``name`` options, through the bot's real
command tree; feeds served by a local HTTP server, answers read from the fake Discord API."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from bot.app import App
from digests.render.discord import escape
from digests.settings import FetchSettings
from tests.bot.discord.conftest import MANAGE_CHANNELS, USER_ID, Interactions
from tests.fakes.discord_api import EPHEMERAL, FakeDiscordApi

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>'
    "<link>https://harbour.example/</link>"
    "<item><title>Dock workers strike over pay</title><link>https://harbour.example/1</link>"
    "<description>Dock workers went on strike on Monday, union officials said.</description>"
    "</item></channel></rss>"
)


def deferred_ephemeral(api: FakeDiscordApi, token: str) -> bool:
    [callback] = api.callbacks(token)
    data = callback.get("data") or {}
    assert isinstance(data, dict)
    return bool(int(data.get("flags") or 0) & EPHEMERAL)


@pytest.fixture
def feed_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, content_type="application/rss+xml")
    return httpserver.url_for("/feed.xml")


@pytest.fixture
def private_ok(app: App) -> App:
    """The feed server is on localhost: let chat-added feeds reach it."""
    app.settings = app.settings.model_copy(
        update={"fetch": FetchSettings(allow_private_addresses=True)})
    return app


async def test_add_posts_in_the_channel_and_stores_the_feed(
    interactions: Interactions, api: FakeDiscordApi, private_ok: App, feed_url: str
) -> None:
    token = await interactions.run("news", "feeds",
                                   {"action": "add", "url": feed_url, "name": "Harbour desk"},
                                   permissions=MANAGE_CHANNELS)
    assert deferred_ephemeral(api, token) is False
    [message] = api.followups(token)
    assert not message.ephemeral
    assert message.content == escape(f"Now following Harbour desk ({feed_url}): 1 new article.")
    state = private_ok.store.get_feed(feed_url)
    assert state is not None and state.added_by == f"discord:{USER_ID}"
    assert state.title == "Harbour desk"


async def test_url_alone_means_add(
    interactions: Interactions, api: FakeDiscordApi, private_ok: App, feed_url: str
) -> None:
    token = await interactions.run("news", "feeds", {"url": feed_url},
                                   permissions=MANAGE_CHANNELS)
    [message] = api.followups(token)
    assert "Now following Harbour Gazette" in message.content


async def test_add_needs_manage_channels(
    interactions: Interactions, api: FakeDiscordApi, private_ok: App, feed_url: str,
    httpserver: HTTPServer,
) -> None:
    token = await interactions.run("news", "feeds", {"action": "add", "url": feed_url})
    assert deferred_ephemeral(api, token) is True
    [message] = api.followups(token)
    assert message.ephemeral
    assert message.content == escape("You are not allowed to change the feeds this bot follows.")
    assert private_ok.store.list_feeds() == [] and httpserver.log == []


async def test_add_from_discord_refuses_a_private_address(
    interactions: Interactions, api: FakeDiscordApi, app: App, feed_url: str,
    httpserver: HTTPServer,
) -> None:
    token = await interactions.run("news", "feeds", {"action": "add", "url": feed_url},
                                   permissions=MANAGE_CHANNELS)
    [message] = api.followups(token)
    assert message.ephemeral  # nothing changed: only the asker sees why
    assert "refused: localhost resolves to non-public address" in message.content
    assert "nothing was added" in message.content
    assert app.store.list_feeds() == [] and httpserver.log == []


async def test_not_a_feed_is_one_line_and_adds_nothing(
    interactions: Interactions, api: FakeDiscordApi, private_ok: App, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/missing.xml").respond_with_data("no", status=404)
    url = httpserver.url_for("/missing.xml")
    token = await interactions.run("news", "feeds", {"action": "add", "url": url},
                                   permissions=MANAGE_CHANNELS)
    [message] = api.followups(token)
    assert message.ephemeral
    assert message.content == escape(
        f"Could not follow {url}: HTTP 404 Not Found (nothing was added).")
    assert private_ok.store.list_feeds() == []


async def test_list_then_remove(
    interactions: Interactions, api: FakeDiscordApi, private_ok: App, feed_url: str
) -> None:
    await interactions.run("news", "feeds", {"action": "add", "url": feed_url},
                           permissions=MANAGE_CHANNELS)
    token = await interactions.run("news", "feeds")  # no options: the list
    assert deferred_ephemeral(api, token) is True
    [listing] = api.followups(token)
    assert listing.ephemeral
    lines = listing.content.splitlines()
    assert lines[0] == "Feeds:"
    assert lines[1].startswith(escape(f"Harbour Gazette ({feed_url}) - last success"))

    token = await interactions.run("news", "feeds", {"action": "remove", "url": feed_url,
                                                     "name": "ignored"},
                                   permissions=MANAGE_CHANNELS)
    [gone] = api.followups(token)
    assert not gone.ephemeral
    assert gone.content == escape(f"No longer following Harbour Gazette ({feed_url}).")
    state = private_ok.store.get_feed(feed_url)
    assert state is not None and not state.added

    token = await interactions.run("news", "feeds", {"action": "list"})
    [empty] = api.followups(token)
    assert empty.content.startswith("No feeds are followed.")


async def test_remove_without_url_gets_the_usage(
    interactions: Interactions, api: FakeDiscordApi
) -> None:
    token = await interactions.run("news", "feeds", {"action": "remove"},
                                   permissions=MANAGE_CHANNELS)
    [message] = api.followups(token)
    assert message.ephemeral
    assert "feeds remove needs exactly one feed URL" in message.content


async def test_feeds_command_offers_action_url_and_name(
    api: FakeDiscordApi, interactions: Interactions
) -> None:
    [sync] = api.syncs
    news = next(c for c in sync.body if c["name"] == "news")
    feeds = next(o for o in news["options"] if o["name"] == "feeds")
    options = {o["name"]: o for o in feeds["options"]}
    assert list(options) == ["action", "url", "name"]
    assert [c["value"] for c in options["action"]["choices"]] == ["list", "add", "remove"]
    assert not any(o.get("required") for o in options.values())
