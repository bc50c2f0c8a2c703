"""Fixtures for store tests (the ``store`` fixture itself is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.store.builders import MakeArticle, make_article


@pytest.fixture
def new_article() -> MakeArticle:
    return make_article
