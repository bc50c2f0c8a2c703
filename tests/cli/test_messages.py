"""The wording of usage errors: one vocabulary, the usual ``digestbot: error:`` prefix, the
right usage text, and config messages in the config's words (YAML lists, not Python tuples)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cli.conftest import Workdir
from tests.cli.harness import Run

Cli = Callable[..., Run]


@pytest.mark.parametrize("command", ["classify", "summarize", "ingest"])
def test_a_missing_path_has_one_wording(cli: Cli, workdir: Workdir, command: str) -> None:
    run = cli(command, "nope.txt")
    assert run.code == 2, run.err
    assert "nope.txt: no such file or folder" in run.err
    assert "directory" not in run.err


@pytest.mark.parametrize("command", ["classify", "summarize"])
@pytest.mark.parametrize("url", ["https://example.org/news/story", "http://example.org/rss.xml"])
def test_a_url_to_classify_or_summarize_says_they_take_files(
    cli: Cli, workdir: Workdir, command: str, url: str
) -> None:
    run = cli(command, url, "--json")
    run.assert_clean_error()
    assert run.err.startswith(f"digestbot: error: {url}: {command} takes files and folders")
    assert "no such file" not in run.err and run.out == ""


@pytest.mark.parametrize("command", ["classify", "summarize"])
def test_classify_and_summarize_take_a_file_url_as_ingest_does(
    cli: Cli, workdir: Workdir, command: str
) -> None:
    story = workdir.write(
        "cartel story.txt", "Cartel boss arrested\n\nPolice seized 2 tonnes of cocaine.\n"
    )
    run = cli(command, story.as_uri(), "--json")
    assert run.code == 0, run.err
    out = run.json()
    first = out[0] if isinstance(out, list) else out
    assert first["title"] == "Cartel boss arrested"
    other = cli(command, "ftp://example.org/x.txt")
    other.assert_clean_error()
    assert "unsupported URL scheme 'ftp'" in other.err


@pytest.mark.parametrize("port", ["99999", "http", "-1", "65536"])
def test_a_bad_port_is_a_usage_error(cli: Cli, workdir: Workdir, port: str) -> None:
    run = cli("run", "--port", port)
    run.assert_clean_error()
    assert run.err.startswith("digestbot: error: argument --port: not a port number")


@pytest.mark.parametrize("group", ["config", "feeds", "db", "archive"])
def test_a_group_without_its_action_prints_its_own_usage(
    cli: Cli, workdir: Workdir, group: str
) -> None:
    run = cli(group)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"usage: digestbot {group} ")
    assert "ingest" not in run.err  # not the top-level command list


def test_a_string_where_a_list_belongs(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write(
        "digestbot.yaml", "channels:\n  desk:\n    platform: console\n    topics: security\n"
    )
    run = cli("config", "check", "--config", config)
    assert run.code == 2
    assert run.err_lines == [
        f"{config}:4: channels.desk.topics: should be a list, e.g. [security]"
    ]


BULLETED = """\
Drug raids across Europe

Police forces in six countries raided cartel warehouses this week in a coordinated operation \
against cocaine trafficking, Europol said.

The operation targeted the networks that ship cocaine from South America through the ports of \
Antwerp and Rotterdam.

Europol said the cartels used front companies to launder their profits through property and \
shipping firms.

- Police arrested 42 people in Madrid on 3 March after seizing 2 tonnes of cocaine.

* The court sentenced 5 smugglers to 10 years in prison on Friday.

• Customs officers seized 300 kg of heroin at the port of Rotterdam in January.

- Investigators froze 12 million euros in 40 bank accounts in Belgium.
"""


def test_key_facts_lose_the_articles_list_markers(cli: Cli, workdir: Workdir) -> None:
    article = workdir.write("raids.txt", BULLETED)
    facts = cli("summarize", article, "--json").json()["key_facts"]
    assert "The court sentenced 5 smugglers to 10 years in prison on Friday." in facts
    assert not [f for f in facts if f[:2] in ("- ", "* ", "• ")], facts
    assert cli("ingest", article).code == 0
    markdown = cli("digest", "--topic", "drugs").out
    assert "- The court sentenced 5 smugglers" in markdown
    assert "\\-" not in markdown and "\\*" not in markdown and "- •" not in markdown
