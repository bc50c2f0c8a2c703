"""``--help``, ``feeds export`` (OPML), ``db upgrade``: the housekeeping commands."""

from __future__ import annotations

import logging
import socket
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from digests.sources.opml import parse_opml
from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, Run, count_articles, run_subprocess

Cli = Callable[..., Run]
COMMANDS = ("ingest", "classify", "summarize", "digest", "search", "ask", "post", "run", "config")


def test_python_m_bot_help(workdir: Workdir) -> None:
    run = run_subprocess("--help", cwd=workdir.path)
    assert run.code == 0 and run.err == ""
    assert run.out.startswith("usage: digestbot")
    assert all(command in run.out for command in COMMANDS)


def test_console_script_help(workdir: Workdir) -> None:
    script = Path(sys.executable).parent / "digestbot"
    if not script.exists():
        pytest.skip(f"console script not installed at {script}")
    import subprocess

    proc = subprocess.run(
        [str(script), "ingest", "--help"], cwd=workdir.path, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--json" in proc.stdout and "SOURCE" in proc.stdout


def test_no_command_and_unknown_command(cli: Cli) -> None:
    bare = cli()
    assert bare.code == 2 and "usage: digestbot" in bare.err and bare.out == ""
    unknown = cli("frobnicate")
    unknown.assert_clean_error()
    assert "frobnicate" in unknown.err


def test_options_work_before_or_after_the_command(cli: Cli, workdir: Workdir) -> None:
    db = f"sqlite:///{workdir.path / 'other.db'}"
    assert cli("--db", db, "ingest", DATA / "articles", "--json").json()["new"] == 3
    assert cli("ingest", DATA / "articles", "--db", db, "--json").json()["duplicates"] == 3
    assert count_articles(db) == 3


def test_feeds_export_writes_opml_of_configured_and_stored_feeds(
    cli: Cli, workdir: Workdir
) -> None:
    config = workdir.write(
        "feeds.yaml",
        "sources:\n"
        "  - url: https://news.example.org/world.xml\n    name: World & Co\n"
        "  - url: https://wire.example.net/feed?x=1&y=2\n"
        "  - path: local/articles\n",
    )
    run = cli("feeds", "export", "--config", config)
    assert run.code == 0, run.err
    ET.fromstring(run.out)  # well-formed XML
    feeds = parse_opml(run.out.encode(), source="stdout")
    assert [(f.url, f.title) for f in feeds][:1] == [("https://news.example.org/world.xml",
                                                       "World & Co")]
    assert {f.url for f in feeds} == {
        "https://news.example.org/world.xml",
        "https://wire.example.net/feed?x=1&y=2",
    }
    out = workdir.path / "feeds.opml"
    written = cli("feeds", "export", "--config", config, "-o", out)
    assert written.code == 0 and written.out == ""
    assert out.read_text(encoding="utf-8") == run.out

    again = cli("ingest", out, "--config", config, "--json")  # an OPML file is a source list
    assert "Traceback" not in again.err and len(again.json()["failed"]) == 2


def test_feeds_export_with_no_feeds_is_valid_opml(cli: Cli) -> None:
    run = cli("feeds", "export")
    assert run.code == 0
    assert parse_opml(run.out.encode(), source="stdout") == []


def test_db_upgrade_creates_and_reports_the_schema(cli: Cli, store_url: str) -> None:
    first = cli("db", "upgrade", "--db", store_url)
    assert first.code == 0, first.err
    assert "schema version" in first.out
    again = cli("db", "upgrade", "--db", store_url)
    assert again.out == first.out
    assert count_articles(store_url) == 0


def test_bad_database_url_is_one_line(cli: Cli, workdir: Workdir) -> None:
    a_file = workdir.write("plain-file", "not a folder")
    for url in (
        "nosuchdialect://x",
        "not a url",
        f"sqlite:///{a_file}/x.db",
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
    ):
        run = cli("db", "upgrade", "--db", url)
        run.assert_clean_error()
        assert run.err.startswith("digestbot: error: ")


def test_run_on_a_taken_port_is_one_line_and_exit_2(workdir: Workdir) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_subprocess("run", "--db", workdir.db_url, cwd=workdir.path,
                             env={"PORT": str(port)})
    assert run.code == 2, run.err
    last = run.err.strip().splitlines()[-1]
    assert last.startswith(f"digestbot: error: cannot listen on 127.0.0.1:{port}: ")
    assert "--port" in last and "Traceback" not in run.err


def test_env_file_in_the_working_directory_is_read(workdir: Workdir) -> None:
    """Secrets and the config's ${NAME} values may live in .env; the environment wins."""
    workdir.write("c.yaml", "timezone: ${BEAT_TZ}\n")
    missing = run_subprocess("config", "check", "--config", "c.yaml", cwd=workdir.path)
    assert missing.code == 2 and "BEAT_TZ is not set" in missing.err
    workdir.write(".env", "BEAT_TZ=Europe/Madrid\n")
    found = run_subprocess("config", "check", "--config", "c.yaml", cwd=workdir.path)
    assert found.code == 0, found.err
    overridden = run_subprocess("config", "check", "--config", "c.yaml", cwd=workdir.path,
                                env={"BEAT_TZ": "Not/AZone"})
    assert overridden.code == 2 and "Not/AZone" in overridden.err  # the environment's value


def test_logged_errors_of_one_shot_commands_are_one_line() -> None:
    """A sender's unexpected error is logged as one line, not a traceback (-vv shows it)."""
    from bot.cli import _OneLineErrors

    formatter = _OneLineErrors("%(levelname)s %(message)s")
    try:
        raise ValueError("bad payload\nsecond line")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "send failed", None,
                                   sys.exc_info())
    text = formatter.format(record)
    assert text == ("ERROR send failed (ValueError: bad payload; "
                    "run with -vv for the traceback)")
