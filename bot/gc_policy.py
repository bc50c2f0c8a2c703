"""Garbage-collector settings for bulk work in a command that runs once and exits."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young-generation collection every 50,000 net allocations instead of CPython's 700, and a
# full one a tenth as often: measured in bench/ingest_bench.py.
BULK_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def bulk_allocations() -> Iterator[None]:
    """Collect garbage less often while a bulk ingest runs.

    Parsing and preparing thousands of articles allocates millions of small objects that live
    until their batch is stored, and the default thresholds spend ~5% of an ingest's CPU walking
    them again and again. Cycles are still collected, only less often; the previous thresholds
    come back afterwards. Not for ``digestbot run``: a long-running process keeps the defaults.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
