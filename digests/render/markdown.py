"""A digest as CommonMark: the console, the archive's plain form, and every platform's fallback.

Article text is escaped (every character CommonMark gives a meaning inline, plus block markers at
a line's start), so a title like ``[click](http://evil)`` or ``<script>`` stays text and can't
break the link it sits in; only http, https and file URLs become links.
"""

from __future__ import annotations

import re

from digests.models import Digest, DigestItem
from digests.render._text import (
    DOCUMENT_SCHEMES,
    backslash,
    heading,
    more_text,
    one_line,
    safe_url,
    source_label,
    stamp,
    story_count,
)

_INLINE = "\\`*_[]()<>|~&!#"
_BLOCK_START = re.compile(r"^([-+=]|\d{1,9}(?=[.)]))")


def escape(text: str) -> str:
    """Article text made literal in CommonMark (whitespace collapsed: feeds carry no layout)."""
    flat = backslash(one_line(text), _INLINE)
    # A line must not open a list, a heading or a rule: "- x", "+ x", "1. x", "===".
    return _BLOCK_START.sub(_escape_block_marker, flat)


def _escape_block_marker(match: re.Match[str]) -> str:
    marker = match.group(0)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def link(label: str, url: str) -> str:
    """``[label](url)`` for a safe URL, else the label as plain (escaped) text."""
    target = safe_url(url, DOCUMENT_SCHEMES)
    return f"[{escape(label)}]({target})" if target else escape(label)


def render(d: Digest) -> str:
    """The digest as one Markdown document ending in a newline."""
    lines = [f"# {escape(heading(d))}", ""]
    if d.description:
        lines += [f"_{escape(d.description)}_", ""]
    if d.empty:
        lines += [escape(d.empty_text()), ""]
    else:
        lines += [f"{story_count(len(d.items))}, {stamp(d.since)} to {stamp(d.until)}.", ""]
        for number, item in enumerate(d.items, start=1):
            lines += _story(number, item)
    if d.more:
        lines += [escape(more_text(d.more)), ""]
    if d.archive_url and safe_url(d.archive_url):
        lines += [link("View in archive", d.archive_url), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _story(number: int, item: DigestItem) -> list[str]:
    updated = " _(updated)_" if item.updated else ""
    lines = [f"## {number}. {link(item.title, item.url)}{updated}", ""]
    if item.summary:
        lines += [escape(item.summary), ""]
    if item.key_facts:
        lines += [f"- {escape(fact)}" for fact in item.key_facts] + [""]
    lines += [f"Sources ({len(item.sources)}):", ""]
    for source in item.sources:
        name = one_line(source.source)
        prefix = f"{escape(name)}: " if name and name != one_line(source.title) else ""
        lines.append(f"- {prefix}{link(source.title or source_label(source), source.url)}")
    return [*lines, ""]
