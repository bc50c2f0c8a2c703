"""Local files and folders to ``Article``s: plain text, Markdown, HTML pages and feed files.

A file article's url is its ``file://`` URL and its date the file's mtime unless the content
carries one (Markdown front matter, page metadata, feed entries). A feed file's items carry its
``file://`` URL as their origin (their GUIDs are unique within it); an article file has none.
One bad file in a folder is a failure entry; it never stops the others.

The suffix says what a file is. A file without a known suffix (``feed__1a2b``, ``index.php``)
is sniffed from its first 4 KB: an XML document whose root is rss, feed or rdf:RDF, or a JSON
object with a jsonfeed.org ``version``, is read as a feed; anything else is refused when named
directly and skipped silently inside a folder.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from stat import S_ISDIR, S_ISREG

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
# A suffix worth quoting in a message (".jpg", ".docx"), not the tail of "large_1.2MB_feed__01b5".
_REAL_SUFFIX = re.compile(r"\.(?=[^.]*[A-Za-z])[A-Za-z0-9]{1,10}")
# What to tell a user about an unknown file that is not a feed, by what it looks like.
_RENAME_HINTS = {
    "text": "text: name it .txt or .md to read it as an article",
    "an HTML page": "an HTML page: name it .html to read it as an article",
}


@dataclass(frozen=True)
class LocalResult:
    """Articles read, and ``(path, reason)`` for every file that could not be read."""

    articles: list[Article] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def read_local(path: Path) -> LocalResult:
    """Articles of one file or of every supported file under a folder (recursive, sorted).

    A missing path, or a folder without a single supported file, raises SourceError; a file
    that cannot be read becomes a failure entry. Hidden files and folders are skipped, and so
    are unsupported files inside folders that do not sniff as feeds (a file given directly is a
    failure).
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
    """Supported, non-hidden files under ``folder``, sorted, symlinked folders not followed.

    A file without a supported suffix is included when it sniffs as a feed.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.suffix.lower() in SUPPORTED_SUFFIXES or _is_sniffed_feed(path):
                found.append(path)
    yield from sorted(found)


def _is_sniffed_feed(path: Path) -> bool:
    try:
        return sniff_file(path).kind is not None
    except SourceError as e:  # unreadable: it cannot be told from an image, so skip it too
        log.debug("file not sniffed path=%s reason=%s", path, e.reason)
        return False


def sniff_file(path: Path) -> Sniffed:
    """What a file is by its content: its first ``SNIFF_BYTES`` decide, except for a JSON object
    without a JSON Feed ``version`` up front, which is read whole (still a text, not a binary).
    """
    try:
        mode = path.stat().st_mode
        if not (S_ISREG(mode) or S_ISDIR(mode)):  # a FIFO would block: never open it
            raise SourceError(str(path), "not a regular file")
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES + 1)
        found = sniff(head[:SNIFF_BYTES], complete=len(head) <= SNIFF_BYTES)
        if found.undecided and path.stat().st_size <= MAX_FILE_BYTES:
            found = sniff(path.read_bytes(), complete=True)
    except OSError as e:
        raise SourceError(str(path), f"cannot read: {e.strerror or e}") from e
    return found


def read_file(path: Path) -> list[Article]:
    """Articles of one file, chosen by its suffix (else sniffed); SourceError, one-line reason."""
    suffix = path.suffix.lower()
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
