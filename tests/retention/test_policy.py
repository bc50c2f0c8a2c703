"""The retention policy: ages as people write them, and the cutoff's safety floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.errors import UsageError
from digests.retention import BAND_INDEX_KEEP, cutoff, parse_age, protected_span
from digests.store.articles import STORY_WINDOW

NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "days"),
    [("180d", 180), ("26w", 182), ("1y", 365), ("2y", 730), ("1y2w3d", 382), (" 90D ", 90),
     ("36h", 1.5), ("1d", 1)],
)
def test_ages(text: str, days: float) -> None:
    assert parse_age(text) == timedelta(days=days)


@pytest.mark.parametrize("value", [None, 0, "0", "forever", "Forever", "", "  "])
def test_keep_forever(value: object) -> None:
    assert parse_age(value) is None


@pytest.mark.parametrize(
    ("value", "needle"),
    [("5x", "use a number and a unit"), ("180", "use a number and a unit"),
     (180, "use a number and a unit"), (True, "use a number and a unit"),
     ("12h", "at least 1d"), ("0d", "at least 1d"), ("101y", "at most 100y"),
     ("d", "use a number"), ("1d1y", "use a number")],
)
def test_bad_ages_are_one_line(value: object, needle: str) -> None:
    with pytest.raises(UsageError, match=needle) as info:
        parse_age(value)
    assert "\n" not in str(info.value)


def test_cutoff_never_reaches_into_windows_that_can_still_be_posted() -> None:
    protected = protected_span([timedelta(hours=24), timedelta(days=7)], timedelta(hours=6))
    assert protected == timedelta(days=7, hours=7)  # longest window + grace + margin
    assert cutoff(NOW, timedelta(days=90), protected) == NOW - timedelta(days=90)
    assert cutoff(NOW, timedelta(days=2), protected) == NOW - protected
    assert protected_span([], timedelta(hours=6)) == timedelta(hours=7)


def test_band_index_outlives_the_story_window() -> None:
    assert BAND_INDEX_KEEP >= STORY_WINDOW
