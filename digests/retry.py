"""Reading how long a server asks to be left alone (``Retry-After``), for the feed fetcher and
the chat senders alike."""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime

# A feed's server asking for more than this is more likely wrong than meant: it is polled
# again after this long, and its error says the wait was capped.
MAX_RETRY_AFTER = 86_400.0  # seconds (1 day)


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


def capped_retry_after(asked: float) -> tuple[float, str]:
    """The wait to honour for a feed server's ``asked`` seconds (at most ``MAX_RETRY_AFTER``)
    and how the error says it: ``retry after 120 s``, or ``retry after 86400 s (capped from
    604800 s)``, so an operator reading ``last_error`` knows the server asked for longer."""
    wait = min(asked, MAX_RETRY_AFTER)
    text = f"retry after {wait:.0f} s"
    if round(asked) > round(wait):
        shown = f"{asked:.0f}" if asked < 1e12 else f"{asked:.3g}"  # "1e+300", not 301 digits
        text += f" (capped from {shown} s)"
    return wait, text
