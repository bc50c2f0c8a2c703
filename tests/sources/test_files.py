"""read_local on real files in a temporary folder: every kind, and every way a file can fail."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.errors import SourceError
from digests.sources.files import decode_text, read_file, read_local

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
