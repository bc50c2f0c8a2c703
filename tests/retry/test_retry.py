"""Retry-After values: seconds or an HTTP date, read the same for feeds and chat senders."""

from __future__ import annotations

import pytest

from digests.retry import MAX_RETRY_AFTER, capped_retry_after
from digests.retry import retry_after_header as retry_after


def test_retry_after_forms() -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert retry_after("30", now) == 30.0
    assert retry_after(" 0 ", now) == 0.0
    assert retry_after("Tue, 14 Nov 2023 22:15:20 GMT", now) == 120.0
    assert retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0  # already past
    assert retry_after("", now) is None
    assert retry_after("-5", now) is None
    assert retry_after("next week", now) is None
    assert retry_after("1.5", now) == 1.5  # Discord's own answers carry fractions
    assert retry_after("nan", now) is None


@pytest.mark.parametrize(
    ("asked", "wait", "text"),
    [
        (120.0, 120.0, "retry after 120 s"),
        (86_400.0, 86_400.0, "retry after 86400 s"),  # exactly the cap: nothing was cut
        (86_400.4, 86_400.0, "retry after 86400 s"),  # not visibly more than the cap
        (604_800.0, 86_400.0, "retry after 86400 s (capped from 604800 s)"),
        (1e300, 86_400.0, "retry after 86400 s (capped from 1e+300 s)"),
    ],
)
def test_a_wait_beyond_the_cap_is_capped_and_says_so(asked: float, wait: float, text: str) -> None:
    assert MAX_RETRY_AFTER == 86_400.0
    assert capped_retry_after(asked) == (wait, text)
