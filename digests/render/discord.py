"""A digest as Discord message payloads: one embed per story, split to Discord's limits.

Limits hold by construction: every embed part is fit to its own limit, which keeps one embed under
the 6000 characters a message may carry in embeds; stories are packed whole, in order, into
messages of at most 10 embeds and 6000 embed characters. Only a summary longer than a
description is trimmed, with an ellipsis. An embed shows a story's title, summary and sources;
key facts stay in the archive (Markdown, HTML) to keep the channel scannable.

Feed text has Discord markdown escaped and mentions defused (``@everyone`` gets a zero-width
space, ``<@123>``, ``<@&456>``, ``<#789>`` can't resolve) even though every payload also sets
``allowed_mentions`` to parse nothing: two locks, in case one is left open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from digests.models import Digest, DigestItem
from digests.render._text import (
    backslash,
    fit,
    heading,
    iso,
    more_text,
    one_line,
    safe_url,
    size,
    source_label,
    story_count,
)

MAX_CONTENT = 2000
MAX_EMBEDS = 10  # per message
MAX_EMBED_TOTAL = 6000  # characters across all embeds of a message
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_URL = 2000  # a longer URL is not linked
FOOTER_BUDGET = 200  # ours is "topic · last 24h"; keeps an embed far below MAX_EMBED_TOTAL
SOURCE_LABEL_BUDGET = 80
ZWSP = "\u200b"
_MARKDOWN = "\\*_~`|>[]()#"
_LINE_START = re.compile(r"^([-+]|\d{1,9}(?=\.))")
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_TAG = re.compile(r"<(?=[@#/])")  # <@user> <@!user> <@&role> <#channel> </command:id>


def escape(text: str) -> str:
    """Feed text as inert Discord markdown: marks backslash-escaped, mentions defused."""
    flat = _TAG.sub(f"<{ZWSP}", one_line(text))
    flat = _MASS_MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", flat)
    flat = backslash(flat, _MARKDOWN)
    return _LINE_START.sub(_escape_list_marker, flat)


def _escape_list_marker(match: re.Match[str]) -> str:
    """ "- x" -> "\\- x", "1. x" -> "1\\. x": text must not open a list."""
    marker = match.group(0)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def link(label: str, url: str, budget: int) -> str:
    """``[label](url)`` for a safe http(s) URL, else the escaped label alone."""
    text = fit(label, budget, escape)
    target = safe_url(url)
    if target is None or len(target) > MAX_URL:
        return text
    return f"[{text}]({target})"


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward ``MAX_EMBED_TOTAL``."""
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]
    for field in embed.get("fields", ()):
        parts += [field["name"], field["value"]]
    return sum(size(part) for part in parts)


def render(d: Digest) -> list[dict[str, Any]]:
    """The digest as one or more message payloads (``content``, ``embeds``, no pings)."""
    embeds = [_embed(d, item) for item in d.items]
    chunks = _pack(embeds)
    messages = []
    for number, chunk in enumerate(chunks, start=1):
        lines = [f"**{fit(heading(d), 200, escape)}**"]
        if len(chunks) > 1:
            lines[0] += f" ({number}/{len(chunks)})"
        if number == 1:
            lines += _intro(d)
        if number == len(chunks):
            lines += _outro(d)
        messages.append(
            {
                "content": fit_lines(lines, MAX_CONTENT),
                "embeds": chunk,
                "allowed_mentions": {"parse": []},
            }
        )
    return messages


def fit_lines(lines: Sequence[str], limit: int) -> str:
    """Lines joined, dropping from the end whatever does not fit (each line is already safe)."""
    kept: list[str] = []
    for line in lines:
        if size("\n".join([*kept, line])) > limit:
            break
        kept.append(line)
    return "\n".join(kept)


def _intro(d: Digest) -> list[str]:
    if d.empty:
        return [escape(d.empty_text())]
    moment = d.generated_at or d.until
    lines = [f"{story_count(len(d.items))} · <t:{int(moment.timestamp())}:f>"]
    if d.description:
        lines.append(fit(d.description, 500, escape))
    return lines


def _outro(d: Digest) -> list[str]:
    lines = [escape(more_text(d.more))] if d.more else []
    archive = safe_url(d.archive_url or "")
    if archive and len(archive) <= MAX_URL - 40:
        lines.append(f"View in archive: <{archive}>")
    return lines


def _pack(embeds: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Whole embeds into messages, in order, within the count and character limits."""
    chunks: list[list[dict[str, Any]]] = [[]]
    used = 0
    for embed in embeds:
        cost = embed_size(embed)
        if chunks[-1] and (len(chunks[-1]) >= MAX_EMBEDS or used + cost > MAX_EMBED_TOTAL):
            chunks.append([])
            used = 0
        chunks[-1].append(embed)
        used += cost
    return chunks


def _embed(d: Digest, item: DigestItem) -> dict[str, Any]:
    title = fit(("Updated: " if item.updated else "") + item.title, MAX_TITLE, escape)
    embed: dict[str, Any] = {"title": title}
    url = safe_url(item.url)
    if url and len(url) <= MAX_URL:
        embed["url"] = url
    description = fit(item.summary, MAX_DESCRIPTION, escape)
    if description:
        embed["description"] = description
    if item.sources:
        embed["fields"] = [
            {
                "name": f"Sources ({len(item.sources)})",
                "value": _sources(item),
                "inline": False,
            }
        ]
    colour = _colour(d.color)
    if colour is not None:
        embed["color"] = colour
    embed["timestamp"] = iso(item.published)
    embed["footer"] = {"text": fit(f"{d.topic} · last {d.window}", FOOTER_BUDGET, one_line)}
    return embed


def _sources(item: DigestItem) -> str:
    """Markdown links to the sources, added while they fit the field, then "+k more"."""
    links: list[str] = []
    for index, source in enumerate(item.sources):
        candidate = link(source_label(source), source.url, SOURCE_LABEL_BUDGET)
        rest = len(item.sources) - index - 1
        tail = f" · +{rest} more" if rest else ""
        if size(" · ".join([*links, candidate]) + tail) > MAX_FIELD_VALUE:
            if not links:  # even one link is too long: its label alone always fits
                links.append(fit(source_label(source), SOURCE_LABEL_BUDGET, escape))
            break
        links.append(candidate)
    rest = len(item.sources) - len(links)
    return " · ".join(links) + (f" · +{rest} more" if rest else "")


def _colour(colour: str) -> int | None:
    """ "#RRGGBB" as the int Discord wants; anything else means no colour."""
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})", colour.strip())
    return int(match.group(1), 16) if match else None
