"""The console "platform": digests printed as Markdown on stdout; it always works, no token.

It is what ``digestbot run --once`` delivers to with the shipped config, so a fresh install
shows its digests without any chat set up. A delivered part's message id is
``console:<delivery id>:<part>`` (the delivery ledger's ``ref``): unique in the store, and the
same if that part is sent again. Other writes (a notice, a chat reply) have
``console:<unix ms>-<pid>-<n>``, unique across processes without any store.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from bot.types import Target
from digests.models import Digest
from digests.render import markdown as render_markdown


class ConsoleSender:
    """``Sender`` (and part sender) writing to a text stream, stdout by default."""

    platform = "console"

    def __init__(self, stream: Callable[[], TextIO] | None = None) -> None:
        self._stream = stream or (lambda: sys.stdout)
        self._ids = itertools.count(1)

    def parts(self, target: Target, digest: Digest) -> list[dict[str, Any]]:
        """One part: the Markdown document."""
        return [{"text": render_markdown.render(digest)}]

    async def send_part(self, target: Target, part: dict[str, Any], *, ref: str) -> str:
        self._write(str(part.get("text", "")))
        return f"console:{ref}"

    async def send(self, target: Target, digest: Digest) -> list[str]:
        self._write(render_markdown.render(digest))
        return [self._fresh_id()]

    async def notify(self, target: Target, text: str) -> str:
        self._write(f"[notice] {text}\n")
        return self._fresh_id()

    def _write(self, text: str) -> None:
        stream = self._stream()
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.write("\n")
        stream.flush()

    def _fresh_id(self) -> str:
        return f"console:{time.time_ns() // 1_000_000}-{os.getpid()}-{next(self._ids)}"
