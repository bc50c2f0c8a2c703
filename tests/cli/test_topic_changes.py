"""Topics are configuration: one added, renamed or edited in the config covers the articles
stored before the change (they are scored for it again), through the CLI as a user runs it."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, Run

Cli = Callable[..., Run]

PORTS = """
topics:
  ports:
    description: Ports, docks and shipping.
    terms: {port: 1.0, dock: 1.0, shipment: 1.0, harbour: 1.0, container: 0.8}
"""
RENAMED = """
topics:
  cyber:
    description: Cyberattacks on infrastructure.
    terms: {cyberattack: 1.0, hackers: 1.0, malware: 1.0, ransomware: 1.0, grid: 0.5}
"""


def _scored(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT topic, count(*) FROM article_topics WHERE member GROUP BY topic"))
            return {topic: n for topic, n in rows}
    finally:
        engine.dispose()


def test_a_topic_added_later_covers_what_is_stored(cli: Cli, workdir: Workdir) -> None:
    assert cli("ingest", DATA / "articles", "--json").json()["new"] == 3
    assert "ports" not in _scored(workdir.db_url)
    config = workdir.write("ports.yaml", PORTS)

    digest = cli("digest", "--topic", "ports", "--since", "365d", "--format", "json",
                 "--config", config)

    assert digest.code == 0, digest.err
    assert [i["title"] for i in digest.json()["items"]] == [
        "Customs officers seize two tonnes of cocaine in Rotterdam port"
    ]
    assert _scored(workdir.db_url)["ports"] == 1
    # The shipped topics (the default config) were not scored again and still answer.
    security = cli("digest", "--topic", "security", "--since", "365d", "--format", "json")
    assert security.json()["items"]


def test_renamed_and_edited_topics_are_scored_again(cli: Cli, workdir: Workdir) -> None:
    cli("ingest", DATA / "articles", "--json")
    config = workdir.write("cyber.yaml", RENAMED)
    found = cli("digest", "--topic", "cyber", "--since", "365d", "--format", "json",
                "--config", config).json()["items"]
    assert [i["title"] for i in found] == ["Cyberattack knocks out power grid control systems"]

    wider = RENAMED.replace("grid: 0.5", "grid: 0.5, cocaine: 1.0, customs: 1.0")
    edited = workdir.write("cyber2.yaml", wider)
    items = cli("digest", "--topic", "cyber", "--since", "365d", "--format", "json",
                "--config", edited).json()["items"]
    assert len(items) == 2 and _scored(workdir.db_url)["cyber"] == 2


def test_articles_ingested_under_another_config_are_scored_for_the_topic(
    cli: Cli, workdir: Workdir
) -> None:
    """A topic taken out of the config and put back unchanged (or a cron ingest run with
    the shipped config): what was ingested meanwhile is scored for it at the next command."""
    config = workdir.write("ports.yaml", PORTS)
    port = DATA / "articles" / "port-cocaine-seizure.txt"
    other = workdir.write("later/harbour.txt", "Harbour pilots strike at the port\n\n"
                          "Pilots at the container port walked out, halting every shipment.\n")
    assert cli("ingest", port, "--config", config, "--json").json()["new"] == 1
    assert cli("ingest", other.parent, "--json").json()["new"] == 1  # shipped topics only
    items = cli("digest", "--topic", "ports", "--since", "365d", "--format", "json",
                "--config", config).json()["items"]
    assert sorted(i["title"] for i in items) == [
        "Customs officers seize two tonnes of cocaine in Rotterdam port",
        "Harbour pilots strike at the port",
    ]
