"""``digestbot ingest``: the source forms an outside audit found refused or noisy, through the
CLI (``--json``): ``file://`` URLs, other URL schemes, OPML lists under any suffix or without
feeds, folders of real-world files (project files, stray JSON, gzip-compressed pages) and feed
items whose link is ``javascript:`` or ``data:``."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable

import pytest

from digests.sources.files import MAX_FILE_BYTES
from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, Run, count_articles, skip_without_corpus

Cli = Callable[..., Run]
FEED_TITLES = {
    "Ceasefire talks resume after weeks of shelling",
    "Fentanyl overdoses fall for the first time in a decade",
}
STORY = (
    "Harbour cranes idle as strike widens\n\nDock workers at the harbour walked out on Monday.\n"
)


def titles(cli: Cli, query: str) -> dict[str, str]:
    """title -> url of the stored articles a search finds."""
    return {hit["title"]: hit["url"] for hit in cli("search", query, "--json").json()}


def opml(*urls: str) -> str:
    outlines = "".join(f'<outline text="f{i}" xmlUrl="{u}"/>' for i, u in enumerate(urls))
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>'


# --- 1. file:// URLs wherever a source location is accepted --------------------------------


def test_file_url_arguments_are_read_as_local_paths(cli: Cli, workdir: Workdir) -> None:
    story = workdir.write("in box/grève à quai.txt", STORY)  # as_uri percent-encodes both
    folder = workdir.path / "articles"
    shutil.copytree(DATA / "articles", folder)
    assert "%20" in story.as_uri() and "%C3%A8" in story.as_uri()

    run = cli("ingest", story.as_uri(), folder.as_uri(), "--json")

    assert run.code == 0, run.err
    assert run.json() == {"new": 4, "duplicates": 0, "failed": []}
    assert titles(cli, "harbour cranes") == {
        "Harbour cranes idle as strike widens": story.as_uri()
    }
    # file://localhost/... and the plain path name the very same file
    localhost = story.as_uri().replace("file://", "file://localhost", 1)
    again = cli("ingest", localhost, str(story), "--json")
    assert again.json() == {"new": 0, "duplicates": 2, "failed": []}
    assert count_articles(workdir.db_url) == 4


def test_file_url_in_opml_and_config_sources(cli: Cli, workdir: Workdir) -> None:
    story = workdir.write("notes/strike.txt", STORY)
    lists = workdir.write("feeds.opml", opml((DATA / "feed.xml").as_uri()))
    config = workdir.write(
        "c.yaml", f"sources:\n  - path: {lists.as_uri()}\n  - path: {story.as_uri()}\n"
    )

    run = cli("ingest", "--config", config, "--json")

    assert run.code == 0, run.err
    assert run.json() == {"new": 3, "duplicates": 0, "failed": []}
    assert set(titles(cli, "ceasefire fentanyl")) == FEED_TITLES


def test_config_url_file_uri_is_read_as_its_path(cli: Cli, workdir: Workdir) -> None:
    """``url: file:///...`` (copied from ``feeds`` output or a browser) is the local path:
    it passes ``config check`` and ingests what ``path:`` ingests, percent-decoded."""
    story = workdir.write("in box/strike.txt", STORY)
    config = workdir.write(
        "c.yaml",
        f"sources:\n  - url: {(DATA / 'feed.xml').as_uri()}\n  - url: {story.as_uri()}\n",
    )

    check = cli("config", "check", "--config", config)
    assert check.code == 0, check.err
    assert "2 sources" in check.out

    run = cli("ingest", "--config", config, "--json")
    assert run.code == 0, run.err
    assert run.json() == {"new": 3, "duplicates": 0, "failed": []}
    assert titles(cli, "harbour cranes") == {
        "Harbour cranes idle as strike widens": story.as_uri()
    }
    as_path = workdir.write("p.yaml", f"sources:\n  - path: {story}\n")
    assert cli("ingest", "--config", as_path, "--json").json() == {
        "new": 0, "duplicates": 1, "failed": []
    }


@pytest.mark.parametrize("key", ["url", "path"])
def test_config_missing_file_uri_fails_at_ingest_like_a_missing_path(
    cli: Cli, workdir: Workdir, key: str
) -> None:
    """Existence is checked when the source is read, for ``url: file://`` as for ``path:``."""
    missing = (workdir.path / "gone" / "story.txt").as_uri()
    config = workdir.write("c.yaml", f"sources:\n  - {key}: {missing}\n")

    assert cli("config", "check", "--config", config).code == 0

    run = cli("ingest", "--config", config, "--json")
    run.assert_clean_error(lines=1)
    assert run.json()["failed"] == [{"source": missing, "error": "no such file or folder"}]


@pytest.mark.parametrize("key", ["url", "path"])
@pytest.mark.parametrize("command", [("config", "check"), ("ingest",)])
def test_config_file_uri_on_another_host_is_a_located_problem(
    cli: Cli, workdir: Workdir, key: str, command: tuple[str, ...]
) -> None:
    config = workdir.write(
        "c.yaml", f"sources:\n  - path: {DATA}\n  - {key}: file://fileserver/share/feeds\n"
    )
    run = cli(*command, "--config", config)
    run.assert_clean_error(lines=1)
    assert run.err_lines == [
        f"{config}:3: sources.1: file:// URL names the host 'fileserver': only local files "
        "can be read (file:///absolute/path)"
    ]
    assert count_articles(workdir.db_url) == 0


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("ftp://example.org/x", "unsupported URL scheme 'ftp' (http, https or a local path)"),
        ("gopher://example.org/feed",
         "unsupported URL scheme 'gopher' (http, https or a local path)"),
        ("file:///no/such/story.txt", "no such file or folder"),
        ("file://fileserver/share/story.txt", "file:// URL names the host 'fileserver': only "
         "local files can be read (file:///absolute/path)"),
    ],
)
def test_bad_url_sources_are_failed_entries(
    cli: Cli, workdir: Workdir, location: str, error: str
) -> None:
    run = cli("ingest", location, "--json")
    run.assert_clean_error(lines=1)
    assert run.json() == {
        "new": 0, "duplicates": 0, "failed": [{"source": location, "error": error}]
    }
    assert run.err_lines == [f"digestbot: failed {location}: {error}"]


def test_bad_scheme_inside_opml_fails_alone(cli: Cli, workdir: Workdir) -> None:
    listed = ("ftp://example.org/feed", (DATA / "feed.xml").as_uri())
    lists = workdir.write("feeds.opml", opml(*listed))
    run = cli("ingest", lists, "--json")
    assert run.code == 0, run.err
    assert run.json() == {
        "new": 2,
        "duplicates": 0,
        "failed": [{"source": "ftp://example.org/feed",
                    "error": "unsupported URL scheme 'ftp' (http, https or a local path)"}],
    }


# --- 2. and 3. OPML lists: any suffix, and one without feeds ------------------------------


def test_opml_saved_as_xml_is_a_list_given_directly_and_in_a_folder(
    cli: Cli, workdir: Workdir
) -> None:
    export = workdir.write("reader-export.xml", opml((DATA / "feed.xml").as_uri()))
    direct = cli("ingest", export, "--json")
    assert direct.code == 0, direct.err
    assert direct.json() == {"new": 2, "duplicates": 0, "failed": []}

    folder = workdir.path / "inbox"
    folder.mkdir()
    shutil.copy(export, folder / "subscriptions.xml")
    (folder / "story.txt").write_text(STORY, encoding="utf-8")
    in_folder = cli("ingest", folder, "--json")
    assert in_folder.code == 0, in_folder.err
    assert in_folder.json() == {"new": 1, "duplicates": 2, "failed": []}
    assert count_articles(workdir.db_url) == 3


def test_folder_of_only_an_opml_list_reads_its_feeds(cli: Cli, workdir: Workdir) -> None:
    workdir.write("lists/feeds.opml", opml((DATA / "feed.xml").as_uri()))
    run = cli("ingest", workdir.path / "lists", "--json")
    assert run.code == 0, run.err
    assert run.json() == {"new": 2, "duplicates": 0, "failed": []}


@pytest.mark.parametrize("name", ["empty.opml", "empty.xml"])
def test_opml_without_feeds_is_a_failed_entry(cli: Cli, workdir: Workdir, name: str) -> None:
    empty = workdir.write(name, "<opml><head/><body></body></opml>")
    run = cli("ingest", empty, "--json")
    run.assert_clean_error(lines=1)
    assert run.json() == {
        "new": 0,
        "duplicates": 0,
        "failed": [{"source": str(empty), "error": "no feeds in the OPML file"}],
    }
    with_other = cli("ingest", empty, DATA / "feed.xml", "--json")
    assert with_other.code == 0 and with_other.json()["new"] == 2
    assert with_other.json()["failed"] == [
        {"source": str(empty), "error": "no feeds in the OPML file"}
    ]


# --- 4. folders of real-world files --------------------------------------------------------


def test_folder_skips_project_files_and_stray_json_but_reads_them_given_directly(
    cli: Cli, workdir: Workdir
) -> None:
    folder = workdir.path / "repo"
    workdir.write("repo/story.txt", STORY)
    workdir.write("repo/notice-of-eviction.txt", "Tenants served eviction notices\n\nBody.\n")
    for name in ("README.md", "readme.txt", "LICENSE", "LICENSE-MIT", "LICENSE.txt",
                 "CHANGELOG.md", "CONTRIBUTING.md", "COPYING", "COPYING.LESSER", "NOTICE.txt"):
        workdir.write(f"repo/{name}", f"# {name}\n\nProject boilerplate, not news.\n")
    workdir.write("repo/package.json", '{"name": "x", "version": "1.0.0"}')
    workdir.write("repo/data/ground-truth.json", '{"a": {"articleBody": "text"}}')
    workdir.write("repo/broken.json", '{"items": [')

    run = cli("ingest", folder, "--json")

    assert run.code == 0, run.err
    assert run.json() == {"new": 2, "duplicates": 0, "failed": []}
    assert run.err_lines == []
    readme = cli("ingest", folder / "README.md", "--json")  # named: read like any article
    assert readme.json() == {"new": 1, "duplicates": 0, "failed": []}
    stray = cli("ingest", folder / "package.json", "--json")
    stray.assert_clean_error(lines=1)
    assert stray.json()["failed"] == [
        {"source": str(folder / "package.json"), "error": "JSON document, but not a JSON Feed"}
    ]


def test_gzip_files_are_read_by_their_inner_suffix(cli: Cli, workdir: Workdir) -> None:
    folder = workdir.path / "zipped"
    folder.mkdir()
    (folder / "strike.txt.gz").write_bytes(gzip.compress(STORY.encode()))
    (folder / "wire.xml.gz").write_bytes(gzip.compress((DATA / "feed.xml").read_bytes()))
    page = (DATA / "articles" / "grid-cyberattack.html").read_bytes()
    (folder / "grid.html.gz").write_bytes(gzip.compress(page))
    (folder / "backup.tar.gz").write_bytes(gzip.compress(b"\x00" * 1024))  # not a source

    run = cli("ingest", folder, "--json")

    assert run.code == 0, run.err
    assert run.json() == {"new": 4, "duplicates": 0, "failed": []}
    found = titles(cli, "harbour cranes strike")
    assert found["Harbour cranes idle as strike widens"] == (folder / "strike.txt.gz").as_uri()
    # the same page uncompressed is the same article text, under its own URL
    plain = cli("summarize", DATA / "articles" / "grid-cyberattack.html", "--json").json()
    assert plain["title"] in titles(cli, plain["title"])


def test_gzip_bomb_and_corrupt_gzip_fail_in_one_line(cli: Cli, workdir: Workdir) -> None:
    folder = workdir.path / "hostile"
    folder.mkdir()
    bomb = folder / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b" " * (MAX_FILE_BYTES + 1), compresslevel=9))
    assert bomb.stat().st_size < 100_000
    corrupt = folder / "cut.txt.gz"
    corrupt.write_bytes(gzip.compress(STORY.encode() * 50)[:60])
    (folder / "story.txt").write_text(STORY, encoding="utf-8")

    run = cli("ingest", folder, "--json")

    assert run.code == 0, run.err
    report = run.json()
    assert report["new"] == 1
    failed = {f["source"]: f["error"] for f in report["failed"]}
    assert failed == {
        str(bomb): f"too large when decompressed (over {MAX_FILE_BYTES:,} bytes)",
        str(corrupt): failed[str(corrupt)],
    }
    assert failed[str(corrupt)].startswith("not a readable gzip file: ")
    assert len(run.err_lines) == 2 and "Traceback" not in run.err
    alone = cli("ingest", bomb, "--json")
    alone.assert_clean_error(lines=1)


def test_corpus_gzipped_pages_with_license_and_ground_truth(cli: Cli, workdir: Workdir) -> None:
    """Part of the corpus' article-extraction benchmark as it ships: a LICENSE, a
    ground-truth.json and the pages as .html.gz. Every page goes in; neither other file."""
    aeb = skip_without_corpus("articles", "aeb")
    folder = workdir.path / "aeb"
    (folder / "html").mkdir(parents=True)
    shutil.copy(aeb / "LICENSE", folder / "LICENSE")
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    pages = sorted((aeb / "html").glob("*.html.gz"))[:4]
    (folder / "ground-truth.json").write_text(
        json.dumps({p.name.split(".")[0]: truth[p.name.split(".")[0]] for p in pages}),
        encoding="utf-8",
    )
    for page in pages:
        shutil.copy(page, folder / "html" / page.name)

    run = cli("ingest", folder, "--json")

    assert run.code == 0, run.err
    assert run.json() == {"new": len(pages), "duplicates": 0, "failed": []}
    hits = cli("search", "gaming", "--json").json()
    assert any(h["url"] == (folder / "html" / pages[0].name).as_uri() for h in hits)


# --- 5. feed items whose link is javascript: or data: ---------------------------------------


def test_script_links_fall_back_to_the_feed_url_with_an_escaped_fragment(
    cli: Cli, workdir: Workdir
) -> None:
    xss = workdir.write(
        "xss.rss",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        "<item><title>Terror attack kills 5 in capital</title>"
        "<link>javascript:alert(document.cookie)</link>"
        "<description>Gunmen attacked a market in the capital on Monday.</description>"
        "</item></channel></rss>",
    )
    data_link = workdir.write(
        "data.json",
        json.dumps({
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Wire",
            "items": [{"id": "item 1/a", "url": "data:text/html,<script>alert(1)</script>",
                       "title": "Floods displace thousands in delta",
                       "content_text": "Heavy rain flooded villages across the delta."}],
        }),
    )

    run = cli("ingest", xss, data_link, "--json")

    assert run.json() == {"new": 2, "duplicates": 0, "failed": []}
    assert titles(cli, "capital") == {
        "Terror attack kills 5 in capital":
            f"{xss.as_uri()}#item=Terror%20attack%20kills%205%20in%20capital"
    }
    assert titles(cli, "delta floods") == {
        "Floods displace thousands in delta": f"{data_link.as_uri()}#item=item%201/a"
    }


@pytest.mark.parametrize("link", ["", "<link>javascript:void(0)</link>"])
def test_items_without_a_link_of_their_own_stay_apart(
    cli: Cli, workdir: Workdir, link: str
) -> None:
    """Each link-less item of one feed is its own article (the fragment of its fallback URL
    is its identity), and a second ingest stores none of them again."""
    items = "".join(
        f"<item><title>{title}</title>{link}<guid isPermaLink=\"false\">{n}</guid>"
        f"<description>{body}</description></item>"
        for n, (title, body) in enumerate(
            [
                ("Border crossings fall", "Crossings at the southern border fell in March."),
                ("Cartel leader arrested", "Police arrested a cartel leader in Sinaloa."),
                ("Drone strike on depot", "A drone struck a fuel depot near the front."),
            ],
            start=1,
        )
    )
    feed = workdir.write(
        "wire.rss",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        f"{items}</channel></rss>",
    )

    assert cli("ingest", feed, "--json").json() == {"new": 3, "duplicates": 0, "failed": []}
    assert cli("ingest", feed, "--json").json() == {"new": 0, "duplicates": 3, "failed": []}
    assert titles(cli, "cartel") == {"Cartel leader arrested": f"{feed.as_uri()}#item=2"}
