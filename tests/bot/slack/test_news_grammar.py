"""The platform-neutral ``/news`` grammar and answers that need no chat platform."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.commands import HELP_TEXT, Command, handle_command, parse_command
from bot.types import CommandContext
from digests.settings import SourceSettings
from digests.store.types import FeedState
from tests.bot.slack.conftest import NOW

CTX = CommandContext(platform="cli", channel_id="term", user_id="me")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("digest", Command("digest")),
        ("digest security 7d", Command("digest", ("security", "7d"))),
        ("  DIGEST   Security ", Command("digest", ("Security",))),
        ("ask What's \"new\" (today)?", Command("ask", ("What's \"new\" (today)?",))),
        ("search border  crossings", Command("search", ("border  crossings",))),
        ("subscribe security every 6h", Command("subscribe", ("security", "every", "6h"))),
        ("unsubscribe drugs", Command("unsubscribe", ("drugs",))),
        ("topics", Command("topics")),
        ("subscriptions", Command("subscriptions")),
        ("feeds", Command("feeds")),
        ("feeds list", Command("feeds", ("list",))),
        ("feeds add https://x.example/feed", Command("feeds", ("add", "https://x.example/feed",
                                                               ""))),
        ("feeds ADD <https://x.example/feed|x.example/feed>  Harbour   desk",
         Command("feeds", ("add", "<https://x.example/feed|x.example/feed>", "Harbour desk"))),
        ("feeds remove  https://x.example/feed ",
         Command("feeds", ("remove", "https://x.example/feed"))),
        ("help", Command("help")),
        ("", Command("help")),
    ],
)
def test_parse(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("nonsense", "Unknown command 'nonsense'."),
        ("ask", "ask needs some words."),
        ("search   ", "search needs some words."),
        ("subscribe", "subscribe needs a topic."),
        ("unsubscribe", "unsubscribe needs exactly one topic."),
        ("unsubscribe a b", "unsubscribe needs exactly one topic."),
        ("digest a 1d extra", "digest takes at most a topic and a window."),
        ("topics please", "topics takes no arguments."),
        ("feeds add", "feeds add needs a feed URL."),
        ("feeds remove", "feeds remove needs exactly one feed URL."),
        ("feeds remove https://a.example/f https://b.example/f",
         "feeds remove needs exactly one feed URL."),
        ("feeds please", "feeds takes list, add URL [name] or remove URL."),
        ("feeds list all", "feeds takes list, add URL [name] or remove URL."),
    ],
)
def test_malformed_is_help_with_a_note(text: str, error: str) -> None:
    command = parse_command(text)
    assert command.name == "help"
    assert command.error == error


def test_huge_query_is_capped() -> None:
    command = parse_command("search " + "x" * 20_000)
    assert command.name == "search"
    assert len(command.args[0]) == 1000


async def test_help_text(app: App) -> None:
    reply = await handle_command(app, "help", CTX)
    assert reply.text == HELP_TEXT
    assert reply.ephemeral


async def test_hostile_ask_input_gets_an_answer_not_an_error(app: App) -> None:
    for question in ['"unbalanced (NEAR* OR', "🙂 кто это", "x" * 10_000]:
        reply = await handle_command(app, f"ask {question}", CTX)
        assert reply.text == "Nothing stored answers that question."


async def test_digest_window_alone_and_twice(app: App) -> None:
    reply = await handle_command(app, "digest 7d migration", CTX)
    assert reply.digest is not None and reply.digest.window == "7d"
    reply = await handle_command(app, "digest migration security", CTX)
    assert reply.digest is None
    assert "give one topic and one window at most" in reply.text


async def test_feeds_show_health_of_configured_and_added_feeds(app: App) -> None:
    app.settings = app.settings.model_copy(update={"sources": (
        SourceSettings(url="https://feeds.example/ok.xml", name="OK Feed"),
        SourceSettings(url="https://feeds.example/new.xml"),
        SourceSettings(path="samples/"),
    )})
    app.store.upsert_feed(FeedState(url="https://feeds.example/ok.xml", title="OK",
                                    last_polled=NOW - timedelta(minutes=5),
                                    next_poll=NOW + timedelta(minutes=10)))
    app.store.add_feed("https://feeds.example/broken.xml", "Broken", "slack:U1", NOW)
    app.store.upsert_feed(FeedState(url="https://feeds.example/broken.xml", title="Broken",
                                    last_error="HTTP 500", error_count=3,
                                    next_poll=NOW + timedelta(hours=1)))
    # Fetched once by `digestbot ingest URL` (or taken out of the config): not polled, not shown.
    app.store.upsert_feed(FeedState(url="https://feeds.example/once.xml", title="Once"))
    reply = await handle_command(app, "feeds", CTX)
    lines = reply.text.splitlines()
    assert lines[0] == "Feeds:"
    assert lines[1] == ("OK Feed - last success 2026-02-11 08:55 UTC; "
                        "next poll 2026-02-11 09:10 UTC")
    assert lines[2] == "https://feeds.example/new.xml - not polled yet"
    assert lines[3] == "samples - local files on the bot's host"
    assert lines[4] == (
        "Broken (https://feeds.example/broken.xml) - last success never; "
        "last error: HTTP 500 (3 in a row); next poll 2026-02-11 10:00 UTC; added by slack:U1"
    )
    assert len(lines) == 5 and "Once" not in reply.text
    assert reply.ephemeral


async def test_a_feed_list_saved_as_xml_shows_its_feeds_not_local_files(
    app: App, tmp_path: Path
) -> None:
    opml = tmp_path / "subscriptions.xml"  # some readers export OPML under .xml
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        '<outline type="rss" text="Harbour Wire" xmlUrl="https://feeds.example/harbour.xml"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    articles = tmp_path / "articles"
    articles.mkdir()
    app.settings = app.settings.model_copy(update={"sources": (
        SourceSettings(path=str(opml)), SourceSettings(path=str(articles)),
    )})
    lines = (await handle_command(app, "feeds", CTX)).text.splitlines()
    assert lines[1].startswith("Harbour Wire - ")
    assert lines[2:] == ["articles - local files on the bot's host"]  # the list is not one


async def test_a_local_source_given_as_a_file_url_shows_its_decoded_name(
    app: App, tmp_path: Path
) -> None:
    folder = tmp_path / "in box"
    folder.mkdir()
    app.settings = app.settings.model_copy(update={"sources": (
        SourceSettings(path=folder.as_uri()),
    )})
    lines = (await handle_command(app, "feeds", CTX)).text.splitlines()
    assert lines[1:] == ["in box - local files on the bot's host"]


async def test_unexpected_failure_is_logged_not_shown(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    store, app.store = app.store, None  # type: ignore[assignment]  # nobody planned for this
    try:
        reply = await handle_command(app, "search anything", CTX)
    finally:
        app.store = store
    assert reply.text.startswith("Something went wrong")
    assert "NoneType" not in reply.text
    assert any("command failed" in r.getMessage() for r in caplog.records)
