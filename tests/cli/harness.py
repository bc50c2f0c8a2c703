"""Run the real ``digestbot`` CLI, in-process (``bot.cli.main``) or as a subprocess.

A ``Run`` is what a user sees: the exit status, stdout and stderr. The environment is cleaned of
``DIGESTBOT_*`` and chat secrets so a developer's shell never leaks into a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from digests.store import Store

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = REPO / "config" / "samples"
SAMPLE = SAMPLES / "noem-colombia-visit.txt"
SHIPPED_CONFIG = REPO / "config" / "digestbot.yaml"
CORPUS = REPO / ".." / "shared" / "corpus"
_SCRUBBED = ("DIGESTBOT_", "SLACK_", "DISCORD_")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def assert_clean_error(self, *, lines: int | None = 1) -> None:
        """Exit 2, no traceback, and (by default) exactly one line on stderr."""
        assert self.code == 2, (self.code, self.out, self.err)
        assert "Traceback" not in self.err
        if lines is not None:
            assert len(self.err_lines) == lines, self.err


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    env.update(extra or {})
    return env


def run_subprocess(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> Run:
    """``python -m bot ARGS`` in ``cwd`` with a cleaned environment plus ``env``."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """``bot.cli.main(ARGS)`` in this process; argparse exits become a status too."""
    from bot.cli import main

    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse: --help, bad options
        code = e.code if isinstance(e.code, int) else 2
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def count_articles(db_url: str) -> int:
    store = Store.open(db_url)
    try:
        return store.count_articles()
    finally:
        store.close()


def skip_without_corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus folder absent: {path}")
    return path
