"""Several digests as one document per format (``digest`` without ``--topic``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from digests.errors import UsageError
from digests.models import Digest
from digests.render import discord as discord_render
from digests.render import html as html_render
from digests.render import render, render_many
from digests.render import slack as slack_render


@pytest.fixture
def three(fixed_digest: Digest) -> list[Digest]:
    return [replace(fixed_digest, topic=t) for t in ("security", "migration", "drugs")]


@pytest.mark.parametrize(("fmt", "one"), [("slack", slack_render.render),
                                          ("discord", discord_render.render)])
def test_chat_formats_wrap_each_topics_messages(
    three: list[Digest], fmt: str, one: Callable[[Digest], list[dict[str, Any]]]
) -> None:
    doc = json.loads(render_many(three, fmt))
    assert doc == [{"topic": d.topic, "messages": one(d)} for d in three]


def test_html_is_one_page_with_an_article_per_digest(three: list[Digest]) -> None:
    page = render_many(three, "html")
    assert page.count("<!doctype html>") == 1 and page.count("</html>") == 1
    for d in three:
        assert html_render.render_fragment(d) in page
    assert "<title>News digests — security, migration, drugs</title>" in page


def test_json_is_a_list_and_markdown_the_documents_in_turn(three: list[Digest]) -> None:
    assert [d["topic"] for d in json.loads(render_many(three, "json"))] == [
        "security", "migration", "drugs"
    ]
    assert render_many(three, "markdown") == "\n".join(render(d, "markdown") for d in three)


def test_unknown_format(three: list[Digest]) -> None:
    with pytest.raises(UsageError, match="unknown format 'pdf'"):
        render_many(three, "pdf")
