"""The Compose files: the shape an operator relies on (read as YAML here), and validation by
Debian's ``docker-compose config -q`` (the 1.x checker; files without ``version:`` are checked
against the Compose specification's schema), run on a copy laid out as the docs say:
``cp .env.example .env``, then set ``POSTGRES_PASSWORD``. No Docker engine is needed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def test_compose_spec_file_without_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose  # obsolete in the Compose spec; v2 warns about it
    assert set(compose["services"]) == {"db", "bot", "worker"}
    assert set(compose["volumes"]) == {"pgdata", "data"}


def test_postgres_16_with_named_volume_and_healthcheck(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "ports" not in db  # only the bots reach it


def test_bot_waits_for_healthy_db_and_publishes_http(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["env_file"] == ".env"
    assert bot["environment"]["DIGESTBOT_DATABASE_URL"].startswith(
        "postgresql+psycopg://${POSTGRES_USER:-digestbot}:${POSTGRES_PASSWORD:?")
    assert bot["environment"]["PORT"] == "3000"
    assert bot["ports"] == ["${DIGESTBOT_PORT:-3000}:3000"]
    assert "./config:/app/config:ro" in bot["volumes"]  # config read-only
    assert "data:/data" in bot["volumes"]


def test_second_worker_is_the_same_bot_behind_a_profile(compose: dict[str, Any]) -> None:
    bot, worker = compose["services"]["bot"], compose["services"]["worker"]
    assert worker["profiles"] == ["workers"]
    assert "ports" not in worker  # several may run (--scale): no host port to fight over
    same = {k: v for k, v in bot.items() if k != "ports"}
    assert {k: v for k, v in worker.items() if k != "profiles"} == same


# --- docker-compose config -q ------------------------------------------------------------------


def _docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose; "
                    ".ci/run installs it)")
    return found


def _project(tmp_path: Path, password: str | None) -> Path:
    """The compose file and a .env copied from .env.example, password set when given."""
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    env = (ROOT / ".env.example").read_text()
    if password is not None:
        env = env.replace("\nPOSTGRES_PASSWORD=\n", f"\nPOSTGRES_PASSWORD={password}\n")
        assert f"POSTGRES_PASSWORD={password}" in env
    (tmp_path / ".env").write_text(env)
    (tmp_path / "config").mkdir()
    return tmp_path


def _config(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_docker_compose(), *args, "config", *(["-q"] if not args else [])],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_docker_compose_validates_after_the_documented_edit(tmp_path: Path) -> None:
    _docker_compose()
    done = _config(_project(tmp_path, "Abc123xyz"))
    assert done.returncode == 0, done.stderr


def test_docker_compose_refuses_a_missing_password(tmp_path: Path) -> None:
    _docker_compose()
    done = _config(_project(tmp_path, None))
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in done.stderr


def test_workers_profile_resolves_to_two_bots_on_one_database(tmp_path: Path) -> None:
    _docker_compose()
    done = _config(_project(tmp_path, "Abc123xyz"), "--profile", "workers")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"db", "bot", "worker"}
    url = "postgresql+psycopg://digestbot:Abc123xyz@db:5432/digestbot"
    for name in ("bot", "worker"):
        assert services[name]["environment"]["DIGESTBOT_DATABASE_URL"] == url
        assert services[name]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "Abc123xyz"
