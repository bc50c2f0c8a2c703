"""read_local on real files in a temporary folder: every kind, and every way a file can fail."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.errors import SourceError
from digests.sources.files import MAX_FILE_BYTES, decode_text, read_file, read_local

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
MTIME = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return path


def test_txt_first_line_title_rest_body(tmp_path: Path) -> None:
    text = "\n\n  Troops   mass at border \nLine one.\n\n\nPara two.\n"
    path = write(tmp_path / "news" / "a.txt", text)
    (article,) = read_local(path).articles
    assert article.title == "Troops mass at border"
    assert article.body == "Line one.\n\nPara two."
    assert article.url == path.resolve().as_uri() and article.url.startswith("file:///")
    assert article.published == MTIME
    assert article.source == "news"


def test_markdown_heading_title_and_syntax_removed(tmp_path: Path) -> None:
    text = "# Cyber *attack* on grid\n\nHackers hit **three** substations.\n\n- one\n- [two](http://x)\n"
    (article,) = read_local(write(tmp_path / "a.md", text)).articles
    assert article.title == "Cyber attack on grid"
    assert article.body == "Hackers hit three substations.\n\none\n\ntwo"
    assert article.published == MTIME


def test_markdown_front_matter_wins(tmp_path: Path) -> None:
    text = (
        "---\ntitle: From front matter\ndate: 2025-12-24\nauthor: Sam\n---\n"
        "# Heading\n\nBody text.\n"
    )
    (article,) = read_local(write(tmp_path / "b.md", text)).articles
    assert article.title == "From front matter"
    assert article.published == datetime(2025, 12, 24, tzinfo=UTC)
    assert article.author == "Sam"
    assert "Body text." in article.body


@pytest.mark.parametrize(
    ("front", "published"),
    [
        ("published: 2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("date: 2024-03-01 10:30:00", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),  # naive: UTC
        ("published: 2024-03-01T10:30:00+02:00", datetime(2024, 3, 1, 8, 30, tzinfo=UTC)),
        ("date: '2024-03-01T10:30:00Z'", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
        ('published: "2024-03-01"', datetime(2024, 3, 1, tzinfo=UTC)),
        ("date: 2024-03-01 10:30:00 -0500", datetime(2024, 3, 1, 15, 30, tzinfo=UTC)),  # Jekyll
        ("date: Fri, 01 Mar 2024 10:30:00 GMT", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
        ("published: 2024-03-02\ndate: 2024-03-01", datetime(2024, 3, 2, tzinfo=UTC)),
        ("published:\ndate: 2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("title: No date", MTIME),
    ],
)
def test_markdown_front_matter_date_beats_mtime(
    tmp_path: Path, front: str, published: datetime
) -> None:
    text = f"---\n{front}\n---\n# Heading\n\nBody text.\n"
    (article,) = read_local(write(tmp_path / "dated.md", text)).articles
    assert article.published == published
    assert article.published.utcoffset() is not None


def test_markdown_front_matter_title_beats_heading_and_empty_front_matter_is_none(
    tmp_path: Path,
) -> None:
    titled = "---\ntitle: 'Front: matter'\n---\n# Heading\n\nBody.\n"
    (article,) = read_local(write(tmp_path / "t.md", titled)).articles
    assert article.title == "Front: matter" and article.body == "Heading\n\nBody."
    (plain,) = read_local(write(tmp_path / "e.md", "---\n---\n# Heading\n\nBody.\n")).articles
    assert plain.title == "Heading" and plain.published == MTIME


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        (
            "title: [unclosed",
            "bad front matter: line 2, column 17: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence from line 2)",
        ),
        ("title: a\n  b: c", "bad front matter: line 3, column 4: mapping values are not "),
        ("- just\n- a list", "bad front matter: not a mapping of keys to values (a YAML list)"),
        ("Just a sentence.", "bad front matter: not a mapping of keys to values (a YAML string)"),
        ("date: 2025-13-45", "bad front matter: month must be in 1..12"),
        ("published: next Tuesday", "bad front matter: published: 'next Tuesday' is not a date"),
        ("date: 2024", "bad front matter: date: '2024' is not a date"),
    ],
)
def test_markdown_bad_front_matter_is_a_failure(tmp_path: Path, front: str, reason: str) -> None:
    write(tmp_path / "good.md", "# Good\n\nBody.\n")
    bad = write(tmp_path / "bad.md", f"---\n{front}\n---\n# Heading\n\nBody text here.\n")
    result = read_local(tmp_path)
    assert [a.title for a in result.articles] == ["Good"]
    ((source, got),) = result.failures
    assert source == str(bad)
    assert got.startswith(reason) and "\n" not in got


def test_markdown_without_heading_uses_first_line(tmp_path: Path) -> None:
    (article,) = read_local(write(tmp_path / "c.md", "Plain *first* line\nSecond.\n")).articles
    assert article.title == "Plain first line"
    assert article.body == "Second."


def test_html_page(tmp_path: Path) -> None:
    path = shutil.copy(DATA / "article.html", tmp_path / "page.html")
    (article,) = read_local(Path(path)).articles
    assert article.title == "Port authority seizes record heroin haul"
    assert "1.2 tonnes of heroin" in article.body
    assert "international trafficking network" in article.body
    for junk in ("TRACKME", "INJECTED", "Subscribe", "color: red"):
        assert junk not in article.body
    assert article.published == datetime(2026, 2, 12, tzinfo=UTC)
    assert article.author == "Jo Marsh"


def test_feed_file(tmp_path: Path) -> None:
    path = Path(shutil.copy(DATA / "rss20.xml", tmp_path / "feed.rss"))
    result = read_local(path)
    titles = [a.title for a in result.articles]
    assert titles[:2] == ["Border agency & asylum backlog", "Second item"]
    assert result.failures == []


def test_folder_recursive_sorted_skips_hidden_and_collects_failures(tmp_path: Path) -> None:
    write(tmp_path / "b" / "z.txt", "Zed\nbody")
    write(tmp_path / "a.txt", "Alpha\nbody")
    write(tmp_path / "b" / "m.md", "# Em\n\nbody")
    write(tmp_path / ".hidden.txt", "Hidden\nbody")
    write(tmp_path / ".git" / "x.txt", "Git\nbody")
    write(tmp_path / "image.png", b"\x89PNG\r\n\x1a\n\x00")
    write(tmp_path / "empty.txt", "  \n\n")
    write(tmp_path / "bin.txt", b"abc\x00\x01\x02def")
    write(tmp_path / "broken.xml", b"<rss><channel><item>")
    result = read_local(tmp_path)
    assert [a.title for a in result.articles] == ["Alpha", "Em", "Zed"]
    reasons = {Path(p).name: r for p, r in result.failures}
    assert reasons == {
        "bin.txt": "binary file, not text",
        "broken.xml": reasons["broken.xml"],
        "empty.txt": "empty file",
    }
    assert reasons["broken.xml"].startswith(("malformed feed", "not an RSS"))


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        read_local(tmp_path / "nope.txt")


def test_folder_without_supported_files_raises(tmp_path: Path) -> None:
    write(tmp_path / "x.png", b"\x89PNG")
    with pytest.raises(SourceError, match="no article or feed files"):
        read_local(tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("bin.md", b"\x00\x01\x02\xff", "binary file"),
        ("photo.jpg", b"\xff\xd8\xff", "unsupported file type '.jpg'"),
        ("blank.html", b"<html><body></body></html>", "no article text found"),
    ],
)
def test_single_bad_file_is_a_failure(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    result = read_local(write(tmp_path / name, content))
    assert result.articles == []
    ((source, got),) = result.failures
    assert source.endswith(name) and got.startswith(reason)


def test_unreadable_file(tmp_path: Path) -> None:
    folder_named_txt = tmp_path / "dir.txt"
    folder_named_txt.mkdir()
    with pytest.raises(SourceError, match="cannot read: Is a directory"):
        read_file(folder_named_txt)
    path = write(tmp_path / "locked.txt", "Title\nbody")
    path.chmod(0)
    try:
        if not os.access(path, os.R_OK):  # root reads anything
            with pytest.raises(SourceError, match="cannot read: Permission denied"):
                read_file(path)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Grüße\n".encode("utf-8-sig"), "Grüße\n"),
        ("Grüße\n".encode("utf-16"), "Grüße\n"),
        (
            "Café crème brûlée à la française, déjà vu\n".encode("latin-1"),
            "Café crème brûlée à la française, déjà vu\n",
        ),
    ],
)
def test_decoding(data: bytes, text: str) -> None:
    assert decode_text(data, "x") == text


# --- files without a known suffix are sniffed ---------------------------------------------------

SNIFFED = {  # corpus-like names -> the fixture they hold
    "rss_feed__1a2b3c": "rss20.xml",
    "jsonfeed__abc123": "feed.json",
    "large_1.2MB_feed__01b5e6081cb62f3d": "atom.xml",
    "wire.rdf": "rss10.rdf",
    "feed.php": "rss20.xml",
}


@pytest.mark.parametrize(("name", "fixture"), SNIFFED.items())
def test_feed_without_known_suffix_reads_like_with_one(
    tmp_path: Path, name: str, fixture: str
) -> None:
    sniffed = Path(shutil.copy(DATA / fixture, tmp_path / name))
    suffixed = Path(shutil.copy(DATA / fixture, tmp_path / f"copy{Path(fixture).suffix}"))

    def key(path: Path) -> list[tuple[object, ...]]:
        """Everything but a url that falls back to the file's own (file://...#guid)."""
        articles = read_local(path).articles
        return [(a.title, a.body, a.guid, a.published, a.url.split("#")[-1]) for a in articles]

    assert key(sniffed) == key(suffixed)
    assert key(sniffed)
    assert read_local(sniffed).failures == []


def test_sniffed_feed_with_broken_declaration_and_rss_prefix(tmp_path: Path) -> None:
    data = (
        b"<!-- generated by a static site checker -->\n"
        b'<?xml?xml version="1.0" encoding="UTF-8" ??>\n'
        b"<rss rss:version=2.0><rss:channel><rss:title>T</rss:title>"
        b"<rss:item><rss:title>One</rss:title><rss:link>https://a.example/1</rss:link>"
        b"</rss:item></rss:channel></rss>"
    )
    path = write(tmp_path / "rss_prefixed_elements_xmldecl_broken__7ef13a42fa7e177a", data)
    assert [(a.title, a.url) for a in read_file(path)] == [("One", "https://a.example/1")]


def test_json_feed_with_version_after_its_items_is_sniffed(tmp_path: Path) -> None:
    items = [{"id": f"https://j.example/{i}", "content_text": f"Item {i} " * 40} for i in range(30)]
    doc = json.dumps(
        {"items": items, "title": "Sorted", "version": "https://jsonfeed.org/version/1"}
    )
    assert doc.index('"version"') > 4096
    write(tmp_path / "sorted_keys_feed", doc)
    result = read_local(tmp_path)
    assert len(result.articles) == 30 and result.failures == []


def test_folder_reads_sniffed_feeds_and_silently_skips_other_unknown_files(tmp_path: Path) -> None:
    shutil.copy(DATA / "rss20.xml", tmp_path / "feed__01")
    (tmp_path / "sub").mkdir()
    shutil.copy(DATA / "feed.json", tmp_path / "sub" / "jsonfeed__02")
    shutil.copy(DATA / "atom.xml", tmp_path / ".hidden_feed__03")  # hidden: skipped as ever
    write(tmp_path / "README", "# About\n\nThese are feeds.\n")
    write(tmp_path / "LICENSE", "MIT License\n")
    write(tmp_path / "style.xsl", "<?xml version='1.0'?><xsl:stylesheet version='1.0'/>")
    write(tmp_path / "package-lock", '{"name": "x", "version": "1.0.0"}')
    write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    write(tmp_path / "index.php", "<!doctype html><html><body>x</body></html>")
    write(tmp_path / "empty", b"")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")  # never opened: it would block
    result = read_local(tmp_path)
    expected = read_file(DATA / "rss20.xml") + read_file(DATA / "feed.json")
    assert [a.title for a in result.articles] == [a.title for a in expected]
    assert result.failures == []


def test_folder_of_only_unknown_non_feeds_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "README", "About\n")
    write(tmp_path / "data.bin", b"\x00\x01")
    with pytest.raises(SourceError, match="no article or feed files"):
        read_local(tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "large_1.2MB_note__01b5",
            b"<?xml version='1.0'?><note/>",
            "(no known suffix): not a feed or article file (XML with root <note>)",
        ),
        (
            "notes",
            b"Meeting notes\nbody",
            "(no known suffix): not a feed or article file (text: "
            "name it .txt or .md to read it as an article)",
        ),
        (
            "page.php",
            b"<!doctype html><html><body>x</body></html>",
            "'.php': not a feed or "
            "article file (an HTML page: name it .html to read it as an article)",
        ),
        (
            "package.json5",
            b'{"version": "1.0.0"}',
            "'.json5': not a feed or article file (JSON, not a JSON Feed)",
        ),
        (
            "photo.JPG",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
            "'.jpg': not a feed or article file (binary data)",
        ),
        ("v1.2", b"", "(no known suffix): not a feed or article file (an empty file)"),
    ],
)
def test_unknown_file_given_directly_says_what_it_looked_like(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(SourceError) as info:
        read_file(path)
    assert info.value.reason == f"unsupported file type {reason}"
    assert ".2mb" not in info.value.reason.lower()
    (failure,) = read_local(path).failures
    assert failure == (str(path), info.value.reason)


def test_folder_walk_reads_only_a_prefix_of_unknown_big_files(tmp_path: Path) -> None:
    io = Path("/proc/self/io")
    if not io.exists():
        pytest.skip("no /proc/self/io to count bytes read")
    big = tmp_path / "disk.img"
    with big.open("wb") as f:  # sparse: costs no disk, but reading it all would read 3x20 MB
        f.write(b"\x00\x01binary")
        f.truncate(3 * MAX_FILE_BYTES)
    write(tmp_path / "a.txt", "Alpha\nbody")

    def read_bytes_so_far() -> int:
        fields = dict(line.split(": ") for line in io.read_text().splitlines())
        return int(fields["rchar"])

    before = read_bytes_so_far()
    result = read_local(tmp_path)
    assert [a.title for a in result.articles] == ["Alpha"] and result.failures == []
    assert read_bytes_so_far() - before < 1_000_000
    with pytest.raises(SourceError, match="binary data"):
        read_file(big)
    assert read_bytes_so_far() - before < 2_000_000
