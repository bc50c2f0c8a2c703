"""Renderers: one pure function per target, ``Digest`` in, text or platform payload out.

``render(d, fmt)`` is the CLI's door: text for markdown and html, pretty JSON for the others;
``render_many(digests, fmt)`` the same for several digests (every topic's) as one document.
"""

from __future__ import annotations

import json as _json
from collections.abc import Sequence
from typing import Any

from digests.errors import UsageError
from digests.models import Digest
from digests.render import discord as _discord
from digests.render import html as _html
from digests.render import json as _json_render
from digests.render import markdown as _markdown
from digests.render import slack as _slack

FORMATS = ("markdown", "slack", "discord", "html", "json")


def render(d: Digest, fmt: str) -> str:
    """The digest in ``fmt`` (one of ``FORMATS``) as text ending in a newline."""
    payload: Any
    if fmt == "markdown":
        return _markdown.render(d)
    if fmt == "html":
        return _html.render(d)
    if fmt == "json":
        payload = _json_render.render(d)
    elif fmt == "slack":
        payload = _slack.render(d)
    elif fmt == "discord":
        payload = _discord.render(d)
    else:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return _json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render_many(digests: Sequence[Digest], fmt: str) -> str:
    """Several digests as one document of ``fmt``, so that a script can parse what it gets.

    markdown: the digests one after the other (each opens with its ``#`` heading); html: one
    page, an ``<article>`` per digest; json: a list of the one-digest objects; slack and
    discord: a list of ``{"topic": T, "messages": [...]}``, ``messages`` being what the
    one-topic form prints (the message payloads to post).
    """
    payload: Any
    if fmt == "markdown":
        return "\n".join(_markdown.render(d) for d in digests)
    if fmt == "html":
        return _html.render_many(digests)
    if fmt == "json":
        payload = [_json_render.render(d) for d in digests]
    elif fmt in ("slack", "discord"):
        one = _slack.render if fmt == "slack" else _discord.render
        payload = [{"topic": d.topic, "messages": one(d)} for d in digests]
    else:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return _json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
