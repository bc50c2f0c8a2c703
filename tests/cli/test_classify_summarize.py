"""``classify`` and ``summarize``: files and folders in, JSON out, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, SAMPLE, SAMPLES, Run

Cli = Callable[..., Run]


def test_classify_sample_is_in_all_three_topics(cli: Cli, workdir: Workdir) -> None:
    run = cli("classify", SAMPLE, "--json")
    assert run.code == 0, run.err
    rows = run.json()
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert {"source", "title", "topics", "scores"} <= set(row)
    assert row["title"] == "Noem Cultivates Security Ties In Colombia Visit"
    assert Path(row["source"]).name == SAMPLE.name
    assert set(row["topics"]) == {"security", "migration", "drugs"}
    assert set(row["scores"]) == {"security", "migration", "drugs"}
    assert all(0.0 <= s <= 1.0 for s in row["scores"].values())
    assert not (workdir.path / "data" / "test.db").exists(), "classify stores nothing"


def test_classify_folder_gives_one_row_per_article(cli: Cli) -> None:
    rows = cli("classify", DATA / "articles", DATA / "feed.xml", "--json").json()
    by_title = {r["title"]: r for r in rows}
    assert len(rows) == 5
    assert "drugs" in by_title["Customs officers seize two tonnes of cocaine in Rotterdam port"][
        "topics"
    ]
    assert "migration" in by_title["Asylum seekers moved from crowded reception centre"]["topics"]
    assert "security" in by_title["Cyberattack knocks out power grid control systems"]["topics"]
    assert "drugs" in by_title["Fentanyl overdoses fall for the first time in a decade"]["topics"]


def test_classify_uses_the_configured_topics(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write(
        "c.yaml",
        "topics:\n  ports:\n    description: harbours\n    terms: {port: 3, containers: 2}\n",
    )
    rows = cli("classify", DATA / "articles", "--config", config, "--json").json()
    assert all(set(r["scores"]) == {"ports"} for r in rows)
    assert [r["title"] for r in rows if r["topics"] == ["ports"]] == [
        "Customs officers seize two tonnes of cocaine in Rotterdam port"
    ]


def test_summarize_one_file_is_an_object(cli: Cli) -> None:
    run = cli("summarize", SAMPLE, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert set(doc) == {"source", "title", "summary", "key_facts"}
    assert "declaration of intent" in doc["summary"]
    assert "biometric data exchange" in doc["summary"]
    facts = " ".join(doc["key_facts"])
    assert "1,700" in facts and "1,000" in facts


def test_summarize_folder_or_several_files_is_a_list(cli: Cli) -> None:
    folder = cli("summarize", SAMPLES, "--json").json()
    assert isinstance(folder, list) and len(folder) == 1
    assert folder[0]["title"].startswith("Noem")
    several = cli("summarize", SAMPLE, DATA / "articles" / "port-cocaine-seizure.txt", "--json")
    rows = several.json()
    assert [r["title"][:7] for r in rows] == ["Noem Cu", "Customs"]
    assert all(r["summary"] for r in rows)


def test_missing_or_unreadable_paths(cli: Cli, workdir: Workdir) -> None:
    for command in ("classify", "summarize"):
        missing = cli(command, workdir.path / "nope.txt", "--json")
        missing.assert_clean_error()
        assert "nope.txt" in missing.err and missing.out == ""
    empty = workdir.write("empty.md", "")
    only_bad = cli("summarize", empty, "--json")
    only_bad.assert_clean_error()
    assert "empty" in only_bad.err
    mixed = cli("summarize", empty, SAMPLE, "--json")
    assert mixed.code == 0
    assert [r["title"][:4] for r in mixed.json()] == ["Noem"]
    assert len(mixed.err_lines) == 1 and "empty.md" in mixed.err
