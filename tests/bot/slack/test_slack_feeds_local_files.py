"""A chat user must never make the bot read its own files: ``/news feeds add file://...`` is
refused before anything is read (``bot.following.clean_feed_url``), a web page that names a
``file://`` feed adds nothing, and the pipeline itself refuses a local location for a source that
is not the operator's (``SourceSpec.trusted=False``), whatever the path to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from bot.app import App
from digests.pipeline import SourceSpec, fetch_options, read_source
from digests.settings import FetchSettings
from digests.sources.http import make_client
from tests.bot.scheduling.test_poller import rss
from tests.bot.slack.conftest import SlashClient, open_app, serve
from tests.fakes.slack_api import FakeSlackApi

FEED = rss("Dock workers strike over pay", "Ferry timetable changes for spring")


@pytest.fixture
async def app(db_path: Path) -> AsyncIterator[App]:
    # Private addresses allowed: only the file:// rule can stop what follows.
    opened = open_app(db_path, fetch=FetchSettings(allow_private_addresses=True))
    yield opened
    opened.close()


@pytest.fixture
async def client(app: App, api: FakeSlackApi) -> AsyncIterator[SlashClient]:
    import aiohttp

    async for base in serve(app, api):
        async with aiohttp.ClientSession() as session:
            yield SlashClient(f"{base}/slack/events", api, session)


async def test_feeds_add_of_a_file_url_is_refused(
    client: SlashClient, app: App, tmp_path: Path
) -> None:
    feed = tmp_path / "private feed.xml"
    feed.write_bytes(FEED)  # a real, readable feed: only the scheme stops it
    before = app.store.count_articles()
    for url in (feed.as_uri(), feed.as_uri().replace("file://", "FILE://localhost", 1),
                f"<{feed.as_uri()}|{feed.name}>", "file:/etc/passwd"):
        [message] = await client.followups(await client.send(f"feeds add {url}"))
        assert message["response_type"] == "ephemeral"
        assert "only http:// and https:// feed URLs can be followed" in message["text"], url
    assert app.store.list_feeds() == []
    assert app.store.count_articles() == before


async def test_a_page_naming_a_file_feed_adds_nothing(
    client: SlashClient, app: App, httpserver: HTTPServer, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(FEED)
    httpserver.expect_request("/").respond_with_data(
        '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
        f'href="{feed.as_uri()}"></head><body>Harbour news</body></html>',
        content_type="text/html",
    )
    site = httpserver.url_for("/")
    [message] = await client.followups(await client.send(f"feeds add {site}"))
    assert message["text"].startswith(f"Could not follow {site}: is an HTML page, not a feed")
    assert "file:" not in message["text"]  # the link was never taken for a feed
    assert app.store.list_feeds() == []


async def test_pipeline_refuses_local_locations_for_untrusted_sources(
    app: App, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(FEED)
    options = fetch_options(app.settings.fetch)
    async with make_client(options) as http:
        for location in (feed.as_uri(), str(feed)):
            result = await read_source(SourceSpec(location, trusted=False), app.store, http,
                                       options)
            assert result.articles == ()
            [failure] = result.failures
            assert failure.error.startswith("only http:// and https:// feeds"), location
        trusted = await read_source(SourceSpec(feed.as_uri()), app.store, http, options)
        assert len(trusted.articles) == 2 and trusted.failures == ()
