"""``digest``, ``search`` and ``ask`` over articles stored by a real ``ingest``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, REPO, SAMPLE, Run, run_subprocess

Cli = Callable[..., Run]
SAMPLE_TITLE = "Noem Cultivates Security Ties In Colombia Visit"


@pytest.fixture
def stored(cli: Cli, workdir: Workdir) -> Workdir:
    """The sample and the test articles, copied now so their file dates are inside 24h."""
    folder = workdir.path / "articles"
    shutil.copytree(DATA / "articles", folder)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    _touch_all(folder)
    month_ago = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    old = folder / "old-news.md"
    old.write_text(
        f"---\ntitle: Cartel leader extradited\ndate: {month_ago}\n---\n\n"
        "A drug cartel leader was extradited on cocaine trafficking charges.\n",
        encoding="utf-8",
    )
    report = cli("ingest", folder, "--json").json()
    assert report == {"new": 5, "duplicates": 0, "failed": []}
    return workdir


def _touch_all(folder: Path) -> None:
    """File articles are dated by their mtime: make them fresh, whatever the checkout's age."""
    for file in folder.iterdir():
        os.utime(file)


def test_digest_json_shape(cli: Cli, stored: Workdir) -> None:
    run = cli("digest", "--topic", "security", "--since", "24h", "--format", "json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["topic"] == "security"
    titles = [item["title"] for item in doc["items"]]
    assert SAMPLE_TITLE in titles
    assert "Customs officers seize two tonnes of cocaine in Rotterdam port" not in titles
    for item in doc["items"]:
        assert item["summary"]
        assert item["sources"] and all(set(s) >= {"title", "url"} for s in item["sources"])
    same = cli("digest", "--topic", "security", "--json").json()  # --json = --format json
    assert [(i["title"], i["sources"]) for i in same["items"]] == [
        (i["title"], i["sources"]) for i in doc["items"]
    ]


def test_digest_window_keeps_old_articles_out(cli: Cli, stored: Workdir) -> None:
    recent = cli("digest", "--topic", "drugs", "--since", "24h", "--format", "json").json()
    wide = cli("digest", "--topic", "drugs", "--since", "60d", "--format", "json").json()
    assert "Cartel leader extradited" not in [i["title"] for i in recent["items"]]
    assert "Cartel leader extradited" in [i["title"] for i in wide["items"]]


@pytest.mark.parametrize("fmt", ["markdown", "slack", "discord", "html"])
def test_digest_formats(cli: Cli, stored: Workdir, fmt: str) -> None:
    run = cli("digest", "--topic", "security", "--since", "24h", "--format", fmt)
    assert run.code == 0, run.err
    if fmt in ("slack", "discord"):
        payloads = json.loads(run.out)
        assert isinstance(payloads, list) and payloads
        assert SAMPLE_TITLE in json.dumps(payloads, ensure_ascii=False)
    elif fmt == "html":
        assert run.out.lstrip().lower().startswith("<!doctype html>")
        assert SAMPLE_TITLE in run.out
    else:
        assert f"[{SAMPLE_TITLE}](" in run.out


def test_undated_html_page_is_dated_by_its_file(cli: Cli, stored: Workdir) -> None:
    doc = cli("digest", "--topic", "security", "--since", "24h", "--json").json()
    assert "Cyberattack knocks out power grid control systems" in [i["title"] for i in doc["items"]]


@pytest.mark.parametrize(("window", "shown"), [("24h", "24h"), ("7d", "7d")])
def test_digest_empty_window_says_so(cli: Cli, workdir: Workdir, window: str, shown: str) -> None:
    run = cli("digest", "--topic", "migration", "--since", window)
    assert run.code == 0
    assert f"There is no news for migration in the last {shown}" in run.out
    doc = cli("digest", "--topic", "migration", "--since", window, "--json").json()
    assert doc["topic"] == "migration" and doc["items"] == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--topic", "sports"), "unknown topic 'sports'"),
        (("--topic", "security", "--since", "yesterday"), "bad window"),
        (("--topic", "security", "--since", "0h"), "bad window"),
        (("--topic", "security", "--since=-5h"), "bad window"),
        (("--topic", "security", "--since", "400d"), "bad window"),
        (("--topic", "security", "--format", "pdf"), "invalid choice"),
        (("--topic", "security", "--limit", "0"), "--limit"),
        (("--topic", "security", "--since", ""), "bad window"),
    ],
)
def test_digest_bad_options(cli: Cli, workdir: Workdir, args: tuple[str, ...], needle: str) -> None:
    run = cli("digest", *args)
    run.assert_clean_error()
    assert needle in run.err and run.out == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("search", ""), "search needs some words"),
        (("search", "  ", "--json"), "search needs some words"),
        (("ask", ""), "ask needs a question"),
        (("ask", "what?", "--since", ""), "bad window"),
        (("search", "cocaine", "--since", ""), "bad window"),
    ],
)
def test_search_and_ask_bad_input(cli: Cli, stored: Workdir, args: tuple[str, ...],
                                  needle: str) -> None:
    run = cli(*args)
    run.assert_clean_error()
    assert needle in run.err and run.out == ""


def test_search_shape_and_ranking(cli: Cli, stored: Workdir) -> None:
    rows = cli("search", "biometric data exchange", "--json").json()
    assert rows and rows[0]["title"] == SAMPLE_TITLE
    for row in rows:
        assert {"title", "url", "snippet", "score"} <= set(row)
        assert isinstance(row["score"], float)
    limited = cli("search", "the", "--limit", "1", "--json").json()
    assert len(limited) <= 1
    in_topic = cli("search", "cocaine", "--topic", "migration", "--json").json()
    assert "Customs officers seize two tonnes of cocaine in Rotterdam port" not in [
        r["title"] for r in in_topic
    ]


HOSTILE = [
    '"',
    '"unbalanced quote',
    "biometric NEAR data",
    "NEAR(biometric data, 2)",
    "*",
    "biom*",
    "((",
    ")) OR 1=1 --",
    "title:Noem",
    "AND OR NOT",
    "'; DROP TABLE articles; --",
    "x" * 10_000,
    "тест данные",
    "コロンビア 移民",
    "%_\\",
    "\x00",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_search_hostile_queries_never_break(cli: Cli, stored: Workdir, query: str) -> None:
    run = cli("search", query, "--json")
    assert "Traceback" not in run.err
    assert "sqlite" not in run.err.lower() and "syntax" not in run.err.lower()
    if run.code == 0:
        assert isinstance(run.json(), list)
    else:
        run.assert_clean_error()
    assert cli("search", "deportations", "--json").json()[0]["title"] == SAMPLE_TITLE


def test_search_plain_output(cli: Cli, stored: Workdir) -> None:
    assert SAMPLE_TITLE in cli("search", "biometric").out
    none = cli("search", "zzzyyyxxx")
    assert none.code == 0 and "No stored articles match" in none.out
    empty = cli("search", "")
    assert "Traceback" not in empty.err and (empty.code == 0 or len(empty.err_lines) == 1)


def test_search_on_postgres(cli: Cli, workdir: Workdir, store_url: str) -> None:
    assert cli("ingest", SAMPLE, "--db", store_url, "--json").json()["new"] == 1
    for query in ("biometric", 'NEAR "(', "*", "тест", "x" * 10_000):
        run = cli("search", query, "--db", store_url, "--json")
        assert run.code == 0 and "Traceback" not in run.err, (query, run.err)
    assert cli("search", "biometric", "--db", store_url, "--json").json()[0]["title"] == (
        SAMPLE_TITLE
    )


def test_ask_answers_with_the_fact_and_its_source(cli: Cli, stored: Workdir) -> None:
    run = cli("ask", "How many people were deported?", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert set(doc) >= {"answer", "sources"}
    assert "1,700" in doc["answer"]
    assert doc["sources"] and set(doc["sources"][0]) >= {"title", "url", "sentence"}
    assert doc["sources"][0]["title"] == SAMPLE_TITLE
    assert "1,700" in doc["sources"][0]["sentence"]


def test_ask_unrelated_question_has_an_empty_answer(cli: Cli, stored: Workdir) -> None:
    doc = cli("ask", "What is the boiling point of liquid nitrogen?", "--json").json()
    assert doc["answer"] == ""
    plain = cli("ask", "What is the boiling point of liquid nitrogen?")
    assert plain.code == 0 and "No stored article answers" in plain.out


def test_post_json_to_the_console_keeps_stdout_json(stored: Workdir) -> None:
    """The console channel prints its digest; with --json that goes to stderr, so stdout is
    one JSON document (a real process: the console writes to the process's stdout)."""
    run = run_subprocess("post", "--channel", "console", "--topic", "security", "--json",
                         "--db", stored.db_url, cwd=stored.path)
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert [d["channel"] for d in result["delivered"]] == ["console"]
    assert SAMPLE_TITLE in run.err  # the digest itself, on stderr


def test_reading_commands_start_without_numpy_or_the_feed_readers(workdir: Workdir) -> None:
    """search, digest and ask only read the store: they do not import numpy (MinHash, for
    writing), feedparser, httpx or trafilatura (for reading sources), which cost start-up."""
    heavy = ("numpy", "feedparser", "httpx", "trafilatura")
    code = (
        "import sys\n"
        "from bot.cli import main\n"
        "for args in (['search', 'port'], ['digest', '--topic', 'security'], ['ask', 'who?']):\n"
        "    main([*args, '--json'])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, cwd=workdir.path, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
