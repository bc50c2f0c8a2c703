"""``/news feeds``, ``/news feeds add URL [name]``, ``/news feeds remove URL`` over real signed
Slack requests, with feeds served by a local HTTP server and answers read from the fake
``response_url``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_httpserver import HTTPServer

from bot.app import App
from digests.settings import FetchSettings, PermissionSettings, SourceSettings
from digests.timewindow import parse_duration
from tests.bot.scheduling.test_poller import rss
from tests.bot.slack.conftest import NOW, SlashClient, open_app, serve
from tests.fakes.slack_api import FakeSlackApi

CONFIGURED = "https://feeds.example.org/configured.xml"


FEED = rss("Dock workers strike over pay", "Ferry timetable changes for spring",
           title="Harbour Gazette")


def serve_feed(httpserver: HTTPServer, path: str = "/feed.xml", body: bytes = FEED) -> str:
    """The feed at ``path`` on the local server; its URL."""
    httpserver.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
    return str(httpserver.url_for(path))


def opened(db_path: Path, *, private: bool = True, **changes: Any) -> App:
    """The Slack test app with one configured feed; ``private``: the local feed server on
    127.0.0.1 may be fetched (else the guard for chat-added feeds refuses it)."""
    return open_app(
        db_path,
        sources=(SourceSettings(url=CONFIGURED, name="Configured Wire"),),
        fetch=FetchSettings(allow_private_addresses=private),
        **changes,
    )


async def slash_for(app: App, api: FakeSlackApi) -> AsyncIterator[SlashClient]:
    async for base in serve(app, api):
        async with aiohttp.ClientSession() as session:
            yield SlashClient(f"{base}/slack/events", api, session)


@pytest.fixture
async def local_app(db_path: Path) -> AsyncIterator[App]:
    app = opened(db_path)
    yield app
    app.close()


@pytest.fixture
async def client(local_app: App, api: FakeSlackApi) -> AsyncIterator[SlashClient]:
    async for slash in slash_for(local_app, api):
        yield slash


async def answer(client: SlashClient, text: str, **kw: Any) -> dict[str, Any]:
    [message] = await client.followups(await client.send(text, **kw))
    return message


async def test_add_fetches_stores_and_announces_in_the_channel(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, content_type="application/rss+xml", headers={"ETag": '"v1"'})
    url = httpserver.url_for("/feed.xml")
    before = local_app.store.count_articles()

    # As Slack sends a link typed in a slash command: in angle brackets, with a label.
    message = await answer(client, f"feeds add <{url}|{url[7:]}> Harbour desk")
    assert message["response_type"] == "in_channel"
    assert message["text"] == f"Now following Harbour desk ({url}): 2 new articles."
    assert local_app.store.count_articles() == before + 2
    state = local_app.store.get_feed(url)
    assert state is not None and state.added
    assert (state.added_by, state.added_at, state.title) == ("slack:U0ASKER", NOW,
                                                             "Harbour desk")
    assert state.etag == '"v1"' and state.last_success == NOW
    assert state.next_poll == NOW + parse_duration(local_app.settings.poll.interval)


async def test_add_of_a_site_follows_the_feed_its_page_names(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    httpserver.expect_request("/").respond_with_data(
        '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
        'href="/feed.xml"></head><body>Harbour news</body></html>', content_type="text/html")
    site = httpserver.url_for("/")
    message = await answer(client, f"feeds add {site}")
    assert message["text"] == (
        f"Now following Harbour Gazette ({url}) (the feed {site} names): 2 new articles."
    )
    assert [f.url for f in local_app.store.list_feeds() if f.added] == [url]


async def test_add_twice_says_already_following(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    await answer(client, f"feeds add {url}")
    again = await answer(client, f"feeds add {url}/", user="U0OTHER")
    assert again["response_type"] == "ephemeral"
    assert again["text"] == f"Already following Harbour Gazette ({url}) (added by slack:U0ASKER)."
    configured = await answer(client, f"feeds add {CONFIGURED}")
    assert configured["text"] == (
        f"Already following Configured Wire ({CONFIGURED}): it is in the config file.")
    assert len(httpserver.log) == 1  # neither was fetched again


@pytest.mark.parametrize(
    ("path", "respond", "reason"),
    [
        ("/page.html", {"response_data": "<!doctype html><html><body>Hi</body></html>",
                        "content_type": "text/html"}, "HTML page, not a feed"),
        ("/missing.xml", {"response_data": "gone", "status": 404}, "HTTP 404 Not Found"),
    ],
)
async def test_add_of_something_that_is_not_a_feed_adds_nothing(
    client: SlashClient, local_app: App, httpserver: HTTPServer,
    path: str, respond: dict[str, Any], reason: str,
) -> None:
    httpserver.expect_request(path).respond_with_data(**respond)
    url = httpserver.url_for(path)
    message = await answer(client, f"feeds add {url}")
    assert message["response_type"] == "ephemeral"
    assert message["text"].startswith(f"Could not follow {url}: ")
    assert reason in message["text"] and message["text"].endswith("(nothing was added).")
    assert "\n" not in message["text"]
    assert local_app.store.get_feed(url) is None


async def test_add_from_chat_refuses_a_private_address(
    db_path: Path, api: FakeSlackApi, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)  # localhost: loopback
    literal = url.replace("localhost", "127.0.0.1")
    app = opened(db_path, private=False)
    try:
        async for client in slash_for(app, api):
            message = await answer(client, f"feeds add {url}")
            assert message["text"].startswith(
                f"Could not follow {url}: refused: localhost resolves to non-public address ")
            assert message["text"].endswith(
                "(set fetch.allow_private_addresses to allow) (nothing was added).")
            message = await answer(client, f"feeds add {literal}")
            assert message["text"] == (
                f"Could not follow {literal}: refused: 127.0.0.1 resolves to non-public address "
                "127.0.0.1 (set fetch.allow_private_addresses to allow) (nothing was added)."
            )
            linklocal = await answer(client, "feeds add http://169.254.169.254/latest/meta-data")
            assert "refused: 169.254.169.254 resolves to non-public address" in linklocal["text"]
        assert httpserver.log == []  # never requested
        assert app.store.list_feeds() == []
    finally:
        app.close()


async def test_add_and_remove_need_the_subscribe_permission(
    db_path: Path, api: FakeSlackApi, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    app = opened(db_path, permissions=PermissionSettings(slack_allowed_users=("U0ADMIN",)))
    try:
        async for client in slash_for(app, api):
            denied = await answer(client, f"feeds add {url}")
            assert denied["response_type"] == "ephemeral"
            assert denied["text"] == "You are not allowed to change the feeds this bot follows."
            assert app.store.get_feed(url) is None and httpserver.log == []
            ok = await answer(client, f"feeds add {url}", user="U0ADMIN")
            assert ok["text"].startswith("Now following")
            denied = await answer(client, f"feeds remove {url}")
            assert "not allowed" in denied["text"]
            state = app.store.get_feed(url)
            assert state is not None and state.added
    finally:
        app.close()


async def test_remove_an_added_a_configured_and_an_unknown_feed(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    await answer(client, f"feeds add {url}")

    gone = await answer(client, f"feeds remove <{url}>")
    assert gone["response_type"] == "in_channel"
    assert gone["text"] == f"No longer following Harbour Gazette ({url})."
    state = local_app.store.get_feed(url)
    assert state is not None and not state.added and state.etag is None  # the row stays

    again = await answer(client, f"feeds remove {url}")
    assert again["response_type"] == "ephemeral"
    assert again["text"].startswith(f"{url} is not followed.")

    configured = await answer(client, f"feeds remove {CONFIGURED}")
    assert configured["response_type"] == "ephemeral"
    assert configured["text"] == (
        f"Configured Wire ({CONFIGURED}) is in the config file; remove it there.")


async def test_listing_shows_added_feeds_and_hides_feeds_not_followed(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    other = serve_feed(httpserver, "/other.xml", rss("Lighthouse restored", title="Other"))
    await answer(client, f"feeds add {url} Harbour desk")
    await answer(client, f"feeds add {other}")
    await answer(client, f"feeds remove {other}")

    listing = await answer(client, "feeds")
    assert listing["response_type"] == "ephemeral"
    lines = listing["text"].splitlines()
    assert lines[0] == "Feeds:"
    assert lines[1] == "Configured Wire - not polled yet"
    assert lines[2].startswith(f"Harbour desk ({url}) - last success 2026-02-11 09:00 UTC")
    assert lines[2].endswith("; added by slack:U0ASKER")
    assert len(lines) == 3  # the removed feed's row is kept but not listed
    assert local_app.store.get_feed(other) is not None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://files.example/feed.xml", "only http:// and https:// feed URLs"),
        ("javascript:alert(1)", "only http:// and https:// feed URLs"),
        ("https://", "URL without a host"),
        ("https://x.example/" + "a" * 2000, "URL too long (2018 characters; at most 2,000)"),
        ("http://x.example:99999/feed", "not a valid URL"),
    ],
)
async def test_bad_urls_are_refused_before_any_fetch(
    client: SlashClient, local_app: App, url: str, reason: str
) -> None:
    message = await answer(client, f"feeds add {url}")
    assert message["response_type"] == "ephemeral"
    assert reason in message["text"]
    assert "Usage: /news feeds [add URL [name] | remove URL]" in message["text"]
    assert local_app.store.list_feeds() == []


def serve_page(httpserver: HTTPServer, *feeds: str, oneshot: bool = False) -> str:
    """A web page at ``/`` announcing ``feeds`` (paths); its URL."""
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{f}">'
                    for f in feeds)
    expect = httpserver.expect_oneshot_request if oneshot else httpserver.expect_request
    expect("/").respond_with_data(f"<!doctype html><html><head>{links}</head></html>",
                                  content_type="text/html")
    return str(httpserver.url_for("/"))


async def test_remove_of_the_site_a_feed_was_added_through(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    site = serve_page(httpserver, "/feed.xml")
    await answer(client, f"feeds add {site}")
    state = local_app.store.get_feed(url)
    assert state is not None and state.found_on == site

    gone = await answer(client, f"feeds remove <{site}>")
    assert gone["response_type"] == "in_channel"
    assert gone["text"] == f"No longer following Harbour Gazette ({url}) (the feed {site} names)."
    assert [f.url for f in local_app.store.list_feeds() if f.added] == []
    again = await answer(client, f"feeds remove {site}")
    assert again["text"].startswith(f"{site} is not followed.")


async def test_remove_of_a_site_several_feeds_were_found_on_removes_none(
    client: SlashClient, local_app: App, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver)
    other = serve_feed(httpserver, "/other.xml", rss("Lighthouse restored", title="Other"))
    serve_page(httpserver, "/feed.xml", oneshot=True)
    site = serve_page(httpserver, "/other.xml")  # the page changed: it names another feed
    await answer(client, f"feeds add {site}")
    await answer(client, f"feeds add {site}")

    refused = await answer(client, f"feeds remove {site}")
    assert refused["response_type"] == "ephemeral"
    assert refused["text"] == (
        f"2 feeds were found on {site}: {url}, {other}. Nothing was removed: remove each by "
        "its URL (/news feeds remove URL).")
    assert sorted(f.url for f in local_app.store.list_feeds() if f.added) == [url, other]
