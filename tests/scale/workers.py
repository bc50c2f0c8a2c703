"""``digestbot run`` worker subprocesses for the scale-out test: start, wait healthy, stop, kill.

Each worker is a real process (``python -m bot run``) with its own ``PORT`` and log file; the
test kills every one it started in teardown, whatever happened.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 40.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               every: float = 0.2) -> None:
    """Poll ``predicate`` until it holds; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s: {what}")
        time.sleep(every)


@dataclass
class Worker:
    """One ``digestbot run`` process."""

    name: str
    config: Path
    cwd: Path
    env: Mapping[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.cwd / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config), "-v"],
                cwd=self.cwd, env={**self.env, "PORT": str(self.port)},
                stdout=log, stderr=subprocess.STDOUT,
            )

    def healthy(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited early:\n{self.log()[-3000:]}")
        try:
            url = f"http://127.0.0.1:{self.port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status) == 200
        except OSError:
            return False

    def terminate(self) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, leases and claims stay as they were."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def worker_env(base: Mapping[str, str] | None = None, **overrides: str) -> dict[str, str]:
    """The process environment without any real chat credentials, plus ``overrides``."""
    env = dict(os.environ if base is None else base)
    for name in ("SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN", "DIGESTBOT_CONFIG", "PORT"):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env
