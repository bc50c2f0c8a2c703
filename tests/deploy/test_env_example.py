"""``.env.example`` documents every variable digestbot, the entrypoint and the Compose file
read, and carries no secret: every token is empty or commented out."""

from __future__ import annotations

import re
from pathlib import Path

from digests.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / ".env.example").read_text()
# Variables read in code: env.get("X"), environ.get("X"), env["X"], getenv("X").
_READ = re.compile(r"""(?:environ|env|getenv)(?:\.get)?\(?\[?\s*["']([A-Z][A-Z0-9_]+)["']""")


def _assigned() -> dict[str, str]:
    """NAME -> value for lines ``NAME=value`` and ``# NAME=value`` (documented, unset)."""
    found: dict[str, str] = {}
    for line in EXAMPLE.splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line.strip())
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def _mentioned(name: str) -> bool:
    return re.search(rf"\b{name}\b", EXAMPLE) is not None


def test_every_variable_the_code_reads_is_documented() -> None:
    read = {m for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "digests").rglob("*.py")]
            for m in _READ.findall(path.read_text(encoding="utf-8"))}
    read.add(Settings().llm.api_key_env)  # named in the config, read from the environment
    assert {"SLACK_BOT_TOKEN", "DIGESTBOT_DATABASE_URL", "PORT"} <= read  # the scan works
    assert sorted(n for n in read if not _mentioned(n)) == []


def test_every_variable_of_the_entrypoint_and_compose_is_documented() -> None:
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    names = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", entrypoint + compose))
    names |= set(re.findall(r'environ\.get\("([A-Z][A-Z0-9_]+)"', entrypoint))
    assert {"DIGESTBOT_DB_WAIT", "POSTGRES_PASSWORD", "DIGESTBOT_PORT"} <= names
    assert sorted(n for n in names if not _mentioned(n)) == []


def test_no_secret_values() -> None:
    values = _assigned()
    secrets = [n for n in values if re.search(r"TOKEN|SECRET|PASSWORD|KEY|AUTH|WEBHOOK", n)]
    assert "POSTGRES_PASSWORD" in secrets and "SLACK_BOT_TOKEN" in secrets
    assert {n: values[n] for n in secrets if values[n]} == {}


def test_every_variable_has_a_comment_above_it() -> None:
    lines = EXAMPLE.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            assert lines[i - 1].startswith("#"), f"{line!r} is not explained"
