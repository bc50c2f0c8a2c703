"""Read a Dockerfile into its instructions, as Docker does: continuation lines joined, comments
dropped. Enough for the deploy tests to check the image recipe and run its shell commands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    args: str  # the rest, continuation lines joined (without the backslash-newline)

    def exec_form(self) -> list[str] | None:
        """The JSON array form (``CMD ["digestbot", "run"]``), else None."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        return [str(v) for v in value]


def parse_dockerfile(path: Path) -> list[Instruction]:
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction is dropped
        if line.endswith("\\"):
            pending += raw.rstrip()[:-1]
            continue
        text = (pending + raw).strip()
        pending = ""
        keyword, _, args = text.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
    return instructions
