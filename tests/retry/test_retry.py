"""Retry-After values: seconds or an HTTP date, read the same for feeds and chat senders."""

from __future__ import annotations

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
