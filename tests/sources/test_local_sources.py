"""Source locations and folders as users hand them over: ``file://`` URLs, OPML lists under any
suffix, project files and stray JSON in folders, gzip-compressed files; and feed items whose
link is a script."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from digests.errors import SourceError
from digests.sources.feeds import parse_feed
from digests.sources.files import (
    MAX_FILE_BYTES,
    FolderScan,
    is_opml_file,
    local_path,
    read_file,
    read_local,
    scan_folder,
)
from digests.sources.sniff import sniff

OPML = (
    b'<?xml version="1.0"?><opml version="2.0"><body>'
    b'<outline xmlUrl="https://a.example/f"/></body></opml>'
)
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>'
    b"<item><title>One</title><link>https://w.example/1</link></item></channel></rss>"
)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("file:///srv/news/a%20b.txt", "/srv/news/a b.txt"),
        ("file://localhost/srv/news/a.txt", "/srv/news/a.txt"),
        ("FILE:///srv/news/a.txt", "/srv/news/a.txt"),
        ("file:/srv/news/a.txt", "/srv/news/a.txt"),
        ("file:///srv/gr%C3%A8ve%23%3F.txt#ignored", "/srv/grève#?.txt"),
        ("story.txt", "story.txt"),
        ("notes:today.txt", "notes:today.txt"),  # a colon, but no URL
    ],
)
def test_local_path(location: str, path: str) -> None:
    assert local_path(location) == Path(path)


def test_local_path_round_trips_as_uri_of_odd_names(tmp_path: Path) -> None:
    for name in ("a b.txt", "grève à quai.md", "100%.txt", "x#y?.txt", "raw\udcff.txt"):
        path = tmp_path / name
        assert local_path(path.as_uri()) == path, name


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("ftp://example.org/x", "unsupported URL scheme 'ftp' (http, https or a local path)"),
        ("s3://bucket/key", "unsupported URL scheme 's3' (http, https or a local path)"),
        ("file://server/share/a.txt", "file:// URL names the host 'server'"),
        ("file://", "file:// URL without a path"),
    ],
)
def test_local_path_refuses(location: str, reason: str) -> None:
    with pytest.raises(SourceError) as info:
        local_path(location)
    assert info.value.reason.startswith(reason)


def test_opml_root_is_sniffed_whatever_the_suffix(tmp_path: Path) -> None:
    assert sniff(OPML, complete=True).opml and sniff(OPML, complete=True).kind is None
    assert not sniff(RSS, complete=True).opml
    for name in ("feeds.opml", "export.xml", "subscriptions", "list.rss"):
        assert is_opml_file(write(tmp_path / name, OPML)), name
    assert is_opml_file(tmp_path / "missing.opml")  # named so: reading it says what is wrong
    assert not is_opml_file(write(tmp_path / "feed.xml", RSS))
    assert not is_opml_file(tmp_path / "missing.xml")
    with pytest.raises(SourceError, match="an OPML list of feeds, not an article or feed file"):
        read_file(tmp_path / "export.xml")


def test_scan_folder_sorts_files_from_lists_and_skips_what_is_no_news(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "A\nbody")
    write(tmp_path / "feed.xml", RSS)
    write(tmp_path / "feed.json", json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "items": []}))
    write(tmp_path / "cut.json", '{"version": "https://jsonfeed.org/version/1", "items": [')
    write(tmp_path / "page.html.gz", gzip.compress(b"<html><body><p>x</p></body></html>"))
    write(tmp_path / "lists" / "export.xml", OPML)
    write(tmp_path / "lists" / "reader.opml", OPML)
    write(tmp_path / "lists" / "old.opml.gz", gzip.compress(OPML))
    for name in ("README.md", "readme", "License.txt", "LICENSE-APACHE", "CHANGELOG",
                 "CONTRIBUTING.rst", "COPYING", "NOTICE", "package.json", "data.json",
                 "archive.tar.gz", "x.gz"):
        write(tmp_path / name, gzip.compress(b"\x00\x01") if name.endswith(".gz") else "x")

    scan = scan_folder(tmp_path)

    assert [p.name for p in scan.files] == [
        "a.txt", "cut.json", "feed.json", "feed.xml", "page.html.gz"
    ]
    assert [p.name for p in scan.lists] == ["export.xml", "old.opml.gz", "reader.opml"]
    # the truncated JSON Feed is kept, to fail as one
    failures = dict(read_local(tmp_path).failures)
    assert list(failures) == [str(tmp_path / "cut.json")]
    assert failures[str(tmp_path / "cut.json")].startswith("malformed JSON")


def test_fifos_named_like_sources_are_skipped_not_opened(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    for name in ("feed.xml", "story.txt", "list.opml"):
        os.mkfifo(tmp_path / name)  # opening one would block the walk for ever
    write(tmp_path / "a.txt", "A\nbody")
    assert scan_folder(tmp_path) == FolderScan(files=[tmp_path / "a.txt"], lists=[])


def test_project_file_names_are_skipped_only_when_they_are_one(tmp_path: Path) -> None:
    for name in ("notice-of-eviction.txt", "licensed-taxis.md", "readme-style-news.txt",
                 "changes.txt"):
        write(tmp_path / name, f"{name}\nbody")
    assert len(scan_folder(tmp_path).files) == 4


def test_gzip_is_read_by_inner_suffix_and_bounded(tmp_path: Path) -> None:
    text = write(tmp_path / "a.txt.gz", gzip.compress(b"Title line\nThe body.\n"))
    (article,) = read_file(text)
    assert (article.title, article.body, article.url) == ("Title line", "The body.", text.as_uri())
    feed = write(tmp_path / "feed.rss.gz", gzip.compress(RSS))
    assert [a.origin for a in read_file(feed)] == [feed.resolve().as_uri()]
    unknown = write(tmp_path / "feed__01.gz", gzip.compress(RSS))  # sniffed inside
    assert [a.title for a in read_file(unknown)] == ["One"]
    bomb = write(tmp_path / "b.html.gz", gzip.compress(b"a" * (MAX_FILE_BYTES + 1)))
    with pytest.raises(SourceError, match=r"too large when decompressed \(over 20,000,000"):
        read_file(bomb)
    empty = write(tmp_path / "e.txt.gz", gzip.compress(b""))
    with pytest.raises(SourceError, match="empty file"):
        read_file(empty)
    fake = write(tmp_path / "f.txt.gz", b"not gzip at all")
    with pytest.raises(SourceError, match="not a readable gzip file: Not a gzipped file"):
        read_file(fake)


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(document.cookie)", "  JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
     "vbscript:msgbox(1)"],
)
def test_script_links_are_never_article_urls(link: str) -> None:
    from xml.sax.saxutils import escape

    rss = (
        '<rss version="2.0"><channel><title>W</title>'
        f"<item><title>Attack kills 5 in capital</title><link>{escape(link)}</link></item>"
        f'<item><guid isPermaLink="false">tag:w,2026:a b#c</guid><link>{escape(link)}</link>'
        "<title>Second</title></item>"
        "</channel></rss>"
    ).encode()
    feed = "https://w.example/feed.xml"
    first, second = parse_feed(rss, feed).articles
    assert first.url == f"{feed}#item=Attack%20kills%205%20in%20capital"
    assert second.url == f"{feed}#item=tag:w,2026:a%20b%23c"
    items = [{"id": "i 1", "url": link, "title": "T"},
             {"external_url": link, "title": "Floods in the delta"}]
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
    a, b = parse_feed(doc.encode(), feed).articles
    assert (a.url, b.url) == (f"{feed}#item=i%201", f"{feed}#item=Floods%20in%20the%20delta")
