"""Retention policy, pure: how old an article may get, and what must be kept whatever is asked.

An article is pruned when both its publication time and the time it was stored are older than
the cutoff. The stored time counts too because feeds and local folders keep offering old items
(a folder's files carry their modification time): pruned at once, they would be fetched, stored
and pruned again every day. Whatever the age asked for, nothing a digest window can still
include is pruned: the cutoff is never later than now minus (the longest digest window + the
misfire grace + a margin), so a window that may still be posted, or retried, finds its articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from digests.errors import UsageError

FOREVER = ("0", "forever")  # and null/empty: keep every article
MIN_AGE = timedelta(days=1)
MAX_AGE = timedelta(days=100 * 365)
SAFETY_MARGIN = timedelta(hours=1)  # clock skew between workers, a slow retry
# Near-duplicate bands are kept this long: a new article joins a story only of articles
# published within 7 days of it (store.articles.STORY_WINDOW); twice that leaves room for
# items that arrive late. Older bands are dead weight in the index.
BAND_INDEX_KEEP = timedelta(days=14)
_UNITS = (("y", 365 * 24), ("w", 7 * 24), ("d", 24), ("h", 1))  # hours per unit
_AGE = re.compile(r"(?:(\d{1,6})y)?(?:(\d{1,6})w)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?")
_HINT = "use a number and a unit (h, d, w, y), e.g. 90d, 26w, 1y; or 0/forever to keep all"


def parse_age(value: object) -> timedelta | None:
    """``"180d"`` -> 180 days; ``0``, ``"0"``, ``"forever"``, None or ``""`` -> None (keep
    forever). Anything else is a one-line ``UsageError``."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value == 0):
        return None
    if not isinstance(value, str):
        raise UsageError(f"bad age {value!r}: {_HINT}")
    raw = value.strip().lower()
    if raw in ("", *FOREVER):
        return None
    match = _AGE.fullmatch(raw)
    if match is None or not any(match.groups()):
        raise UsageError(f"bad age {_shown(value)}: {_HINT}")
    hours = sum(
        int(count) * per_unit
        for count, (_, per_unit) in zip(match.groups(), _UNITS, strict=True)
        if count is not None
    )
    age = timedelta(hours=hours)
    if age < MIN_AGE:
        raise UsageError(f"bad age {_shown(value)}: at least 1d (or 0/forever)")
    if age > MAX_AGE:
        raise UsageError(f"bad age {_shown(value)}: at most 100y")
    return age


def protected_span(windows: Iterable[timedelta], grace: timedelta) -> timedelta:
    """How far back a digest that can still be posted may reach: the longest window, plus the
    misfire grace (a missed slot is posted that late), plus ``SAFETY_MARGIN``."""
    return max(windows, default=timedelta(0)) + grace + SAFETY_MARGIN


def cutoff(now: datetime, age: timedelta, protected: timedelta) -> datetime:
    """Articles older than this (published and stored) may go: ``now - max(age, protected)``."""
    return now - max(age, protected)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:20] + "...")
