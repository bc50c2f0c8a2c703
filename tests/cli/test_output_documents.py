"""What an outside audit of the CLI found: every run prints one parseable document, HTML
fragments are read, libraries keep quiet without -v, console message ids do not repeat."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, SAMPLE, Run, run_subprocess, skip_without_corpus

Cli = Callable[..., Run]
TOPICS = ["security", "migration", "drugs"]  # the shipped config's, in its order


@pytest.fixture
def stored(cli: Cli, workdir: Workdir) -> Workdir:
    """The sample and the test articles, fresh (file articles are dated by their mtime)."""
    folder = workdir.path / "articles"
    shutil.copytree(DATA / "articles", folder)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    for file in folder.iterdir():
        os.utime(file)
    assert cli("ingest", folder, "--json").json()["new"] == 4
    return workdir


# --- digest without --topic: one document per run ----------------------------------------------


@pytest.mark.parametrize(("fmt", "key"), [("slack", "blocks"), ("discord", "embeds")])
def test_every_topic_in_one_json_document(cli: Cli, stored: Workdir, fmt: str, key: str) -> None:
    run = cli("digest", "--format", fmt)
    assert run.code == 0, run.err
    doc = json.loads(run.out)  # one document: three arrays back to back would not parse
    assert [entry["topic"] for entry in doc] == TOPICS
    for entry in doc:
        assert set(entry) == {"topic", "messages"}
        one = cli("digest", "--topic", entry["topic"], "--format", fmt).json()
        assert entry["messages"] == one  # the one-topic payloads, unchanged
        assert all(key in message for message in entry["messages"])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.decls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_decl(self, decl: str) -> None:
        self.decls.append(decl)


def test_every_topic_in_one_html_page(cli: Cli, stored: Workdir) -> None:
    run = cli("digest", "--format", "html")
    assert run.code == 0, run.err
    tags = _Tags()
    tags.feed(run.out)
    assert tags.decls == ["doctype html"]
    assert [t for t, _ in tags.starts].count("html") == 1
    assert [t for t, _ in tags.starts].count("body") == 1
    sections = [a["data-topic"] for t, a in tags.starts if t == "article"]
    assert sections == TOPICS
    assert "Noem Cultivates Security Ties In Colombia Visit" in run.out


def test_every_topic_json_and_markdown_unchanged(cli: Cli, stored: Workdir) -> None:
    doc = cli("digest", "--format", "json").json()
    assert [d["topic"] for d in doc] == TOPICS
    md = cli("digest", "--format", "markdown").out
    assert [line for line in md.splitlines() if line.startswith("# ")] == [
        "# Security — last 24h", "# Migration — last 24h", "# Drugs — last 24h"
    ]


@pytest.mark.parametrize("fmt", ["markdown", "slack", "discord", "html"])
def test_json_flag_conflicting_with_format_is_refused(cli: Cli, workdir: Workdir, fmt: str) -> None:
    run = cli("digest", "--topic", "drugs", "--format", fmt, "--json")
    run.assert_clean_error()
    assert "--json" in run.err and f"--format {fmt}" in run.err and run.out == ""


def test_json_flag_agreeing_with_format_is_fine(cli: Cli, workdir: Workdir) -> None:
    run = cli("digest", "--topic", "drugs", "--format", "json", "--json")
    assert run.code == 0 and run.json()["topic"] == "drugs"


# --- HTML fragments (reader-mode pages: no <html>, no <body>) ----------------------------------


def test_html_fragment_is_summarized(cli: Cli, workdir: Workdir) -> None:
    page = workdir.write(
        "fragment.html",
        '<div id="readability-page-1" class="page"><div>\n'
        "<p>The coast guard intercepted a fishing boat carrying 1.2 tonnes of cocaine off the "
        "Canary Islands on Tuesday, officials said.</p>\n"
        "<p>Five crew members were arrested and the vessel was towed to Las Palmas, where "
        "customs officers unloaded 40 bales of the drug.</p>\n"
        "<p>Investigators believe the shipment left Brazil two weeks ago.</p>\n</div></div>\n",
    )
    run = cli("summarize", page, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert "1.2 tonnes of cocaine" in doc["summary"]
    assert doc["title"].startswith("The coast guard intercepted")


@pytest.mark.corpus
def test_corpus_reader_fragment_is_summarized(cli: Cli, workdir: Workdir) -> None:
    page = skip_without_corpus("articles", "readability", "aclu", "expected.html")
    run = cli("summarize", page, "--json")
    assert run.code == 0, run.err
    assert "Facebook" in run.json()["summary"]


# --- libraries' logs -----------------------------------------------------------------------------


def _fragments(workdir: Workdir) -> Path:
    folder = workdir.path / "pages"
    for name in ("a", "b"):
        workdir.write(
            f"pages/{name}.html",
            f"<p>Story {name}: border guards stopped 30 migrants crossing the river at night, "
            "the interior ministry said on Monday.</p>",
        )
    workdir.write("pages/c.html", "<html><head><title>x</title></head><body></body></html>")
    return folder


def test_library_logs_are_silent_without_verbose(workdir: Workdir) -> None:
    """trafilatura logs ERROR/WARNING lines for every fragment ("not valid HTML"): a real
    process, since logging is only set up once per process."""
    folder = _fragments(workdir)
    quiet = run_subprocess("ingest", str(folder), "--json", cwd=workdir.path,
                           env={"DIGESTBOT_DATABASE_URL": workdir.db_url})
    assert "level=" not in quiet.err  # only the one line for the empty page
    assert json.loads(quiet.out)["new"] == 2, quiet.err
    assert [line for line in quiet.err.splitlines() if line.strip()] == [
        f"digestbot: failed {folder / 'c.html'}: no article text found in the page"
    ]
    loud = run_subprocess("ingest", str(folder), "-v", cwd=workdir.path,
                          env={"DIGESTBOT_DATABASE_URL": workdir.db_url})
    assert "level=ERROR logger=trafilatura" in loud.err
    assert "level=DEBUG" not in loud.err


def test_library_debug_logs_with_vv(workdir: Workdir) -> None:
    folder = _fragments(workdir)
    run = run_subprocess("ingest", str(folder), "-vv", cwd=workdir.path,
                         env={"DIGESTBOT_DATABASE_URL": workdir.db_url})
    libraries = {
        line.split("logger=")[1].split(".")[0].split()[0]
        for line in run.err.splitlines()
        if "level=DEBUG" in line and "logger=" in line
    }
    assert libraries - {"digestbot", "digests", "bot"}  # a library's debug lines show too


# --- console message ids ---------------------------------------------------------------------


BODIES = [
    "Hackers breached the ministry's servers in a cyberattack; the malware stole passwords "
    "and a ransomware gang claimed the data breach.",
    "A phishing campaign let intruders into the port authority's control systems; officials "
    "called it espionage by a state-backed hacking group and shut the network down.",
]


def _article(workdir: Workdir, n: int, title: str) -> Path:
    return workdir.write(f"a{n}.txt", f"{title}\n\n{BODIES[n]}\n")


def test_console_message_ids_do_not_repeat_across_processes(workdir: Workdir) -> None:
    env = {"DIGESTBOT_DATABASE_URL": workdir.db_url}
    ids = []
    titles = ["Ransomware hits ministry", "Spies break into port control systems"]
    for n, title in enumerate(titles):
        path = _article(workdir, n, title)
        assert run_subprocess("ingest", str(path), cwd=workdir.path, env=env).code == 0
        run = run_subprocess("post", "--channel", "console", "--topic", "security", "--json",
                             cwd=workdir.path, env=env)
        assert run.code == 0, run.err
        delivered = json.loads(run.out)["delivered"]
        assert len(delivered) == 1 and title in run.err
        ids.append(delivered[0]["message_id"])
    assert all(i.startswith("console:") for i in ids)
    assert len(set(ids)) == 2, ids
