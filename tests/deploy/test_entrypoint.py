"""``docker/entrypoint.sh`` run directly, as the container runs it: it waits for PostgreSQL,
brings the schema to head and execs the command; against a database that never answers it
gives up after ``DIGESTBOT_DB_WAIT`` seconds with one line and exit 2, running nothing.

The real PostgreSQL on this machine (``$DIGESTBOT_TEST_PG``) gets a fresh database per test;
those tests skip with the reason when it is unreachable.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from digests.store.migrate import current_revision, head_revision
from tests.deploy.tcp_forward import forwarding

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
BIN = Path(sys.executable).parent  # the venv's python and digestbot, as on the image's PATH
# Prints its pid and arguments: equal pids show the command replaced the entrypoint (exec).
SHOW = [str(BIN / "python"), "-c", "import os, sys; print(os.getpid(), *sys.argv[1:])"]


def run_entrypoint(
    args: list[str], tmp_path: Path, timeout: float = 60, **env: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the script in ``tmp_path`` (no config file there: built-in defaults)."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DIGESTBOT_CONFIG", "DIGESTBOT_DATABASE_URL", "DIGESTBOT_DB_WAIT",
                            "DIGESTBOT_SKIP_MIGRATE")}
    environ["PATH"] = f"{BIN}:{environ.get('PATH', '/usr/bin:/bin')}"
    environ.update(env)
    proc = subprocess.Popen([str(ENTRYPOINT), *args], cwd=tmp_path, env=environ, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


@pytest.fixture
def fresh_pg(pg_admin: Engine) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (dropped afterwards)."""
    name = f"entry_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield pg_admin.url.set(database=name).render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once closed


def test_dash_arguments_go_to_digestbot(tmp_path: Path) -> None:
    """Arguments that start with '-' go to digestbot; its exit status is the script's."""
    done, _ = run_entrypoint(["--config", "missing.yaml", "config", "check"], tmp_path,
                             DIGESTBOT_SKIP_MIGRATE="1")
    assert done.returncode == 2
    assert done.stderr == "missing.yaml:0: config file not found\n"


@pytest.mark.postgres
def test_waits_for_postgres_that_comes_up_late(fresh_pg: str, tmp_path: Path) -> None:
    """Nothing listens at first; the server appears 2 s later: the schema is upgraded, then
    the command replaces the script (same pid) and has stdout to itself."""
    assert _revision(fresh_pg) is None
    url = sa.make_url(fresh_pg)
    port = _closed_port()
    late = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    result: list[tuple[subprocess.CompletedProcess[str], int]] = []
    started = time.monotonic()
    runner = threading.Thread(target=lambda: result.append(run_entrypoint(
        [*SHOW, "up"], tmp_path, DIGESTBOT_DATABASE_URL=late, DIGESTBOT_DB_WAIT="30")))
    runner.start()
    time.sleep(2)
    with forwarding(port, (url.host or "127.0.0.1", url.port or 5432)):
        runner.join(60)
        took = time.monotonic() - started
    done, pid = result[0]
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{pid} up\n"
    assert "schema version" in done.stderr  # the upgrade reported on stderr
    assert 2 <= took < 30, took
    assert _revision(fresh_pg) == head_revision()


def test_sqlite_needs_no_wait_and_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "data" / "digestbot.db"
    done, pid = run_entrypoint([*SHOW, "ran"], tmp_path, DIGESTBOT_DATABASE_URL=f"sqlite:///{db}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{pid} ran\n"
    assert _revision(f"sqlite:///{db}") == head_revision()


def test_skip_migrate_runs_the_command_only(tmp_path: Path) -> None:
    db = tmp_path / "data" / "digestbot.db"
    done, _ = run_entrypoint([*SHOW, "ran"], tmp_path, DIGESTBOT_DATABASE_URL=f"sqlite:///{db}",
                             DIGESTBOT_SKIP_MIGRATE="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(" ran\n") and done.stderr == ""
    assert not db.exists()


def test_unreachable_postgres_gives_up_after_the_wait(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    url = f"postgresql+psycopg://digestbot:s3cret@127.0.0.1:{_closed_port()}/digestbot"
    started = time.monotonic()
    done, _ = run_entrypoint(["touch", str(marker)], tmp_path, DIGESTBOT_DATABASE_URL=url,
                             DIGESTBOT_DB_WAIT="2")
    took = time.monotonic() - started
    assert done.returncode == 2
    assert 2 <= took < 10, took  # it did wait, and not for long
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("entrypoint: database postgresql+psycopg://digestbot:***@")
    assert "not reachable after 2s" in lines[0] and "refused" in lines[0]
    assert "s3cret" not in done.stderr
    assert not marker.exists()


@pytest.mark.postgres
def test_missing_postgres_database_is_one_line(pg_admin: Engine, tmp_path: Path) -> None:
    url = pg_admin.url.set(database=f"missing_{uuid.uuid4().hex[:8]}")
    done, _ = run_entrypoint(["true"], tmp_path, DIGESTBOT_DB_WAIT="1",
                             DIGESTBOT_DATABASE_URL=url.render_as_string(hide_password=False))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0], done.stderr


def test_bad_wait_value_is_one_line(tmp_path: Path) -> None:
    done, _ = run_entrypoint(["true"], tmp_path, DIGESTBOT_DB_WAIT="soon",
                             DIGESTBOT_DATABASE_URL="postgresql+psycopg://x@127.0.0.1:1/x")
    assert done.returncode == 2
    assert done.stderr == "entrypoint: DIGESTBOT_DB_WAIT must be a number of seconds, not 'soon'\n"
