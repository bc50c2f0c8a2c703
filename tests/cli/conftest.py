"""Each CLI test runs in a fresh working folder with its own SQLite file and a clean env."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.harness import Run, run_main


@dataclass(frozen=True)
class Workdir:
    path: Path
    db_url: str

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workdir:
    """cwd = a tmp folder (no config/digestbot.yaml), ``$DIGESTBOT_DATABASE_URL`` = a tmp file."""
    db_url = f"sqlite:///{tmp_path / 'data' / 'test.db'}"
    monkeypatch.chdir(tmp_path)
    for name in ("DIGESTBOT_CONFIG", "SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGESTBOT_DATABASE_URL", db_url)
    return Workdir(tmp_path, db_url)


@pytest.fixture
def cli(workdir: Workdir, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli("ingest", path, "--json")`` -> Run, through ``bot.cli.main`` in this process."""

    def run(*args: str | Path) -> Run:
        return run_main(capsys, *(str(a) for a in args))

    return run
