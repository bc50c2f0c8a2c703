"""``--help``, ``feeds export`` (OPML), ``db upgrade``: the housekeeping commands."""

from __future__ import annotations

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
