"""Local files and folders to ``Article``s: plain text, Markdown, HTML pages and feed files.

A file article's url is its ``file://`` URL and its date the file's mtime unless the content
carries one (Markdown front matter, page metadata, feed entries). A feed file's items carry its
``file://`` URL as their origin (their GUIDs are unique within it); an article file has none.
One bad file in a folder is a failure entry; it never stops the others.

The suffix says what a file is; a gzip-compressed file (``page.html.gz``) by the suffix before
``.gz``, decompressed up to ``MAX_FILE_BYTES``. A file without a known suffix (``feed__1a2b``,
``index.php``) is sniffed from its first 4 KB: an XML document whose root is rss, feed or
rdf:RDF, or a JSON object with a jsonfeed.org ``version``, is read as a feed; anything else is
refused when named directly and skipped silently inside a folder. Inside a folder a ``.json``
file that is no JSON Feed (``package.json``, test fixtures) and a project's own files (README,
LICENSE, CHANGELOG, ...) are skipped too: they are not news. A file whose root is ``<opml>``
is a list of feeds whatever its suffix: the pipeline reads its feeds (``scan_folder``).

A source location may be a path or a ``file://`` URL (``local_path``), the form the bot itself
gives file articles.
"""

from __future__ import annotations

import codecs
import gzip
import logging
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Literal
from urllib.parse import unquote_to_bytes, urlsplit

import charset_normalizer
import yaml
from markdown_it import MarkdownIt

from digests.errors import SourceError, first_line
from digests.models import Article
from digests.sources.extract import html_to_text
from digests.sources.feeds import TITLE_WORDS, parse_feed
from digests.sources.htmltext import collapse, html_fragment_to_text, plain_text
from digests.sources.sniff import SNIFF_BYTES, Sniffed, sniff

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".json"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES
ARTICLE_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES
OPML_SUFFIX = ".opml"
GZIP_SUFFIX = ".gz"
MAX_FILE_BYTES = 20_000_000  # also the cap on a gzip file's decompressed size

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WESTERN = frozenset({"cp1252", "latin_1", "iso8859_15"})
_MARKDOWN = MarkdownIt("commonmark")
# A suffix worth quoting in a message (".jpg", ".docx"), not the tail of "large_1.2MB_feed__01b5".
_REAL_SUFFIX = re.compile(r"\.(?=[^.]*[A-Za-z])[A-Za-z0-9]{1,10}")
# What to tell a user about an unknown file that is not a feed, by what it looks like.
_RENAME_HINTS = {
    "text": "text: name it .txt or .md to read it as an article",
    "an HTML page": "an HTML page: name it .html to read it as an article",
}
# A project's own files, not news: skipped inside folders (read when named). Any case with a
# suffix (readme.md, LICENSE.txt, COPYING.LESSER); upper case with a tail (LICENSE-MIT), so
# that "notice-of-eviction.txt" stays an article.
_PROJECT_FILE = re.compile(
    r"(?i:readme|licen[cs]e|changelog|contributing|copying|notice)(?:\..*)?"
    r"|(?:README|LICEN[CS]E|CHANGELOG|CONTRIBUTING|COPYING|NOTICE)[-_].*",
    re.S,
)
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_OPML_IS = "an OPML list of feeds, not an article or feed file (ingest reads the feeds it lists)"


def local_path(location: str) -> Path:
    """The local path a source location names: a path as it is, or a ``file://`` URL
    (``file:///abs/path``, ``file://localhost/...``, ``file:/abs/path``) percent-decoded.

    Any other ``scheme://`` (ftp, a ``file://`` URL naming another host) is a SourceError; an
    http(s) URL is the caller's to fetch, never a path.
    """
    scheme = _URL_SCHEME.match(location)
    if location[:5].lower() == "file:" and (scheme or location[5:6] == "/"):
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost"):
            raise SourceError(
                location,
                f"file:// URL names the host {parts.netloc!r}: only local files can be read "
                "(file:///absolute/path)",
            )
        if not parts.path:
            raise SourceError(location, "file:// URL without a path")
        return Path(os.fsdecode(unquote_to_bytes(parts.path)))
    if scheme:
        name = scheme.group(1).lower()
        raise SourceError(
            location, f"unsupported URL scheme {name!r} (http, https or a local path)"
        )
    return Path(location)


@dataclass(frozen=True)
class LocalResult:
    """Articles read, and ``(path, reason)`` for every file that could not be read."""

    articles: list[Article] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FolderScan:
    """What a folder holds: article and feed ``files`` (``read_local`` reads them) and OPML
    ``lists`` (their feeds are sources of their own: ``pipeline.resolve_sources``)."""

    files: list[Path] = field(default_factory=list)
    lists: list[Path] = field(default_factory=list)


def read_local(path: Path) -> LocalResult:
    """Articles of one file or of every supported file under a folder (recursive, sorted).

    A missing path, or a folder without a single supported file or OPML list, raises
    SourceError; a file that cannot be read becomes a failure entry. Inside folders, hidden
    files and folders are skipped, and so are the files ``scan_folder`` says are no news; a
    file given directly is read, or is a failure.
    """
    if not path.exists():
        raise SourceError(str(path), "no such file or folder")
    if path.is_dir():
        scan = scan_folder(path)
        if not scan.files and not scan.lists:
            raise SourceError(
                str(path),
                f"no article or feed files ({' '.join(sorted(SUPPORTED_SUFFIXES))}, "
                f"{OPML_SUFFIX}, or any of them {GZIP_SUFFIX})",
            )
        files = scan.files
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
    """The article and feed files under ``folder`` (``scan_folder``), sorted."""
    yield from scan_folder(folder).files


def scan_folder(folder: Path) -> FolderScan:
    """Article and feed files, and OPML lists, under ``folder``: sorted, symlinked folders not
    followed, hidden files and folders left out.

    Also left out, as no news: a project's own files (README, LICENSE, ...), a ``.json`` that
    is no JSON Feed, and a file of unknown suffix that does not sniff as a feed. Files named
    as feeds (.xml .rss .atom) are sniffed for an ``<opml>`` root: an OPML list saved as .xml.
    """
    files: list[Path] = []
    lists: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if _PROJECT_FILE.fullmatch(name):
                log.debug("file skipped path=%s reason=a project file, not news", path)
                continue
            what = _folder_kind(path)
            if what == "file":
                files.append(path)
            elif what == "list":
                lists.append(path)
    return FolderScan(sorted(files), sorted(lists))


def _folder_kind(path: Path) -> Literal["file", "list"] | None:
    """What to do with a file met in a folder: read it ("file"), read the feeds it lists
    ("list", OPML) or skip it (None: no news, or a FIFO or socket that would block)."""
    try:
        if not S_ISREG(path.stat().st_mode):
            return None
    except OSError:
        pass  # a dangling link: with a known suffix, reading it fails with the reason
    suffix = _inner_suffix(path)
    if suffix == OPML_SUFFIX:
        return "list"
    if suffix in ARTICLE_SUFFIXES:
        return "file"
    try:
        found = sniff_file(path)
    except SourceError as e:  # unreadable: a named feed file fails when read, else skip it
        log.debug("file not sniffed path=%s reason=%s", path, e.reason)
        return "file" if suffix in FEED_SUFFIXES - {".json"} else None
    if found.opml:
        return "list"
    if suffix in FEED_SUFFIXES - {".json"} or found.kind is not None:
        return "file"
    return None


def is_opml_file(path: Path) -> bool:
    """An OPML list: named ``.opml`` (``.opml.gz``), or a regular file whose root is ``<opml>``."""
    if _inner_suffix(path) == OPML_SUFFIX:
        return True
    try:
        return path.is_file() and sniff_file(path, whole=False).opml
    except SourceError:
        return False  # unreadable: reading it as a source says why


def read_opml_bytes(path: Path) -> bytes:
    """An OPML file's bytes (decompressed when ``.gz``); SourceError, one line."""
    data, _ = _read_bytes(path)
    return data


def _inner_suffix(path: Path) -> str:
    """The suffix that says what a file is: ``.html`` for ``page.html.gz`` too."""
    suffix = path.suffix.lower()
    if suffix == GZIP_SUFFIX:
        return Path(path.stem).suffix.lower()
    return suffix


def _gzipped(path: Path) -> bool:
    return path.suffix.lower() == GZIP_SUFFIX


def sniff_file(path: Path, *, whole: bool = True) -> Sniffed:
    """What a file is by its content: its first ``SNIFF_BYTES`` decide, except for a JSON object
    without a JSON Feed ``version`` up front, which is read whole (still a text, not a binary)
    unless not ``whole``. A gzip file is sniffed by what it decompresses to.
    """
    try:
        mode = path.stat().st_mode
        if not (S_ISREG(mode) or S_ISDIR(mode)):  # a FIFO would block: never open it
            raise SourceError(str(path), "not a regular file")
        head = _read_prefix(path, SNIFF_BYTES + 1)
        found = sniff(head[:SNIFF_BYTES], complete=len(head) <= SNIFF_BYTES)
        if found.undecided and whole and path.stat().st_size <= MAX_FILE_BYTES:
            found = sniff(_read_bytes(path)[0], complete=True)
    except OSError as e:
        raise SourceError(str(path), f"cannot read: {e.strerror or e}") from e
    return found


def read_file(path: Path) -> list[Article]:
    """Articles of one file, chosen by its suffix (else sniffed); SourceError, one-line reason."""
    suffix = _inner_suffix(path)
    if suffix == OPML_SUFFIX:
        raise SourceError(str(path), _OPML_IS)
    if suffix not in SUPPORTED_SUFFIXES:
        found = sniff_file(path)
        if found.kind is None:
            looks = _RENAME_HINTS.get(found.looks_like, found.looks_like)
            raise SourceError(
                str(path),
                f"unsupported file type {_suffix_label(path)}: "
                f"not a feed or article file ({looks})",
            )
        data, _ = _read_bytes(path)
        return list(parse_feed(data, path.resolve().as_uri()).articles)
    data, mtime = _read_bytes(path)
    url = path.resolve().as_uri()
    source = path.resolve().parent.name or "local"
    if suffix in FEED_SUFFIXES:
        if sniff(data[:SNIFF_BYTES], complete=len(data) <= SNIFF_BYTES).opml:
            raise SourceError(str(path), _OPML_IS)
        return list(parse_feed(data, url).articles)
    if suffix in HTML_SUFFIXES:
        return [_html_article(data, path, url, source, mtime)]
    text = decode_text(data, str(path))
    if suffix in MARKDOWN_SUFFIXES:
        return [_markdown_article(text, path, url, source, mtime)]
    return [_text_article(text, path, url, source, mtime)]


def _suffix_label(path: Path) -> str:
    suffix = path.suffix
    return repr(suffix.lower()) if _REAL_SUFFIX.fullmatch(suffix) else "(no known suffix)"


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
    """A file's bytes (decompressed when gzipped, at most ``MAX_FILE_BYTES`` either way) and
    its mtime; an empty file is a SourceError."""
    try:
        stat = path.stat()
        if stat.st_size > MAX_FILE_BYTES:
            raise SourceError(str(path), f"file too large ({stat.st_size} bytes)")
        data = _read_prefix(path, MAX_FILE_BYTES + 1) if _gzipped(path) else path.read_bytes()
    except OSError as e:
        raise SourceError(str(path), f"cannot read: {e.strerror or e}") from e
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(
            str(path), f"too large when decompressed (over {MAX_FILE_BYTES:,} bytes)"
        )
    if not data.strip():
        raise SourceError(str(path), "empty file")
    return data, datetime.fromtimestamp(stat.st_mtime, tz=UTC)


def _read_prefix(path: Path, size: int) -> bytes:
    """At most ``size`` bytes of a file, of its decompressed content when gzipped (so a gzip
    bomb costs ``size`` bytes, never more). OSError when it cannot be opened; a corrupt gzip
    file is a SourceError."""
    with path.open("rb") as raw:
        if not _gzipped(path):
            return raw.read(size)
        try:
            with gzip.GzipFile(fileobj=raw) as unzipped:
                return unzipped.read(size)
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:
            reason = first_line(e) or type(e).__name__
            raise SourceError(str(path), f"not a readable gzip file: {reason}") from e


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
    """Front matter (``title``, ``published`` or ``date``, ``author``) when present; else the
    first heading for the title and the mtime for the date.
    """
    meta, text = _front_matter(text, str(path))
    published = _front_matter_date(meta, str(path))
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
        published=published or mtime,
        author=author,
    )


def _markdown_text(markdown: str) -> str:
    return html_fragment_to_text(_MARKDOWN.render(markdown))


def _front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    """YAML front matter between ``---`` lines at the top (Jekyll/Hugo style), and the rest.

    No closing line: not front matter, the text is all body. Front matter that is not valid
    YAML, or not a mapping, is a SourceError ("bad front matter: ...") rather than a title.
    """
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
            except yaml.YAMLError as e:
                raise SourceError(source, f"bad front matter: {_yaml_problem(e)}") from e
            except Exception as e:  # PyYAML lets ValueError out, e.g. for "date: 2025-13-45"
                raise SourceError(source, f"bad front matter: {_one_line(e)}") from e
            if meta is None:  # nothing between the lines
                meta = {}
            if not isinstance(meta, dict):
                raise SourceError(
                    source,
                    f"bad front matter: not a mapping of keys to values "
                    f"(a YAML {_yaml_kind(meta)})",
                )
            return {str(k): v for k, v in meta.items()}, "\n".join(lines[end + 1 :])
    return {}, text


def _yaml_problem(e: yaml.YAMLError) -> str:
    """One line from a (multi-line) PyYAML error, with file line numbers (``---`` is line 1)."""
    if not isinstance(e, yaml.MarkedYAMLError):
        return _one_line(e)
    mark = e.problem_mark
    where = f"line {mark.line + 2}, column {mark.column + 1}: " if mark else ""
    text = f"{where}{e.problem or e.context or 'invalid YAML'}"
    if e.context and e.problem:
        text += f" ({e.context}"
        text += f" from line {e.context_mark.line + 2})" if e.context_mark else ")"
    return collapse(text)[:200]


def _yaml_kind(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return "scalar"


def _one_line(e: BaseException) -> str:
    return collapse(first_line(e))[:200]


def _front_matter_date(meta: dict[str, object], source: str) -> datetime | None:
    """``published`` (else ``date``) from front matter, aware UTC; None when neither is set."""
    for key in ("published", "date"):
        value = meta.get(key)
        if value is None or value == "":
            continue
        found = _meta_date(value)
        if found is None:
            raise SourceError(
                source,
                f"bad front matter: {key}: {collapse(str(value))[:60]!r} is not a date "
                "(YYYY-MM-DD, or an ISO 8601 date and time)",
            )
        return found
    return None


def _meta_date(value: object) -> datetime | None:
    """A date, datetime, ISO 8601 or RFC 2822 string as aware UTC; naive means UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _meta_date(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
        try:
            return _meta_date(parsedate_to_datetime(value.strip()))
        except (TypeError, ValueError, IndexError):
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
