"""A digest as JSON-ready data (``digest --format json``, the archive's stored form) and back.

The shape extends the contract's ``{"topic", "items": [{"title", "summary", "sources":
[{"title", "url"}]}]}`` with the window, times (ISO 8601, UTC), key facts and ranking, so that
``parse(render(d)) == d``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, NotRequired

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one on 3.11

from digests.errors import UsageError
from digests.models import Digest, DigestItem, SourceLink
from digests.render._text import iso


def render(d: Digest) -> dict[str, Any]:
    """The digest as a dict of JSON types (str, int, float, bool, None, lists, dicts)."""
    return {
        "topic": d.topic,
        "description": d.description,
        "window": d.window,
        "since": iso(d.since),
        "until": iso(d.until),
        "generated_at": iso(d.generated_at) if d.generated_at else None,
        "color": d.color,
        "archive_url": d.archive_url,
        "more": d.more,
        "items": [_item(item) for item in d.items],
        "message": d.empty_text() if d.empty else "",  # what the text formats say when empty
    }


def _item(item: DigestItem) -> dict[str, Any]:
    return {
        "story_id": item.story_id,
        "title": item.title,
        "url": item.url,
        "summary": item.summary,
        "key_facts": list(item.key_facts),
        "sources": [{"title": s.title, "url": s.url, "source": s.source} for s in item.sources],
        "published": iso(item.published),
        "score": item.score,
        "updated": item.updated,
    }


# The shape as read back: what ``render`` writes, the optional parts optional.
class _SourceIn(TypedDict):
    title: str
    url: str
    source: NotRequired[str]


class _ItemIn(TypedDict):
    story_id: int
    title: str
    url: str
    summary: str
    sources: list[_SourceIn]
    published: datetime
    key_facts: NotRequired[list[str]]
    score: NotRequired[float]
    updated: NotRequired[bool]


class _DigestIn(TypedDict):
    topic: str
    since: datetime
    until: datetime
    items: list[_ItemIn]
    window: NotRequired[str]
    description: NotRequired[str]
    more: NotRequired[int]
    color: NotRequired[str]
    archive_url: NotRequired[str | None]
    generated_at: NotRequired[datetime | None]
    message: NotRequired[str]  # derived from the rest: read and ignored


@cache
def _adapter() -> TypeAdapter[_DigestIn]:
    """Built on first use, not at import."""
    return TypeAdapter(_DigestIn)


def parse(payload: Mapping[str, Any]) -> Digest:
    """Restore a Digest from ``render``'s output; a malformed payload is a one-line UsageError."""
    try:
        data = _adapter().validate_python(payload)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise UsageError(f"bad digest JSON: {where}: {first['msg']}") from e
    generated = data.get("generated_at")
    return Digest(
        topic=data["topic"],
        since=_utc(data["since"]),
        until=_utc(data["until"]),
        items=tuple(_item_in(item) for item in data["items"]),
        window=data.get("window", "24h"),
        description=data.get("description", ""),
        more=data.get("more", 0),
        color=data.get("color", ""),
        archive_url=data.get("archive_url"),
        generated_at=_utc(generated) if generated else None,
    )


def _item_in(item: _ItemIn) -> DigestItem:
    return DigestItem(
        story_id=item["story_id"],
        title=item["title"],
        url=item["url"],
        summary=item["summary"],
        sources=tuple(
            SourceLink(title=s["title"], url=s["url"], source=s.get("source", ""))
            for s in item["sources"]
        ),
        published=_utc(item["published"]),
        score=item.get("score", 0.0),
        key_facts=tuple(item.get("key_facts", ())),
        updated=item.get("updated", False),
    )


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a time written without an offset is read as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
