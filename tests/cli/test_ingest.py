"""``digestbot ingest``: files, folders, feeds; the JSON report; bad input never loses data."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Workdir
from tests.cli.harness import (
    DATA,
    SAMPLES,
    Run,
    count_articles,
    run_subprocess,
    skip_without_corpus,
)

Cli = Callable[..., Run]
GOOD = (DATA / "articles", DATA / "feed.xml", SAMPLES)
GOOD_COUNT = 3 + 2 + 1  # three article files, two feed items, the shipped sample


def test_folder_files_and_feed_are_stored_once(cli: Cli, workdir: Workdir) -> None:
    first = cli("ingest", *GOOD, "--json")
    assert first.code == 0, first.err
    assert first.json() == {"new": GOOD_COUNT, "duplicates": 0, "failed": []}
    assert count_articles(workdir.db_url) == GOOD_COUNT

    again = cli("ingest", *GOOD, "--json")
    assert again.code == 0
    assert again.json() == {"new": 0, "duplicates": GOOD_COUNT, "failed": []}
    assert count_articles(workdir.db_url) == GOOD_COUNT


def test_plain_output_counts(cli: Cli) -> None:
    run = cli("ingest", DATA / "articles")
    assert run.code == 0
    assert run.out.strip().splitlines()[0] == "3 new, 0 duplicates, 0 failed"


def test_ingest_postgres(cli: Cli, store_url: str) -> None:
    """The same run on the ``--db`` URL, SQLite and PostgreSQL; --db beats the env var."""
    first = cli("ingest", DATA / "articles", "--db", store_url, "--json")
    assert first.json() == {"new": 3, "duplicates": 0, "failed": []}
    again = cli("ingest", DATA / "articles", "--db", store_url, "--json")
    assert again.json() == {"new": 0, "duplicates": 3, "failed": []}
    assert count_articles(store_url) == 3


def test_no_sources_given_or_configured(cli: Cli, workdir: Workdir) -> None:
    run = cli("ingest", "--json")
    run.assert_clean_error()
    assert "no sources" in run.err and run.out == ""
    config = workdir.write("c.yaml", f"sources:\n  - path: {DATA / 'articles'}\n")
    configured = cli("ingest", "--config", config, "--json")
    assert configured.json() == {"new": 3, "duplicates": 0, "failed": []}


def _bad_sources(root: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, a word the one-line reason must contain)."""
    (root / "nothing").mkdir(parents=True)
    (root / "nothing" / "notes.docx").write_bytes(b"PK\x03\x04 not an article")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\n \n", encoding="utf-8")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (root / "broken.xml").write_text("<rss><channel><item><title>cut", encoding="utf-8")
    (root / "page.rss").write_text(
        "<!doctype html><html><head><title>Shop</title></head>"
        "<body><p>Buy things.</p></body></html>",
        encoding="utf-8",
    )
    (root / "bad.json").write_text('{"items": [', encoding="utf-8")
    return {
        "missing": (root / "no-such-file.txt", "no such file"),
        "no-articles": (root / "nothing", "no article"),
        "empty": (root / "empty.txt", "empty"),
        "blank": (root / "blank.md", "empty"),
        "binary": (root / "binary.txt", "binary"),
        "malformed-xml": (root / "broken.xml", "malformed"),
        "html-not-feed": (root / "page.rss", "html"),
        "bad-json": (root / "bad.json", "json"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "no-articles", "empty", "blank", "binary", "malformed-xml", "html-not-feed",
     "bad-json"],
)
def test_bad_source_is_one_failed_entry_and_keeps_the_store(
    cli: Cli, workdir: Workdir, case: str
) -> None:
    assert cli("ingest", SAMPLES, "--json").json()["new"] == 1
    path, reason_word = _bad_sources(workdir.path / "bad")[case]

    run = cli("ingest", path, "--json")

    run.assert_clean_error(lines=1)
    report = run.json()
    assert report["new"] == 0 and report["duplicates"] == 0
    assert len(report["failed"]) == 1
    failure = report["failed"][0]
    assert set(failure) == {"source", "error"}
    assert failure["source"] == str(path)
    assert reason_word in failure["error"].lower()
    assert "\n" not in failure["error"]
    assert not failure["error"].startswith(str(path)), "the source is not repeated in the reason"
    assert str(path) in run.err_lines[0] and failure["error"] in run.err_lines[0]
    assert count_articles(workdir.db_url) == 1


def test_good_and_bad_sources_together(cli: Cli, workdir: Workdir) -> None:
    folder = workdir.path / "mixed"
    shutil.copytree(DATA / "articles", folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.html").write_bytes(b"\x00\x01\x02\x03" * 100)
    missing = workdir.path / "gone.md"

    run = cli("ingest", folder, DATA / "feed.xml", missing, "--json")

    assert run.code == 0, "some sources worked"
    report = run.json()
    assert report["new"] == 5 and report["duplicates"] == 0
    failed = {Path(f["source"]).name: f["error"] for f in report["failed"]}
    assert set(failed) == {"empty.txt", "junk.html", "gone.md"}
    assert len(run.err_lines) == 3 and "Traceback" not in run.err
    assert count_articles(workdir.db_url) == 5


def test_corpus_odd_feeds_without_suffixes_are_ingested(cli: Cli, workdir: Workdir) -> None:
    """odd/ holds feeds named like ``large_1.2MB_feed__01b5...``: sniffed, read as given."""
    odd = skip_without_corpus("feeds", "odd")
    first = cli("ingest", odd, "--json")
    assert first.code == 0, first.err
    assert first.err_lines == []
    report = first.json()
    assert report["failed"] == []
    assert report["new"] + report["duplicates"] == 183  # every item of the six feeds
    assert report["new"] >= 150
    assert count_articles(workdir.db_url) == report["new"]

    again = cli("ingest", odd, "--json").json()
    assert again == {"new": 0, "duplicates": 183, "failed": []}

    folder = workdir.path / "odd"  # the same files with suffixes: the very same articles
    folder.mkdir()
    for file in sorted(odd.iterdir()):
        suffix = ".json" if file.name.startswith("jsonfeed") else ".xml"
        shutil.copyfile(file, folder / (file.name.replace(".", "_") + suffix))
    assert cli("ingest", folder, "--json").json() == {"new": 0, "duplicates": 183, "failed": []}
    single = cli("ingest", next(odd.glob("large_1.2MB_feed__*")), "--json")
    assert single.code == 0 and single.json()["duplicates"] > 0
    assert count_articles(workdir.db_url) == report["new"]


def test_unknown_file_given_directly_is_one_line_without_its_fake_suffix(
    cli: Cli, workdir: Workdir
) -> None:
    path = workdir.write("large_1.2MB_notes__01b5", "Meeting notes\nWe met.\n")
    run = cli("ingest", path, "--json")
    run.assert_clean_error(lines=1)
    (failure,) = run.json()["failed"]
    assert failure["error"].startswith("unsupported file type (no known suffix): not a feed")
    assert ".2mb" not in failure["error"].lower()
    assert count_articles(workdir.db_url) == 0


def test_truncated_feed_stores_nothing_and_blocks_nothing(cli: Cli, workdir: Workdir) -> None:
    """A feed cut off mid-download fails whole; the complete feed then stores every item."""
    assert cli("ingest", SAMPLES, "--json").json()["new"] == 1
    data = (DATA / "feed.xml").read_bytes()
    cut = workdir.path / "cut" / "feed.xml"
    cut.parent.mkdir()
    cut.write_bytes(data[: data.rindex(b"</channel>") + 7])  # ends in "</chann"

    run = cli("ingest", cut, "--json")

    run.assert_clean_error(lines=1)
    (failure,) = run.json()["failed"]
    assert failure == {
        "source": str(cut),
        "error": "malformed feed: truncated (no closing </rss>)",
    }
    assert run.json()["new"] == 0 and run.json()["duplicates"] == 0
    assert run.err_lines == [f"digestbot: failed {cut}: {failure['error']}"]
    assert count_articles(workdir.db_url) == 1

    complete = cli("ingest", DATA / "feed.xml", "--json")
    assert complete.json() == {"new": 2, "duplicates": 0, "failed": []}
    assert count_articles(workdir.db_url) == 3


def test_markdown_front_matter_date_and_bad_front_matter(cli: Cli, workdir: Workdir) -> None:
    workdir.write(
        "notes/dated.md", "---\ntitle: Dated note\npublished: 2024-03-01\n---\nBody text.\n"
    )
    bad = workdir.write("notes/bad.md", "---\ntitle: [unclosed\n---\n# Heading\n\nBody.\n")
    run = cli("ingest", workdir.path / "notes", "--json")
    assert run.code == 0, run.err
    report = run.json()
    assert report["new"] == 1
    (failure,) = report["failed"]
    assert failure["source"] == str(bad)
    assert failure["error"].startswith("bad front matter: line 2, column 17: expected ',' or ']'")
    assert len(run.err_lines) == 1 and "Traceback" not in run.err
    found = cli("search", "Dated note", "--json").json()
    assert [r["title"] for r in found] == ["Dated note"]


def test_edited_file_is_updated_in_place(cli: Cli, workdir: Workdir) -> None:
    """An article file edited after ingest: the next ingest stores the new text over the old
    (one article, same URL), counts it as a duplicate and says it was updated; search and
    summaries read the new text. The contract's JSON shape stays as it is."""
    note = workdir.write(
        "notes/raid.txt",
        "Police raid port warehouse\n\nPolice raided a warehouse at the port on Monday and "
        "seized 300 kilograms of cocaine, officials said.\n",
    )
    assert cli("ingest", note.parent, "--json").json()["new"] == 1
    note.write_text(
        "Police raid port warehouse\n\nPolice raided a warehouse at the port on Monday and "
        "seized 450 kilograms of heroin, officials said, correcting an earlier figure.\n",
        encoding="utf-8",
    )

    run = cli("ingest", note.parent)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == "0 new, 1 duplicates (1 updated), 0 failed"
    assert count_articles(workdir.db_url) == 1
    [hit] = cli("search", "heroin", "--json").json()
    assert hit["url"] == note.as_uri() and "450 kilograms" in hit["snippet"]
    assert cli("search", "cocaine", "--json").json() == []
    again = cli("ingest", note.parent, "--json")
    assert again.json() == {"new": 0, "duplicates": 1, "failed": []}


# --- end to end, as a user runs it --------------------------------------------------------


def test_subprocess_mixed_run(workdir: Workdir) -> None:
    env = {"DIGESTBOT_DATABASE_URL": workdir.db_url}
    (workdir.path / "empty.md").write_bytes(b"")
    run = run_subprocess(
        "ingest", str(SAMPLES), str(DATA / "feed.xml"), "empty.md", "missing.txt",
        "--json", cwd=workdir.path, env=env,
    )
    assert run.code == 0, run.err
    assert run.json()["new"] == 3
    assert len(run.err_lines) == 2 and "Traceback" not in run.err
    assert all(("empty.md" in line) != ("missing.txt" in line) for line in run.err_lines)


def test_subprocess_missing_file_is_exit_2_and_one_line(workdir: Workdir) -> None:
    run = run_subprocess(
        "ingest", "missing.txt", cwd=workdir.path,
        env={"DIGESTBOT_DATABASE_URL": workdir.db_url},
    )
    run.assert_clean_error(lines=1)
    assert "missing.txt" in run.err and "no such file" in run.err


@pytest.mark.parametrize(
    ("opml", "reason_word"),
    [('<opml version="2.0"><body><outline text="x" xmlUrl="https://a.example/f', "opml"),
     (None, "no such file")],
)
def test_broken_opml_is_one_failed_entry_and_the_rest_goes_in(
    cli: Cli, workdir: Workdir, opml: str | None, reason_word: str
) -> None:
    path = workdir.path / "feeds.opml"
    if opml is not None:
        path.write_text(opml, encoding="utf-8")
    run = cli("ingest", path, SAMPLES, "--json")
    assert run.code == 0, run.err
    report = run.json()
    assert report["new"] == 1
    [failure] = report["failed"]
    assert failure["source"] == str(path)
    assert reason_word in failure["error"].lower() and "\n" not in failure["error"]
    alone = cli("ingest", path, "--json")
    assert alone.code == 2 and alone.json()["failed"][0]["source"] == str(path)
