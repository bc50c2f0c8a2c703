"""Reading how long a server asks to be left alone (``Retry-After``), for the feed fetcher and
the chat senders alike."""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime


def retry_after_header(value: str, now: float) -> float | None:
    """Seconds from ``now`` (a Unix time) that a ``Retry-After`` header asks for: a number of
    seconds or an HTTP date; None when absent or unreadable, 0 for a date already past."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
