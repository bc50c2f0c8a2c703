"""Local files and folders to ``Article``s: plain text, Markdown, HTML pages and feed files.

A file article's url is its ``file://`` URL and its date the file's mtime unless the content
carries one (Markdown front matter, page metadata, feed entries). One bad file in a folder is a
failure entry; it never stops the others.
"""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import charset_normalizer
import yaml
from markdown_it import MarkdownIt

from digests.errors import SourceError
from digests.models import Article
from digests.sources.extract import html_to_text
from digests.sources.feeds import TITLE_WORDS, parse_feed
from digests.sources.htmltext import collapse, html_fragment_to_text, plain_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".json"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES
MAX_FILE_BYTES = 20_000_000

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WESTERN = frozenset({"cp1252", "latin_1", "iso8859_15"})
_MARKDOWN = MarkdownIt("commonmark")


@dataclass(frozen=True)
class LocalResult:
    """Articles read, and ``(path, reason)`` for every file that could not be read."""

    articles: list[Article] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def read_local(path: Path) -> LocalResult:
    """Articles of one file or of every supported file under a folder (recursive, sorted).

    A missing path, or a folder without a single supported file, raises SourceError; a file
    that cannot be read becomes a failure entry. Hidden files and folders are skipped, and so
    are unsupported files inside folders (a file given directly is a failure).
    """
    if not path.exists():
        raise SourceError(str(path), "no such file or folder")
    if path.is_dir():
        files = list(iter_source_files(path))
        if not files:
            raise SourceError(
                str(path), f"no article or feed files ({' '.join(sorted(SUPPORTED_SUFFIXES))})"
            )
    else:
        files = [path]
    result = LocalResult()
    for file in files:
        try:
            result.articles.extend(read_file(file))
        except SourceError as e:
            log.info("file skipped path=%s reason=%s", file, e.reason)
            result.failures.append((str(file), e.reason))
    return result


def iter_source_files(folder: Path) -> Iterator[Path]:
    """Supported, non-hidden files under ``folder``, sorted, symlinked folders not followed."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(dirpath) / name)
    yield from sorted(found)


def read_file(path: Path) -> list[Article]:
    """Articles of one file, chosen by its suffix; SourceError with a one-line reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(str(path), f"unsupported file type {suffix or '(no suffix)'!r}")
    data, mtime = _read_bytes(path)
    url = path.resolve().as_uri()
    source = path.resolve().parent.name or "local"
    if suffix in FEED_SUFFIXES:
        return list(parse_feed(data, url).articles)
    if suffix in HTML_SUFFIXES:
        return [_html_article(data, path, url, source, mtime)]
    text = decode_text(data, str(path))
    if suffix in MARKDOWN_SUFFIXES:
        return [_markdown_article(text, path, url, source, mtime)]
    return [_text_article(text, path, url, source, mtime)]


def decode_text(data: bytes, source: str) -> str:
    """Text of a file: BOM first, then UTF-8, then charset detection; binary is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as e:
                raise SourceError(source, f"cannot decode as {encoding}: {e.reason}") from e
    if b"\x00" in data:
        raise SourceError(source, "binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise SourceError(source, "binary file, not text (no text encoding fits)")
    # Short texts fit several single-byte code pages equally well: prefer the Western one.
    best = next(
        (m for m in matches if m.encoding in _WESTERN and m.chaos <= matches[0].chaos), matches[0]
    )
    text = str(best)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > len(text) // 20:
        raise SourceError(source, "binary file, not text")
    return text


def _read_bytes(path: Path) -> tuple[bytes, datetime]:
    try:
        stat = path.stat()
        if stat.st_size > MAX_FILE_BYTES:
            raise SourceError(str(path), f"file too large ({stat.st_size} bytes)")
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(str(path), f"cannot read: {e.strerror or e}") from e
    if not data.strip():
        raise SourceError(str(path), "empty file")
    return data, datetime.fromtimestamp(stat.st_mtime, tz=UTC)


def _text_article(text: str, path: Path, url: str, source: str, mtime: datetime) -> Article:
    """First non-empty line is the title, the rest the body (the contract's plain-file rule)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            title = collapse(line)
            body = plain_text("\n".join(lines[i + 1 :]))
            return Article(title=title, url=url, body=body, source=source, published=mtime)
    raise SourceError(str(path), "empty file")


def _markdown_article(text: str, path: Path, url: str, source: str, mtime: datetime) -> Article:
    """Front matter (``title``, ``date``, ``author``) when present; else the first heading."""
    meta, text = _front_matter(text)
    lines = text.splitlines()
    tokens = _MARKDOWN.parse(text)
    title = collapse(str(meta.get("title") or ""))
    if not title:
        heading = next((i for i, t in enumerate(tokens) if t.type == "heading_open"), None)
        first_block = next((i for i, t in enumerate(tokens) if t.map is not None), None)
        if heading is not None and heading == first_block and tokens[heading].map:
            start, end = tokens[heading].map or (0, 0)
            title = collapse(_markdown_text("\n".join(lines[start:end]).lstrip("# ")))
            lines = lines[:start] + lines[end:]
        else:
            for i, line in enumerate(lines):
                if line.strip():
                    title = collapse(_markdown_text(line.lstrip("# ")))
                    lines = lines[:i] + lines[i + 1 :]
                    break
    body = _markdown_text("\n".join(lines))
    if not title and not body:
        raise SourceError(str(path), "empty file")
    author = collapse(str(meta.get("author") or "")) or None
    return Article(
        title=title or _first_words(body),
        url=url,
        body=body,
        source=source,
        published=_meta_date(meta.get("date")) or mtime,
        author=author,
    )


def _markdown_text(markdown: str) -> str:
    return html_fragment_to_text(_MARKDOWN.render(markdown))


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    """YAML front matter between ``---`` lines at the top (Jekyll/Hugo style), if valid."""
    stripped = text.lstrip("\ufeff")
    if not stripped.startswith("---"):
        return {}, text
    lines = stripped.splitlines()
    if lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:end]))
            except yaml.YAMLError:
                return {}, text
            if isinstance(meta, dict):
                return {str(k): v for k, v in meta.items()}, "\n".join(lines[end + 1 :])
            return {}, text
    return {}, text


def _meta_date(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _meta_date(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _html_article(data: bytes, path: Path, url: str, source: str, mtime: datetime) -> Article:
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceError(str(path), "binary file, not HTML")
    page = html_to_text(data, url)
    if not page.text:
        raise SourceError(str(path), "no article text found in the page")
    return Article(
        title=collapse(page.title) or _first_words(page.text),
        url=url,
        body=plain_text(page.text),
        source=source,
        published=page.published or mtime,
        author=page.author,
    )


def _first_words(text: str) -> str:
    words = text.split()
    return " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
