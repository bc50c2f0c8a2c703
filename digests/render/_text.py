"""Small text helpers the renderers share: sizes, word-boundary trimming, safe links, labels.

Platform limits are counted in UTF-16 code units (what JavaScript's ``length`` counts), which is
never less than Python's code-point count, so a text that fits here fits on either reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from digests.models import Digest, SourceLink

ELLIPSIS = "…"
WEB_SCHEMES = frozenset({"http", "https"})
# Documents (Markdown, HTML, the archive) may also be opened from disk, where a file: link to a
# local article works; chat payloads link the web only.
DOCUMENT_SCHEMES = frozenset({"http", "https", "file"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters that end or break a link target in Markdown-ish syntaxes; percent-encoded instead.
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in " ()<>\"'`\\|^{}")


def size(text: str) -> int:
    """Length in UTF-16 code units, the stricter of the ways platforms count characters."""
    return len(text.encode("utf-16-le")) // 2


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines too) to single spaces: feed text has no layout to keep."""
    return " ".join(text.split())


def backslash(text: str, marks: str) -> str:
    """Each of ``marks`` in ``text`` preceded by a backslash (pass the backslash itself first)."""
    for mark in marks:
        text = text.replace(mark, "\\" + mark)
    return text


def trim(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` (by ``size``), on a word boundary, with an ellipsis."""
    if size(text) <= limit:
        return text
    budget = limit - size(ellipsis)
    if budget <= 0:
        return ellipsis[: max(0, limit)]
    head = _prefix(text, budget)
    cut = head.rfind(" ")
    if cut >= len(head) // 2:  # a word boundary not too far back; else cut mid-word
        head = head[:cut]
    return head.rstrip(" ,;:-") + ellipsis


def fit(text: str, limit: int, escape: Callable[[str], str]) -> str:
    """``escape(text)``, or if that is over ``limit``, the escape of the longest trimmed ``text``
    that fits; so trimming never cuts through an escape sequence.

    ``escape`` must collapse whitespace like ``one_line`` and otherwise never shrink text, so no
    more than ``limit`` characters of it can fit: the search looks no further.
    """
    escaped = escape(text)
    if size(escaped) <= limit:
        return escaped
    flat = one_line(text)
    low, high, best = 0, min(size(flat), limit), escape("")
    while low <= high:
        mid = (low + high) // 2
        candidate = escape(trim(flat, mid))
        if size(candidate) <= limit:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    return best


def _prefix(text: str, budget: int) -> str:
    """The longest prefix of ``text`` whose size is at most ``budget``."""
    if size(text) == len(text):  # no astral characters: sizes are lengths
        return text[:budget]
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return text[:index]
    return text


def safe_url(url: str, schemes: Collection[str] = WEB_SCHEMES) -> str | None:
    """``url`` fit to be a link target, or None: scheme in ``schemes``, a host for the web ones,
    no control characters, link-breaking characters percent-encoded."""
    candidate = url.strip()
    if not candidate or _CONTROL.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes or (scheme in WEB_SCHEMES and not parts.netloc):
        return None
    return quote(candidate, safe=_URL_SAFE)


def source_label(link: SourceLink) -> str:
    """What a source is called in a list: its publisher, else its title, else its host."""
    return one_line(link.source) or one_line(link.title) or urlsplit(link.url).netloc or link.url


def heading(d: Digest) -> str:
    """The digest's title line, e.g. "Security — last 24h"."""
    topic = one_line(d.topic)
    return f"{topic[:1].upper()}{topic[1:]} — last {one_line(d.window)}"


def stamp(moment: datetime) -> str:
    """A time as people read it in a digest: "2026-02-11 08:00 UTC"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with an explicit offset, the form every JSON payload uses."""
    return moment.astimezone(UTC).isoformat()


def more_text(more: int) -> str:
    return f"…and {more} more {'story' if more == 1 else 'stories'}."


def story_count(count: int) -> str:
    return f"{count} {'story' if count == 1 else 'stories'}"
