"""The console "platform": digests printed as Markdown on stdout; it always works, no token.

It is what ``digestbot run --once`` delivers to with the shipped config, so a fresh install
shows its digests without any chat set up. Message ids are ``console:<n>``, counted per process.
"""

from __future__ import annotations

import itertools
import sys
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
        return self._write(str(part.get("text", "")))

    async def send(self, target: Target, digest: Digest) -> list[str]:
        return [self._write(render_markdown.render(digest))]

    async def notify(self, target: Target, text: str) -> str:
        return self._write(f"[notice] {text}\n")

    def _write(self, text: str) -> str:
        stream = self._stream()
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.write("\n")
        stream.flush()
        return f"console:{next(self._ids)}"
