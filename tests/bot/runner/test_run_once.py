"""``digestbot run --once`` and the runner's small decisions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.runner import resolve_port, run_once
from digests.errors import ConfigError
from digests.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "config" / "samples"


def test_resolve_port_order() -> None:
    settings = Settings.model_validate({"http": {"port": 4000}})
    assert resolve_port(None, settings, env={}) == 4000
    assert resolve_port(5000, settings, env={}) == 5000
    assert resolve_port(None, settings, env={"PORT": "6000"}) == 6000
    assert resolve_port(5000, settings, env={"PORT": "6000"}) == 5000  # the flag wins
    with pytest.raises(ConfigError, match="not a port number"):
        resolve_port(None, settings, env={"PORT": "http"})


def test_run_once_prints_archives_and_does_not_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not any(SAMPLES.glob("*.txt")):
        pytest.skip(f"no sample articles in {SAMPLES}")
    settings = Settings.model_validate({
        "database": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "archive_dir": str(tmp_path / "archive"),
        "sources": [{"path": str(SAMPLES)}],
        "channels": {"console": {"platform": "console",
                                 "topics": ["security", "migration", "drugs"]}},
    })
    assert run_once(settings) == 0
    first = capsys.readouterr()
    assert first.out.startswith("# ") and "Sources" in first.out
    assert "digestbot: ingested" in first.err and "0 failed;" in first.err
    assert list((tmp_path / "archive").glob("*/*.md"))
    assert run_once(settings) == 0
    second = capsys.readouterr()
    assert second.out == ""  # every story was already delivered to the console
    assert "posted 0 digests" in second.err


def test_run_once_bad_database_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("channels: {console: {platform: console, topics: [security]}}\n")
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "bot", "run", "--once",
         "--config", str(config), "--db", "mysql://nowhere/x"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unsupported database" in done.stderr
