"""Text written by others in chat replies (search hits, ask answers and their sources, feed
titles) can neither format nor ping: Slack's marks ``* _ ~ ` `` become the digest renderer's
look-alikes, ``& < >`` are escaped. The reply's own formatting (the bold label, the source
links) still works, and the bot's own words (a cron example, a feed URL) stay as typed.
Real signed requests; answers read from the fake ``response_url``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from bot.app import App
from digests.models import Article
from digests.pipeline import store_articles
from digests.settings import FetchSettings, SourceSettings
from tests.bot.scheduling.test_poller import rss
from tests.bot.slack.conftest import HOSTILE, NOW, SlashClient, open_app, sample_articles
from tests.bot.slack.test_slack_feeds import answer, slash_for
from tests.fakes.slack_api import FakeSlackApi

MARKS = "*_~`"
MARKED = Article(
    title="*Tunnel* _raid_ ~ends~ `today` at the border <!here>",
    url="https://news.example/tunnels",
    body=(
        "Investigators found *twelve* smuggling tunnels under the _border_ fence, ~officials~ "
        "said in `Tijuana`. <!channel> The tunnels were used to smuggle drugs and migrants. "
        "Police arrested forty people <@U999> after the raid on the smuggling tunnels."
    ),
    source="*Wire* _desk_",
    published=NOW - timedelta(hours=3),
)
INERT_TITLE = "∗Tunnel∗ ˍraidˍ ∼ends∼ ˋtodayˋ at the border &lt;!here&gt;"
INERT_SOURCE = "∗Wire∗ ˍdeskˍ"
INERT_SENTENCE = "Investigators found ∗twelve∗ smuggling tunnels under the ˍborderˍ fence"
CONFIGURED = "https://feeds.example.org/configured_wire.xml"


def assert_no_pings(text: str) -> None:
    for marker in ("<!channel", "<!here", "<@U", "<http://evil"):
        assert marker not in text


def body_lines(text: str, label: str) -> list[str]:
    """The lines after the bold label, which must be the first line and stay formatting."""
    first, *rest = text.split("\n")
    assert first == f"*{label}*"
    return rest


@pytest.fixture
async def marked_slash(tmp_path: Path, api: FakeSlackApi) -> AsyncIterator[SlashClient]:
    app = open_app(tmp_path / "data" / "digestbot.db")
    store_articles(app.store, [*sample_articles(), HOSTILE, MARKED], app.settings.topics, NOW)
    try:
        async for client in slash_for(app, api):
            yield client
    finally:
        app.close()


async def test_search_hits_cannot_format_or_ping(marked_slash: SlashClient) -> None:
    message = await answer(marked_slash, "search smuggling tunnels")
    text = message["text"]
    first, hit, source = body_lines(text, "Search")
    assert first == "Top 1 for 'smuggling tunnels':"
    assert hit.startswith(f"[1] {INERT_TITLE} ({INERT_SOURCE}, 2026-02-11): {INERT_SENTENCE}")
    assert "&lt;!channel&gt;" in hit and "&lt;@U999&gt;" in hit
    assert not any(mark in hit for mark in MARKS)
    # the bot's own link still works; its label is inert like the rest
    assert source == f"[1] <https://news.example/tunnels|{INERT_TITLE}> ({INERT_SOURCE})"
    assert_no_pings(text)


async def test_ask_answer_and_sources_cannot_format_or_ping(marked_slash: SlashClient) -> None:
    message = await answer(marked_slash, "ask How many smuggling tunnels were found?")
    text = message["text"]
    answer_line, source = body_lines(text, "Answer")
    assert answer_line.startswith(INERT_SENTENCE + ", ∼officials∼ said in ˋTijuanaˋ.")
    assert answer_line.endswith(" [1]")
    assert not any(mark in answer_line for mark in MARKS)
    assert source == f"[1] <https://news.example/tunnels|{INERT_TITLE}>"
    assert_no_pings(text)


async def test_hostile_pings_in_search_stay_inert(marked_slash: SlashClient) -> None:
    text = (await answer(marked_slash, "search deportations"))["text"]
    assert "Migrants cross border &lt;!channel&gt; &lt;@U123&gt;" in text
    assert "&lt;http://evil|click&gt;" in text
    assert_no_pings(text)


async def test_markers_in_the_askers_text_change_nothing(marked_slash: SlashClient) -> None:
    """The adapter marks text from outside with two noncharacters; typed by the asker they
    only make more text inert, and never reach the chat."""
    text = (await answer(marked_slash, "search \ufdd1<!channel> \ufdd0*tunnels* \ufdd1x"))["text"]
    assert "\ufdd0" not in text and "\ufdd1" not in text
    assert_no_pings(text)
    assert INERT_TITLE in text


async def test_the_bots_own_words_stay_as_typed(marked_slash: SlashClient) -> None:
    """A cron example must stay copyable: no look-alikes outside text from outside."""
    text = (await answer(marked_slash, "help"))["text"]
    assert "such as 0 8 * * mon-fri)" in text
    usage = (await answer(marked_slash, "subscribe security at teatime"))["text"]
    assert "such as 0 8 * * mon-fri" in usage
    done = (await answer(marked_slash, "subscribe security 0 8 * * mon-fri"))["text"]
    assert "subscribed to security: 0 8 * * mon-fri (UTC)" in done
    listing = (await answer(marked_slash, "subscriptions"))["text"]
    assert "security - 0 8 * * mon-fri (UTC, chat)" in listing


@pytest.fixture
async def feeds_app(tmp_path: Path) -> AsyncIterator[App]:
    app = open_app(
        tmp_path / "data" / "digestbot.db",
        sources=(SourceSettings(url=CONFIGURED, name="*Configured* _Wire_ <!here>"),),
        fetch=FetchSettings(allow_private_addresses=True),
    )
    yield app
    app.close()


async def test_feed_titles_cannot_format_or_ping(
    feeds_app: App, api: FakeSlackApi, httpserver: HTTPServer
) -> None:
    feed = rss("Dock workers strike over pay",
               title="*Harbour* _Gazette_ ~live~ `now` &lt;!channel&gt;")
    httpserver.expect_request("/harbour_feed~1.xml").respond_with_data(
        feed, content_type="application/rss+xml")
    url = httpserver.url_for("/harbour_feed~1.xml")
    inert = "∗Harbour∗ ˍGazetteˍ ∼live∼ ˋnowˋ &lt;!channel&gt;"
    async for client in slash_for(feeds_app, api):
        added = await answer(client, f"feeds add {url}")
        assert added["response_type"] == "in_channel"
        assert added["text"] == f"Now following {inert} ({url}): 1 new article."

        listing = (await answer(client, "feeds"))["text"]
        lines = listing.split("\n")
        assert lines[0] == "Feeds:"
        assert lines[1].startswith("∗Configured∗ ˍWireˍ &lt;!here&gt; - not polled yet")
        # the feed's title is inert; its URL (underscore, tilde) stays as typed, to copy
        assert lines[2].startswith(f"{inert} ({url}) - last success ")
        assert lines[2].endswith("; added by slack:U0ASKER")
        assert_no_pings(listing)

        again = (await answer(client, f"feeds add {url}"))["text"]
        assert again == f"Already following {inert} ({url}) (added by slack:U0ASKER)."
        removed = (await answer(client, f"feeds remove {url}"))["text"]
        assert removed == f"No longer following {inert} ({url})."
