"""The image recipe, checked without a Docker engine: its shape (slim 3.11, non-root, cached
dependency layer, /data volume, HEALTHCHECK, `digestbot run`), and its shell commands run here
for real: the dependency list it derives from pyproject.toml, and the HEALTHCHECK probe
against a live /healthz answering 200, answering 503, and not listening at all."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.deploy.dockerfile import Instruction, parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def steps() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE)


def _one(steps: list[Instruction], keyword: str) -> Instruction:
    found = [s for s in steps if s.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def _index(steps: list[Instruction], keyword: str, needle: str) -> int:
    for i, step in enumerate(steps):
        if step.keyword == keyword and needle in step.args:
            return i
    raise AssertionError(f"no {keyword} with {needle!r}")


def _env(steps: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for step in steps:
        if step.keyword == "ENV":
            for name, value in re.findall(r"(\w+)=(\S+)", step.args):
                values[name] = value
    return values


def test_slim_python_311_base(steps: list[Instruction]) -> None:
    assert steps[0].keyword == "FROM"
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", _one(steps, "FROM").args)


def test_dependencies_are_a_layer_of_their_own_before_the_code(steps: list[Instruction]) -> None:
    pyproject = _index(steps, "COPY", "pyproject.toml")
    deps = _index(steps, "RUN", "pip install -r")
    code = min(_index(steps, "COPY", "digests"), _index(steps, "COPY", "bot"))
    install = _index(steps, "RUN", "pip install --no-deps .")
    assert pyproject < deps < code < install
    assert steps[pyproject].args.split() == ["pyproject.toml", "./"]  # nothing else invalidates it


def test_runs_as_a_non_root_user_with_data_in_a_volume(steps: list[Instruction]) -> None:
    user = _one(steps, "USER").args
    assert user not in ("root", "0")
    assert _index(steps, "USER", user) < _index(steps, "CMD", "digestbot")
    assert _one(steps, "VOLUME").exec_form() == ["/data"]
    setup = steps[_index(steps, "RUN", "useradd")].args
    assert f"chown {user}:{user} /data" in setup  # a fresh named volume inherits the owner
    assert "ln -s /data /app/data" in setup  # the config's data/... paths land in the volume


def test_serves_http_on_all_interfaces_and_runs_the_bot(steps: list[Instruction]) -> None:
    env = _env(steps)
    assert env["PORT"] == "3000" and _one(steps, "EXPOSE").args == "3000"
    assert env["DIGESTBOT_HTTP_HOST"] == "0.0.0.0"
    assert env["DIGESTBOT_CONFIG"] == "/app/config/digestbot.yaml"
    assert _one(steps, "ENTRYPOINT").exec_form() == ["digestbot-entrypoint"]
    assert _one(steps, "CMD").exec_form() == ["digestbot", "run"]


def test_everything_copied_exists_and_is_not_docker_ignored(steps: list[Instruction]) -> None:
    ignored = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for must in (".env", ".git", ".venv", "data", "tests"):
        assert must in ignored, f".dockerignore must leave out {must}"
    for step in (s for s in steps if s.keyword == "COPY"):
        for source in step.args.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            hit = [p for p in ignored if fnmatch.fnmatch(source, p.removeprefix("**/"))]
            assert not hit, f"COPY {source} is excluded by .dockerignore {hit}"


def test_dependency_layer_installs_what_pyproject_declares(
    steps: list[Instruction], tmp_path: Path
) -> None:
    """The RUN line that writes the requirements, executed by sh here on a copy."""
    run = steps[_index(steps, "RUN", "pip install -r")].args
    write = run.split("&&")[0].replace("/tmp/requirements.txt", str(tmp_path / "req.txt"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["sh", "-c", write], cwd=tmp_path, env=env, check=True, timeout=30)
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    written = (tmp_path / "req.txt").read_text().splitlines()
    assert written == wanted["dependencies"] + wanted["optional-dependencies"]["postgres"]
    assert any(line.startswith("psycopg") for line in written)  # PostgreSQL works in the image


def _probe(steps: list[Instruction], port: int) -> subprocess.CompletedProcess[bytes]:
    """The HEALTHCHECK command as Docker would run it (``sh -c``), with ``PORT`` set."""
    options, sep, command = _one(steps, "HEALTHCHECK").args.partition(" CMD ")
    assert sep and "--interval=" in options and "--timeout=" in options
    env = {**os.environ, "PORT": str(port),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(["sh", "-c", command.strip()], env=env, capture_output=True,
                          timeout=30)


def test_healthcheck_passes_on_200(steps: list[Instruction], httpserver: HTTPServer) -> None:
    httpserver.expect_request("/healthz").respond_with_json({"status": "ok"})
    assert _probe(steps, httpserver.port).returncode == 0
    assert len(httpserver.log) == 1


def test_healthcheck_fails_on_503(steps: list[Instruction], httpserver: HTTPServer) -> None:
    httpserver.expect_request("/healthz").respond_with_json({"status": "unavailable"},
                                                            status=503)
    assert _probe(steps, httpserver.port).returncode != 0
    assert len(httpserver.log) == 1


def test_healthcheck_fails_when_nothing_listens(steps: list[Instruction]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        assert _probe(steps, port).returncode != 0
