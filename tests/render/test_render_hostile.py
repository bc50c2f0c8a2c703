"""Hostile feed text must stay text in every renderer: no pings, no markup, no script links."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import discord
from markdown_it import MarkdownIt
from slack_sdk.models.blocks import Block

from digests.models import Digest
from digests.render import discord as discord_render
from digests.render import html as html_render
from digests.render import json as json_render
from digests.render import markdown as markdown_render
from digests.render import render
from digests.render import slack as slack_render

SAFE_HREF = "https://example.org/a_%28b%29%3Cc%3E%7Cd"  # the one source with a real URL


class _Page(HTMLParser):
    """Collects tags, hrefs and visible text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_markdown_keeps_hostile_text_literal(hostile_digest: Digest) -> None:
    html = MarkdownIt("commonmark").render(markdown_render.render(hostile_digest))
    page = _page(html)
    assert "script" not in page.tags and "strong" not in page.tags
    assert page.hrefs == [SAFE_HREF]  # javascript: and [click](http://evil) are not links
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text
    assert "[click](http://evil)" in text and "**bold**" in text and "<!channel>" in text


def test_html_escapes_everything(hostile_digest: Digest) -> None:
    for output in (html_render.render(hostile_digest), html_render.render_fragment(hostile_digest)):
        page = _page(output)
        assert "script" not in page.tags
        assert all(h.startswith("https://") for h in page.hrefs), page.hrefs
        assert SAFE_HREF in page.hrefs
        assert "javascript:" not in output
        text = "".join(page.text)
        assert "<script>alert(1)</script>" in text and "[click](http://evil)" in text


def test_html_page_is_standalone(fixed_digest: Digest) -> None:
    output = html_render.render(fixed_digest)
    page = _page(output)
    assert page.tags.count("style") == 1 and "script" not in page.tags and "link" not in page.tags
    assert "prefers-color-scheme:dark" in output and 'name="viewport"' in output
    assert "http" not in output.split("<style>")[1].split("</style>")[0]  # no external fonts
    fragment = html_render.render_fragment(fixed_digest)
    assert fragment.startswith('<article class="digest"') and "<html" not in fragment


def _slack_texts(messages: list[dict[str, Any]]) -> list[str]:
    texts = [m["text"] for m in messages]
    for message in messages:
        for block in message["blocks"]:
            if "text" in block:
                texts.append(block["text"]["text"])
            texts += [e["text"] for e in block.get("elements", ())]
    return texts


def test_slack_pings_no_one(hostile_digest: Digest) -> None:
    messages = slack_render.render(hostile_digest)
    for text in _slack_texts(messages):
        for bracketed in re.findall(r"<([^>]*)>", text):
            # the only control sequences left are ours: a date and an http(s) link
            assert bracketed.startswith(("!date^", "https://", "http://")), bracketed
            if bracketed.startswith("http"):
                url, _, label = bracketed.partition("|")
                assert url == SAFE_HREF and "|" not in label
        assert "**bold**" not in text and "javascript:" not in text
    assert "&lt;!channel&gt;" in messages[0]["text"]
    for block in messages[0]["blocks"]:
        parsed = Block.parse(block)  # slack_sdk validates the shape
        assert parsed is not None
        parsed.to_dict()


def _discord_texts(message: dict[str, Any]) -> list[str]:
    texts = [message["content"]]
    for embed in message["embeds"]:
        texts += [embed.get("title", ""), embed.get("description", ""), embed["footer"]["text"]]
        texts += [f["name"] for f in embed.get("fields", ())] + [
            f["value"] for f in embed.get("fields", ())
        ]
    return texts


def test_discord_pings_no_one(hostile_digest: Digest) -> None:
    messages = discord_render.render(hostile_digest)
    for message in messages:
        assert message["allowed_mentions"] == {"parse": []}
        for embed in message["embeds"]:
            assert "url" not in embed  # javascript: is never a link
        for text in _discord_texts(message):
            assert not re.search(r"@(everyone|here)", text)
            assert not re.search(r"<[@#/]", text)
            assert "**bold**" not in text and "javascript:" not in text
            # markdown links only where we made them, to the safe URL
            for target in re.findall(r"(?<!\\)\]\((?!\\)([^)]*)\)", text):
                assert target == SAFE_HREF
    assert "\\[click\\]\\(http://evil\\)" in messages[0]["embeds"][0]["description"]
    discord.Embed.from_dict(messages[0]["embeds"][0])  # discord.py accepts the shape


def test_json_keeps_text_exact(hostile_digest: Digest) -> None:
    payload = json.loads(json.dumps(json_render.render(hostile_digest)))
    assert json_render.parse(payload) == hostile_digest
    assert payload["items"][0]["title"] == hostile_digest.items[0].title


def test_script_archive_link_never_becomes_a_link(fixed_digest: Digest) -> None:
    d = replace(fixed_digest, archive_url="javascript:alert(1)")
    for fmt in ("markdown", "html", "slack", "discord"):
        output = render(d, fmt)
        assert "javascript:" not in output and "View in archive" not in output, fmt
        assert "and 3 more stories" in output, fmt


def test_markdown_text_cannot_open_blocks(fixed_digest: Digest) -> None:
    for text in ("1. Not a list", "- not a list", "# not a heading", "> not a quote", "==="):
        item = replace(fixed_digest.items[0], summary=text, key_facts=(text,))
        html = MarkdownIt("commonmark").render(
            markdown_render.render(replace(fixed_digest, items=(item,)))
        )
        assert f"<p>{text.replace('>', '&gt;')}</p>" in html, text
        assert f"<li>{text.replace('>', '&gt;')}</li>" in html, text


def test_discord_text_cannot_open_blocks() -> None:
    assert discord_render.escape("1. x") == "1\\. x"
    assert discord_render.escape("- x") == "\\- x"
    assert discord_render.escape("# x") == "\\# x"
    assert discord_render.escape("> x") == "\\> x"
