"""Platform limits hold by construction: long digests split between stories, never inside one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import feedparser
import pytest
from slack_sdk.models.blocks import Block

from digests.models import Digest, DigestItem, SourceLink
from digests.render import discord as discord_render
from digests.render import slack as slack_render
from digests.render._text import size

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
STORY_URL = re.compile(r"https://news\.example\.org/(\d+)")


def _block_texts(message: dict[str, Any]) -> list[str]:
    texts = []
    for block in message["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element["text"] for element in block.get("elements", ())]
    return texts


def _check_slack(messages: list[dict[str, Any]]) -> list[int]:
    """Assert every Slack limit; return the story ids in the order they appear."""
    ids: list[int] = []
    for message in messages:
        assert len(message["blocks"]) <= 50
        assert sum(size(text) for text in _block_texts(message)) <= slack_render.MESSAGE_TEXT_BUDGET
        assert size(message["text"]) <= 4000
        assert message["unfurl_links"] is False and message["unfurl_media"] is False
        for block in message["blocks"]:
            parsed = Block.parse(block)  # slack_sdk's own length validation
            assert parsed is not None
            parsed.to_dict()
            if block["type"] == "header":
                assert size(block["text"]["text"]) <= 150
            if block["type"] == "section":
                text = block["text"]["text"]
                assert size(text) <= 3000
                ids += [int(m) for m in STORY_URL.findall(text.split("\n")[0])]
            for element in block.get("elements", ()):
                assert size(element["text"]) <= 3000
    return ids


def _check_discord(messages: list[dict[str, Any]]) -> list[int]:
    """Assert every Discord limit; return the story ids in the order they appear."""
    ids: list[int] = []
    for message in messages:
        assert size(message["content"]) <= 2000 and message["allowed_mentions"] == {"parse": []}
        assert len(message["embeds"]) <= 10
        total = 0
        for embed in message["embeds"]:
            assert size(embed["title"]) <= 256
            assert size(embed.get("description", "")) <= 4096
            assert len(embed.get("fields", ())) <= 25
            for field in embed.get("fields", ()):
                assert size(field["name"]) <= 256 and size(field["value"]) <= 1024
            assert size(embed["footer"]["text"]) <= 2048
            assert len(discord.Embed.from_dict(embed)) <= discord_render.embed_size(embed)
            total += discord_render.embed_size(embed)
            match = STORY_URL.fullmatch(embed.get("url", ""))
            if match:
                ids.append(int(match.group(1)))
        assert total <= 6000
    return ids


@pytest.mark.parametrize(("n", "summary_chars"), [(20, 2500), (60, 400), (60, 3900)])
def test_slack_splits_within_limits(
    n: int, summary_chars: int, big_digest: Callable[..., Digest]
) -> None:
    messages = slack_render.render(big_digest(n, summary_chars=summary_chars))
    assert _check_slack(messages) == list(range(n))  # every story once, in order
    assert messages[0]["blocks"][0]["type"] == "header"
    assert "and 5 more stories" in messages[-1]["blocks"][-1]["text"]["text"]
    assert len(messages) > 1


@pytest.mark.parametrize(("n", "summary_chars"), [(20, 2500), (60, 400), (60, 3900)])
def test_discord_splits_within_limits(
    n: int, summary_chars: int, big_digest: Callable[..., Digest]
) -> None:
    messages = discord_render.render(big_digest(n, summary_chars=summary_chars))
    assert _check_discord(messages) == list(range(n))
    assert "and 5 more stories" in messages[-1]["content"]
    assert len(messages) >= n / 10


def test_short_stories_keep_whole_summaries(big_digest: Callable[..., Digest]) -> None:
    digest = big_digest(20, summary_chars=300, facts=2)
    summary = digest.items[0].summary
    section = slack_render.render(digest)[0]["blocks"][2]["text"]["text"]
    assert section.split("\n")[1] == slack_render.escape(summary)
    embed = discord_render.render(digest)[0]["embeds"][0]
    assert embed["description"] == discord_render.escape(summary)
    assert "…" not in section.split("\n")[1] and "…" not in embed["description"]


def test_twenty_ordinary_stories_fit_few_messages(big_digest: Callable[..., Digest]) -> None:
    digest = big_digest(20, summary_chars=400, title_repeat=3)
    assert len(slack_render.render(digest)) <= 3
    assert len(discord_render.render(digest)) <= 3


def test_one_huge_story_is_trimmed_not_dropped(big_digest: Callable[..., Digest]) -> None:
    digest = big_digest(3, summary_chars=20_000, n_sources=200)
    slack = slack_render.render(digest)
    assert _check_slack(slack) == [0, 1, 2]
    section = slack[0]["blocks"][2]["text"]["text"]
    lines = section.split("\n")
    assert lines[1].endswith("…")  # the summary, trimmed on a word boundary
    assert lines[-1].startswith("Sources (200): ") and re.search(r"\+\d+ more$", lines[-1])
    discord_messages = discord_render.render(digest)
    assert _check_discord(discord_messages) == [0, 1, 2]
    embed = discord_messages[0]["embeds"][0]
    assert embed["description"].endswith("…")
    assert re.search(r"\+\d+ more$", embed["fields"][0]["value"])


def test_long_urls_and_titles_stay_within_limits() -> None:
    now = datetime(2026, 2, 11, tzinfo=UTC)
    item = DigestItem(
        story_id=1,
        title="&" * 5000,  # escaping multiplies its size
        url="https://news.example.org/1?" + "q=" * 3000,
        summary="<" * 9000,
        sources=tuple(
            SourceLink("t" * 900, "https://x.example/" + "y" * 3000, "") for _ in range(40)
        ),
        published=now,
        key_facts=("&" * 5000,) * 10,
    )
    digest = Digest(
        "t" * 400, now - timedelta(days=1), now, (item,) * 12, window="1d", description="d" * 9000
    )
    _check_slack(slack_render.render(digest))
    _check_discord(discord_render.render(digest))


@pytest.mark.corpus
def test_real_feed_items_render_within_limits() -> None:
    folder = CORPUS / "feeds" / "news"
    if not folder.is_dir():
        pytest.skip("shared corpus not present")
    now = datetime(2026, 2, 20, tzinfo=UTC)
    items: list[DigestItem] = []
    for path in sorted(folder.glob("*.xml"))[:8]:
        feed = feedparser.parse(path.read_bytes())
        for entry in feed.entries[:10]:
            n = len(items)
            items.append(
                DigestItem(
                    story_id=n,
                    title=entry.get("title", ""),
                    url=f"https://news.example.org/{n}",
                    summary=entry.get("summary", ""),
                    sources=(
                        SourceLink(
                            entry.get("title", ""),
                            entry.get("link", ""),
                            feed.feed.get("title", ""),
                        ),
                    ),
                    published=now,
                )
            )
    assert len(items) > 30
    digest = Digest("security", now - timedelta(days=7), now, tuple(items), window="7d")
    assert _check_slack(slack_render.render(digest)) == list(range(len(items)))
    assert _check_discord(discord_render.render(digest)) == list(range(len(items)))
