"""Only followed feeds are polled: configured ones and those added at run time
(``follow_feed``), never a feed fetched once by ``ingest`` or taken out of the config; local
feed servers, real stores (SQLite file and PostgreSQL), a controlled clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from bot.app import App
from bot.following import CLI_ADDER, clean_feed_url, feed_key, follow_feed, unfollow_feed
from bot.poller import Poller, configured_feeds
from digests.errors import SourceError, UsageError
from digests.pipeline import SourceSpec, ingest
from digests.settings import FetchSettings, Settings, SourceSettings
from tests.bot.scheduling.test_poller import T0, FeedServer, open_app, poll_at, rss, settings_for

INTERVAL = timedelta(minutes=10)  # settings_for's poll.interval


def serve(httpserver: HTTPServer, *paths: str) -> list[tuple[str, FeedServer]]:
    found = []
    for i, path in enumerate(paths):
        body = rss(f"Story {i} about harbour cranes", f"Story {i} about ferries")
        feed = FeedServer(body=body.replace(b"news.example/", f"news.example{path}/".encode()))
        httpserver.expect_request(path).respond_with_handler(feed.handle)
        found.append((httpserver.url_for(path), feed))
    return found


def private_ok(settings: Settings) -> Settings:
    """The feed servers are on localhost: let untrusted (chat-added) feeds reach them."""
    return settings.model_copy(update={"fetch": FetchSettings(allow_private_addresses=True)})


async def test_only_configured_and_added_feeds_are_polled(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App], store_url: str
) -> None:
    (conf, conf_feed), (added, added_feed), (once, once_feed), (dropped, dropped_feed) = serve(
        httpserver, "/conf.xml", "/added.xml", "/once.xml", "/dropped.xml")
    # An earlier config had `dropped`: the poller then registered and polled it.
    earlier = open_app(apps, private_ok(settings_for(tmp_path, [conf, dropped],
                                                     database=store_url)))
    assert (await poll_at(Poller(earlier, worker_id="w0"), T0)).claimed == 2
    # A one-off `digestbot ingest URL` writes a row (to keep its ETag) ...
    await ingest([SourceSpec(once)], earlier.store, earlier.settings, now=T0)
    assert earlier.store.get_feed(once) is not None
    # ... and the config no longer lists `dropped`; `added` is followed at run time.
    app = open_app(apps, private_ok(settings_for(tmp_path, [conf], database=store_url)))
    app.clock = lambda: T0
    result = await follow_feed(app, added, added_by="slack:U1")
    assert (result.url, result.new, result.already) == (added, 2, None)
    assert added_feed.hits == 1

    poller = Poller(app, worker_id="w1")
    for minutes in (10, 20, 30):
        report = await poll_at(poller, T0 + timedelta(minutes=minutes))
        assert report.claimed == 2  # conf and added, each interval
    assert (conf_feed.hits, added_feed.hits) == (4, 4)
    assert added_feed.statuses == [200, 304, 304, 304]  # the add's fetch kept its ETag
    assert (once_feed.hits, dropped_feed.hits) == (1, 1)  # never again
    # Their rows stay, with validators and health, in case the feed comes back.
    for url in (once, dropped):
        state = app.store.get_feed(url)
        assert state is not None and state.etag == '"v1"' and state.last_success == T0


async def test_added_feed_is_not_polled_again_at_once_then_on_its_interval(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    [(url, feed)] = serve(httpserver, "/feed.xml")
    app = open_app(apps, private_ok(settings_for(tmp_path, [])))
    app.clock = lambda: T0
    await follow_feed(app, url, added_by="discord:7", name="Harbour desk")
    state = app.store.get_feed(url)
    assert state is not None and state.next_poll == T0 + INTERVAL
    poller = Poller(app, worker_id="w1")
    assert (await poll_at(poller, T0 + timedelta(minutes=5))).claimed == 0
    report = await poll_at(poller, T0 + INTERVAL)
    assert (report.claimed, report.not_modified) == (1, 1)
    assert feed.statuses == [200, 304]


async def test_added_feed_keeps_its_name_as_title_and_article_source(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    feed = FeedServer(body=rss("Crane collapses at the port"))
    httpserver.expect_request("/feed.xml").respond_with_handler(feed.handle)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, private_ok(settings_for(tmp_path, [])))
    app.clock = lambda: T0
    await follow_feed(app, url, added_by=CLI_ADDER, name="  Harbour   desk ")
    feed.body = rss("Crane collapses at the port", "Second crane inspected")
    httpserver.clear()
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed.body, content_type="application/rss+xml")  # a new version, no ETag
    report = await poll_at(Poller(app, worker_id="w1"), T0 + INTERVAL)
    assert (report.ok, report.new) == (1, 1)
    state = app.store.get_feed(url)
    assert state is not None and state.title == "Harbour desk"  # not the feed's "Test feed"
    now = T0 + INTERVAL
    stored = app.store.articles_in_window(now - timedelta(days=365), now + timedelta(days=1))
    assert {a.source for a in stored} == {"Harbour desk"}


async def test_chat_added_feed_is_polled_untrusted_and_cli_added_trusted(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    """Private addresses are refused for a feed added from chat, at every poll, not only when
    it was added; a feed the operator added with the CLI may be on the intranet."""
    (chat, chat_feed), (cli, cli_feed) = serve(httpserver, "/chat.xml", "/cli.xml")
    app = open_app(apps, settings_for(tmp_path, []))  # allow_private_addresses: false
    app.store.add_feed(chat, "", "slack:U1", T0)  # e.g. allowed back when it was added
    app.store.add_feed(cli, "", CLI_ADDER, T0)
    report = await poll_at(Poller(app, worker_id="w1"), T0)
    assert (report.claimed, report.ok, report.failed) == (2, 1, 1)
    assert (chat_feed.hits, cli_feed.hits) == (0, 1)
    state = app.store.get_feed(chat)
    assert state is not None and "non-public address" in (state.last_error or "")


async def test_removed_feed_is_no_longer_polled(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    [(url, feed)] = serve(httpserver, "/feed.xml")
    app = open_app(apps, private_ok(settings_for(tmp_path, [])))
    app.clock = lambda: T0
    await follow_feed(app, url, added_by="slack:U1")
    removed = await unfollow_feed(app, f" <{url}/> ")
    assert (removed.url, removed.removed, removed.configured) == (url, True, False)
    report = await poll_at(Poller(app, worker_id="w1"), T0 + INTERVAL * 3)
    assert report.claimed == 0 and feed.hits == 1
    again = await unfollow_feed(app, url)
    assert again.removed is False and again.configured is False


async def test_follow_and_unfollow_of_a_configured_feed_change_nothing(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    [(url, feed)] = serve(httpserver, "/feed.xml")
    app = open_app(apps, private_ok(settings_for(tmp_path, [url])))
    upper = url.replace("localhost", "LOCALHOST") + "#top"
    result = await follow_feed(app, upper, added_by="slack:U1")
    assert (result.url, result.title, result.already) == (url, "feed0", "config")
    removed = await unfollow_feed(app, upper)
    assert (removed.url, removed.removed, removed.configured) == (url, False, True)
    assert feed.hits == 0 and app.store.list_feeds() == []


async def test_not_a_feed_adds_nothing(httpserver: HTTPServer, tmp_path: Path,
                                       apps: list[App]) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>",
        content_type="text/html")
    url = httpserver.url_for("/page")
    app = open_app(apps, private_ok(settings_for(tmp_path, [])))
    with pytest.raises(SourceError, match="HTML page, not a feed") as info:
        await follow_feed(app, url, added_by="cli", trusted=True)
    assert info.value.source == url
    assert app.store.list_feeds() == []


async def test_configured_feeds_include_opml_files(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Wire" xmlUrl="https://wire.example/rss"/></body></opml>',
        encoding="utf-8",
    )
    settings = Settings(sources=(
        SourceSettings(url="https://one.example/feed", name="One"),
        SourceSettings(path=str(opml)),
        SourceSettings(path=str(tmp_path)),
    ))
    assert configured_feeds(settings) == {
        "https://one.example/feed": "One",
        "https://wire.example/rss": "Wire",
    }


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("https://x.example/feed", "https://x.example/feed"),
        ("  https://x.example/feed\n", "https://x.example/feed"),
        ("<https://x.example/feed>", "https://x.example/feed"),
        ("<https://x.example/feed|x.example/feed>", "https://x.example/feed"),
        ("<https://x.example/feed?a=1&amp;b=2|x.example/feed?a=1&amp;b=2>",
         "https://x.example/feed?a=1&b=2"),
        ("http://x.example/rss?copy=1&copyright=2", "http://x.example/rss?copy=1&copyright=2"),
        ("HTTPS://x.example/" + "a" * 1982, "HTTPS://x.example/" + "a" * 1982),  # 2,000
    ],
)
def test_clean_feed_url(text: str, url: str) -> None:
    assert clean_feed_url(text) == url


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "give the feed's URL"),
        ("<>", "give the feed's URL"),
        ("x.example/feed", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("gopher://x.example/", "only http:// and https://"),
        ("https:///feed", "URL without a host"),
        ("https://x.example/a b", "a URL has no spaces"),
        ("https://x.example/" + "a" * 1983, "URL too long (2001 characters; at most 2,000)"),
        ("https://[::1/feed", "not a valid URL"),
    ],
)
def test_clean_feed_url_refuses(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        clean_feed_url(text)


def test_feed_key_compares_spellings_of_one_feed() -> None:
    assert feed_key("https://Example.org:443/feed/") == feed_key("https://example.org/feed")
    assert feed_key("https://example.org/feed?utm_source=x") == feed_key(
        "https://example.org/feed")
    assert feed_key("https://example.org/feed?id=1") != feed_key("https://example.org/feed?id=2")
