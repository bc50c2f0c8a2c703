"""A digest as Slack ``chat.postMessage`` payloads (Block Kit), split to Slack's limits.

Limits hold by construction, never by cutting the output afterwards: a message carries at most
``MAX_BLOCKS`` blocks and ``MESSAGE_TEXT_BUDGET`` characters of block text; a long digest is
split between stories across several messages. Only a story that alone exceeds a section's
3000 characters has its summary trimmed with an ellipsis. A story shows its title, summary and
sources; key facts stay in the archive (Markdown, HTML) to keep the channel scannable.

Feed text is escaped as Slack asks (``&`` ``<`` ``>``), so ``<!channel>`` or ``<@U123>`` show as
text and ping no one. Slack has no escape for its formatting marks, so ``* _ ~ ` `` in feed text
become look-alikes that do not format. Links use ``<url|label>`` with http(s) URLs only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from digests.models import Digest, DigestItem
from digests.render._text import (
    fit,
    heading,
    more_text,
    one_line,
    safe_url,
    size,
    source_label,
    stamp,
    story_count,
    trim,
)

MAX_BLOCKS = 50  # per message (Slack)
MAX_SECTION = 3000  # section text (Slack)
MAX_HEADER = 150  # header plain_text (Slack)
MAX_TEXT = 4000  # the message's fallback ``text`` (Slack's advice for notifications)
# Slack also rejects a message whose blocks carry too much text in all (msg_blocks_too_long):
# undocumented, reported near 12,000 characters and once at 11,341 (slackapi/bolt-js #2509,
# #2867), so we keep every message's block text under a round 10,000.
MESSAGE_TEXT_BUDGET = 10000
MAX_URL = 1000  # a longer URL is not linked: it would crowd out the story
TITLE_BUDGET = 250
SOURCE_LABEL_BUDGET = 80
SOURCES_BUDGET = 1000
_FRAME_BLOCKS = 4  # header + context on top, "more" + archive context at the end
_FRAME_TEXT = 2000  # the frame's text: header 150, intro 500, continuation 300, archive 1020
_LOOKALIKES = (("*", "∗"), ("_", "ˍ"), ("~", "∼"), ("`", "ˋ"))


def escape(text: str) -> str:
    """Feed text as inert mrkdwn: control characters escaped, formatting marks defused."""
    flat = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for mark, lookalike in _LOOKALIKES:
        flat = flat.replace(mark, lookalike)
    return flat


def escape_label(text: str) -> str:
    """Like ``escape``, and no ``|`` either: the label sits inside ``<url|label>``."""
    return escape(text).replace("|", "¦")


def link(label: str, url: str, budget: int) -> str:
    """``<url|label>`` with the label fit to ``budget``; the bare label for an unsafe URL."""
    text = fit(label, budget, escape_label)
    target = safe_url(url)
    if target is None or len(target) > MAX_URL:
        return text
    return f"<{target}|{text}>"


@dataclass(frozen=True)
class _Story:
    """One story's section text, with its size measured once."""

    title: str
    text: str

    @property
    def size(self) -> int:
        return size(self.text)


def render(d: Digest) -> list[dict[str, Any]]:
    """The digest as one or more ``chat.postMessage`` keyword dicts (no ``channel``)."""
    if d.empty:
        empty = escape(d.empty_text())
        return [_message(empty, [_header(d), _section(empty)])]
    stories = [_story(item) for item in d.items]
    chunks = _pack(stories)
    messages = []
    for number, chunk in enumerate(chunks, start=1):
        part = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
        blocks: list[dict[str, Any]] = []
        if number == 1:
            blocks += [_header(d), _context(_intro(d))]
        else:
            blocks.append(_context(fit(f"{heading(d)}, continued{part}", 300, escape)))
        for index, story in enumerate(chunk):
            if index:
                blocks.append({"type": "divider"})
            blocks.append(_section(story.text))
        if number == len(chunks):
            blocks += _outro(d)
        titles = "; ".join(story.title for story in chunk)
        fallback = fit(f"{heading(d)}{part}: {titles}", MAX_TEXT, escape)
        messages.append(_message(fallback, blocks))
    return messages


def _pack(stories: Sequence[_Story]) -> list[list[_Story]]:
    """Whole stories into messages, in order; each story costs a section and a divider."""
    block_room = MAX_BLOCKS - _FRAME_BLOCKS
    text_room = MESSAGE_TEXT_BUDGET - _FRAME_TEXT
    chunks: list[list[_Story]] = [[]]
    used = 0
    for story in stories:
        current = chunks[-1]
        if current and (2 * (len(current) + 1) > block_room or used + story.size > text_room):
            chunks.append([])
            current, used = chunks[-1], 0
        current.append(story)
        used += story.size
    return chunks


def _story(item: DigestItem) -> _Story:
    """A story's mrkdwn, inside ``MAX_SECTION``: the summary trimmed if it must be."""
    title = f"*{link(item.title, item.url, TITLE_BUDGET)}*"
    if item.updated:
        title += " _(updated)_"
    sources = _sources(item)
    room = MAX_SECTION - size(title) - size(sources) - 2  # two newlines around the summary
    summary = fit(item.summary, room, escape)
    text = "\n".join(part for part in [title, summary, sources] if part)
    return _Story(title=one_line(item.title), text=text)


def _sources(item: DigestItem) -> str:
    """ "Sources (n): <url|BBC> · <url|Reuters>", links added while they fit, then "+k more"."""
    head = f"Sources ({len(item.sources)}): "
    links: list[str] = []
    used = size(head)
    for source in item.sources:
        candidate = link(source_label(source), source.url, SOURCE_LABEL_BUDGET)
        if links and used + size(candidate) + 3 > SOURCES_BUDGET:
            break
        if not links and used + size(candidate) > SOURCES_BUDGET:
            candidate = fit(source_label(source), SOURCE_LABEL_BUDGET, escape)
        links.append(candidate)
        used += size(candidate) + 3
    rest = len(item.sources) - len(links)
    return head + " · ".join(links) + (f" · +{rest} more" if rest else "")


def _header(d: Digest) -> dict[str, Any]:
    text = trim(heading(d), MAX_HEADER)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


def _intro(d: Digest) -> str:
    """Time, count and description: "<!date^…|2026-02-11 08:00 UTC> · 3 stories · …"."""
    moment = d.generated_at or d.until
    when = f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{stamp(moment)}>"
    line = f"{when} · {story_count(len(d.items))}"
    if d.description:
        line += " · " + fit(d.description, 400, escape)
    return line


def _outro(d: Digest) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if d.more:
        blocks.append(_section(f"_{more_text(d.more)}_"))
    archive = safe_url(d.archive_url or "")
    if archive and len(archive) <= MAX_URL:
        blocks.append(_context(f"<{archive}|View in archive>"))
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _message(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
