"""JSON: the contract's shape, ISO times, and a lossless round trip through parse."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from digests.errors import UsageError
from digests.models import Digest
from digests.render import json as json_render


def _through_text(d: Digest) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(json.dumps(json_render.render(d)))
    return payload


def test_contract_shape(fixed_digest: Digest) -> None:
    payload = _through_text(fixed_digest)
    assert payload["topic"] == "security" and payload["window"] == "24h" and payload["more"] == 3
    item = payload["items"][0]
    assert isinstance(item["title"], str) and isinstance(item["summary"], str)
    assert item["sources"][0]["title"] == "Ceasefire talks resume"
    assert item["sources"][0]["url"] == "https://news.example.org/world/ceasefire-talks"
    assert item["published"] == "2026-02-11T06:00:00+00:00"
    assert payload["since"] == "2026-02-10T08:00:00+00:00"
    assert item["key_facts"] == [
        "Talks resumed on Tuesday in Geneva.",
        "A prisoner exchange is being discussed.",
    ]


def test_round_trip(
    fixed_digest: Digest, empty_digest: Digest, big_digest: Callable[..., Digest]
) -> None:
    for d in (fixed_digest, empty_digest, big_digest(30)):
        restored = json_render.parse(_through_text(d))
        assert restored == d
        assert restored.since.tzinfo is not None and all(i.published.tzinfo for i in restored.items)


def test_times_without_offset_read_as_utc(fixed_digest: Digest) -> None:
    payload = _through_text(fixed_digest)
    payload["since"] = "2026-02-10T08:00:00"
    payload["until"] = "2026-02-11T09:00:00+01:00"
    restored = json_render.parse(payload)
    assert restored.since == datetime(2026, 2, 10, 8, tzinfo=UTC)
    assert restored.until == datetime(2026, 2, 11, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda p: p.pop("topic"), "topic"),
        (lambda p: p["items"][0].pop("sources"), "items.0.sources"),
        (lambda p: p["items"][1].update(published="yesterday"), "items.1.published"),
        (lambda p: p.update(more="many"), "more"),
        (lambda p: p["items"][0]["sources"][0].update(url=None), "items.0.sources.0.url"),
    ],
)
def test_bad_payload_is_one_line_usage_error(
    mutate: Callable[[dict[str, Any]], object], where: str, fixed_digest: Digest
) -> None:
    payload = _through_text(fixed_digest)
    mutate(payload)
    with pytest.raises(UsageError, match=f"bad digest JSON: {where}: ") as info:
        json_render.parse(payload)
    assert "\n" not in str(info.value)


def test_not_an_object_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="bad digest JSON: payload: "):
        json_render.parse([1, 2])  # type: ignore[arg-type]
