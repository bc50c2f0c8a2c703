"""Digest windows as people type them ("24h", "7d", "1d12h"), parsed once at the edge."""

from __future__ import annotations

import re
from datetime import timedelta

from digests.errors import UsageError

MAX_WINDOW = timedelta(days=365)
_UNITS = (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1))  # minutes per unit
# Units largest first, each at most once: "1d12h" yes, "12h1d" and "1h1h" no.
_WINDOW = re.compile(r"(?:(\d{1,6})w)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?")
_HINT = "use a number and a unit (m, h, d, w), e.g. 90m, 24h, 7d, 2w or 1d12h"


def parse_window(text: str) -> timedelta:
    """Parse a window like "24h" or "1d12h"; anything else is a one-line UsageError."""
    raw = text.strip().lower()
    match = _WINDOW.fullmatch(raw) if raw else None
    if match is None:
        raise UsageError(f"bad window {_shown(text)}: {_HINT}")
    minutes = sum(
        int(value) * per_unit
        for value, (_, per_unit) in zip(match.groups(), _UNITS, strict=True)
        if value is not None
    )
    if minutes == 0:
        raise UsageError(f"bad window {_shown(text)}: must be longer than zero")
    window = timedelta(minutes=minutes)
    if window > MAX_WINDOW:
        raise UsageError(f"bad window {_shown(text)}: at most 365d")
    return window


def format_window(window: timedelta) -> str:
    """The short human form of a window: "90m" -> "1h30m", under two days in hours ("36h"),
    then in days ("7d", "1d12h" only past 48h: "2d12h"); never weeks."""
    minutes = int(window.total_seconds() // 60)
    if minutes <= 0:
        return "0m"
    units = _UNITS[1:] if minutes >= 48 * 60 else _UNITS[2:]
    parts = []
    for unit, per_unit in units:
        count, minutes = divmod(minutes, per_unit)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _shown(text: str) -> str:
    """The bad input as quoted in an error, cut short: the message stays one short line."""
    return repr(text if len(text) <= 24 else text[:20] + "...")


_DURATION = re.compile(
    r"(?:(\d{1,6})w)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?"
)
_SECONDS_PER_UNIT = (7 * 86400, 86400, 3600, 60, 1)


def parse_duration(text: str, *, allow_zero: bool = False) -> timedelta:
    """Parse an interval like "15m", "30s" or "1h30m" (poll intervals, jitter, leases).

    Like ``parse_window`` but seconds are allowed: a poll tick or a test schedule can be short.
    """
    raw = text.strip().lower()
    match = _DURATION.fullmatch(raw) if raw else None
    if match is None:
        raise UsageError(
            f"bad duration {_shown(text)}: use a number and a unit (s, m, h, d, w), e.g. 30s, 15m"
        )
    seconds = sum(
        int(value) * per_unit
        for value, per_unit in zip(match.groups(), _SECONDS_PER_UNIT, strict=True)
        if value is not None
    )
    if seconds == 0 and not allow_zero:
        raise UsageError(f"bad duration {_shown(text)}: must be longer than zero")
    duration = timedelta(seconds=seconds)
    if duration > MAX_WINDOW:
        raise UsageError(f"bad duration {_shown(text)}: at most 365d")
    return duration
