"""The bulk-ingest garbage-collector thresholds apply inside the block and never leak out."""

from __future__ import annotations

import gc

import pytest

from bot.gc_policy import BULK_THRESHOLDS, bulk_allocations


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with bulk_allocations():
        assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.isenabled()  # cycles are still collected, only less often
    assert gc.get_threshold() == before


def test_thresholds_are_restored_when_the_work_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_allocations():
        raise RuntimeError("the ingest failed")
    assert gc.get_threshold() == before
