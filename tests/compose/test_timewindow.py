"""parse_window: the forms people type, and one-line errors for everything else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.errors import UsageError
from digests.timewindow import format_window, parse_window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1w2d3h4m", timedelta(weeks=1, days=2, hours=3, minutes=4)),
        (" 24H ", timedelta(hours=24)),
        ("365d", timedelta(days=365)),
    ],
)
def test_parse_window(text: str, expected: timedelta) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "use a number and a unit"),
        ("24", "use a number and a unit"),
        ("h", "use a number and a unit"),
        ("1.5h", "use a number and a unit"),
        ("-1h", "use a number and a unit"),
        ("12h1d", "use a number and a unit"),  # units largest first
        ("1h1h", "use a number and a unit"),
        ("24 h", "use a number and a unit"),
        ("1y", "use a number and a unit"),
        ("yesterday", "use a number and a unit"),
        ("9" * 5000 + "d", "use a number and a unit"),
        ("0h", "longer than zero"),
        ("0d0m", "longer than zero"),
        ("366d", "at most 365d"),
        ("53w", "at most 365d"),
        ("999999w", "at most 365d"),
    ],
)
def test_bad_window_is_one_line_usage_error(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as info:
        parse_window(text)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("24h", "24h"),
        ("7d", "7d"),
        ("90m", "1h30m"),
        ("1d12h", "36h"),
        ("3d4h5m", "3d4h5m"),
        ("2w", "14d"),
        ("45m", "45m"),
    ],
)
def test_format_window(text: str, shown: str) -> None:
    assert format_window(parse_window(text)) == shown
    assert parse_window(shown) == parse_window(text)
