"""Fixtures shared by the scheduler tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import App


@pytest.fixture
def apps() -> Iterator[list[App]]:
    """Apps a test opens; closed after it."""
    opened: list[App] = []
    yield opened
    for app in opened:
        app.close()
