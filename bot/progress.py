"""A progress bar on stderr for long work, only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

MIN_ITEMS_FOR_BAR = 3


@contextmanager
def progress_reporter(total: int, label: str) -> Iterator[Callable[[str], None] | None]:
    """Yield a callback advancing a bar by one per finished item, or None when not useful."""
    if total < MIN_ITEMS_FOR_BAR or not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(item: str) -> None:
            bar.update(task, advance=1, description=f"{label} {item[-40:]}")

        yield advance
