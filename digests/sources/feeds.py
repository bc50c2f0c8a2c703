"""Feed bytes to ``Article``s: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

feedparser is always given bytes (never a URL: it has no timeout). Its own HTML sanitiser is
off because every text field is reduced to plain text here anyway (``htmltext``), which is
safe and about twice as fast. Two real-world breakages are repaired before parsing: a malformed
XML declaration (``<?xml?xml ... ??>``) and undeclared ``rss:`` element prefixes.

Broken XML is otherwise read leniently (an unescaped ``&`` or an unknown entity is common), except
a truncated document: one that is not well-formed and does not end with its root's closing tag
(a download cut short) fails as a whole, so no damaged item is stored in place of the real one.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import feedparser

from digests.errors import NotAFeedError, SourceError
from digests.models import ITEM_FRAGMENT, Article
from digests.sources import feedparser_quirks
from digests.sources.discover import feed_links
from digests.sources.htmltext import collapse, html_fragment_to_text, plain_text
from digests.sources.sniff import FEED_ROOTS, local_name, markup_text, xml_root

log = logging.getLogger(__name__)
feedparser_quirks.apply()

TITLE_WORDS = 12  # words of the body used as a title when an entry has none
_WEB_SCHEMES = ("http", "https")
# What a URL fragment may hold as it is (RFC 3986 pchar, "/" and "?"); the rest is escaped.
_FRAGMENT_SAFE = "!$&'()*+,;=:@/?"

# A well-formed XML declaration at the very start (after an optional BOM).
_GOOD_DECL = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?<\?xml\s+version\s*=\s*(["'])[^"']*\1"""
    rb"""(?:\s+encoding\s*=\s*(["'])[A-Za-z][\w.:-]*\2)?"""
    rb"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>"""
)
# Comments are matched first so that "<?xml" inside a comment is left alone.
_COMMENT_OR_DECL = re.compile(rb"<!--.*?-->|(<\?xml(?![\w-])[^>]*>)", re.S)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']?([A-Za-z][\w.:-]*)""")
_HTML_START = re.compile(
    rb"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>])", re.I | re.S
)
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_FOOTER = re.compile(
    r"(?:The (?:post|article|story) .{1,400}? (?:appeared first|first appeared) on"
    r"|This (?:post|article|story) (?:was )?(?:originally|first) "
    r"(?:appeared|published) (?:on|in|at)) .{1,200}"
)
# feedparser "bozo" reasons that do not mean the document is broken.
_HARMLESS_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")
_TRAILING_SPACE = " \t\r\n\x00"


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's own title and link, and its entries as articles (in feed order)."""

    title: str
    link: str
    articles: tuple[Article, ...]


def parse_feed(
    data: bytes, url: str, *, source_name: str | None = None, origin: str | None = None
) -> ParsedFeed:
    """Parse feed bytes fetched from (or read at) ``url``; SourceError when it is not a feed.

    ``url`` resolves relative links; ``origin`` (default ``url``) is the feed's identity that
    every article carries (``Article.origin``): a caller that followed redirects passes the
    URL it asked for, so a feed that moved keeps the one identity its GUIDs are stored under.
    """
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise SourceError(url, "empty document, not a feed")
    feed = _Feed(url, origin or url)
    if stripped[:1] in (b"{", b"["):
        return _parse_json_feed(stripped, feed, source_name)
    return _parse_xml_feed(repair_xml(data), feed, source_name)


@dataclass(frozen=True)
class _Feed:
    """Where a feed's bytes came from (``url``, for relative links) and whose items they are."""

    url: str
    origin: str


def repair_xml(data: bytes) -> bytes:
    """Fix what feedparser cannot: a malformed or misplaced XML declaration, undeclared ``rss:``.

    Bytes that already start with a good declaration (or have none) are returned unchanged
    apart from the prefix repair; UTF-16/32 documents never match and stay untouched.
    """
    head = data[:4096]
    if not _GOOD_DECL.match(data):
        decls = [m.group(1) for m in _COMMENT_OR_DECL.finditer(head) if m.group(1)]
        if decls:
            enc = _ENCODING.search(decls[0])
            body = _COMMENT_OR_DECL.sub(lambda m: b"" if m.group(1) else m.group(0), head)
            decl = b'<?xml version="1.0"'
            if enc:
                decl += b' encoding="' + enc.group(1) + b'"'
            data = decl + b"?>\n" + (body + data[4096:]).lstrip()
    if b"<rss:" in head and b"xmlns:rss" not in head:
        data = re.sub(rb"<(/?)rss:", rb"<\1", data)
        data = re.sub(rb"(\s)rss:([\w-]+\s*=)", rb"\1\2", data)
    return data


def _parse_xml_feed(data: bytes, feed_at: _Feed, source_name: str | None) -> ParsedFeed:
    url = feed_at.url
    try:
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except Exception as e:  # feedparser is lenient, but guard the boundary anyway
        raise SourceError(url, f"feed parser failed: {_one_line(e)}") from e
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and type(exc).__name__ not in _HARMLESS_BOZO:
        root = _unclosed_feed_root(data)
        if root is not None:
            raise SourceError(url, f"malformed feed: truncated (no closing </{root}>)")
    feed = parsed.feed
    title = _text_field(feed, "title")
    link = _absolute(url, feed.get("link"))
    source = source_name or title or urlsplit(url).hostname or url
    articles = tuple(
        a
        for a in (_article_from_entry(e, feed_at, source) for e in parsed.entries)
        if a is not None
    )
    if not articles:
        _raise_if_not_feed(parsed, data, url)
    return ParsedFeed(title=title, link=link or "", articles=articles)


def _raise_if_not_feed(parsed: Any, data: bytes, url: str) -> None:
    """A document without entries is an (empty) feed, or one of: HTML, binary, broken XML."""
    exc = parsed.get("bozo_exception")
    broken = bool(parsed.get("bozo")) and type(exc).__name__ not in _HARMLESS_BOZO
    if parsed.get("version") and not broken:
        return  # a well-formed feed with no items
    head = data[:4096]
    if _HTML_START.match(head) or (not parsed.get("version") and b"<html" in head.lower()):
        links = feed_links(data, url)
        named = f" (it names the feed {links[0]})" if links else ""
        raise NotAFeedError(url, f"is an HTML page, not a feed{named}", links)
    if _looks_binary(data):
        raise SourceError(url, "binary data, not a feed")
    if broken and exc is not None:
        raise SourceError(url, f"malformed feed: {_one_line(exc)}")
    raise SourceError(url, "not an RSS, Atom or JSON feed")


def _unclosed_feed_root(data: bytes) -> str | None:
    """The root (rss, feed, rdf:RDF) of a feed document that does not end with its closing tag.

    Whitespace, comments and processing instructions after the closing tag are allowed, and so
    is a closing tag that lacks only its final ``>``: every item before it is complete. A
    document whose closing tag is followed by other junk (an injected script, a PHP warning)
    was not cut short either.
    """
    text = markup_text(data)
    root = xml_root(text)
    if root is None or local_name(root) not in FEED_ROOTS:
        return None
    end = text.rstrip(_TRAILING_SPACE)
    while end.endswith(("-->", "?>")):
        start = end.rfind("<!--" if end.endswith("-->") else "<?")
        if start < 0:
            break
        end = end[:start].rstrip(_TRAILING_SPACE)
    closing = rf"</{re.escape(root)}\s*>"
    if re.search(closing + r"?\Z", end[-1024:]) or re.search(closing, text):
        return None  # complete, or complete and followed by junk (read leniently, as before)
    return root


def _article_from_entry(entry: Mapping[str, Any], feed: _Feed, source: str) -> Article | None:
    feed_url = feed.url
    body = _entry_body(entry)
    title = _text_field(entry, "title") or _first_words(body)
    guid = collapse(str(entry.get("id") or "")) or None
    link = _web_url(feed_url, entry.get("link")) or _url_guid(guid)
    if not link:
        # No usable link: stable and unique per entry, pointing at the feed it came from.
        link = _fallback_url(feed_url, guid) if guid else ""
    if not (title or body or link):
        return None
    if not link:
        link = _fallback_url(feed_url, title or _first_words(body))
    author = collapse(str(entry.get("author") or "")) or None
    return Article(
        title=title,
        url=link,
        body=body,
        source=source,
        published=_entry_time(entry),
        author=author,
        guid=guid,
        origin=feed.origin,
    )


def _entry_body(entry: Mapping[str, Any]) -> str:
    """Full content when the feed has it (the longest part), else the summary/description,
    else a Media RSS description (a video's); without the publisher's "The post ... appeared
    first on ..." footer."""
    best = ""
    for part in entry.get("content") or ():
        text = _to_text(part.get("value") or "", part.get("type") or "text/html")
        if len(text) > len(best):
            best = text
    if not best:
        detail = entry.get("summary_detail") or {}
        best = _to_text(entry.get("summary") or "", detail.get("type") or "text/html")
    if not best:
        best = _to_text(str(entry.get(feedparser_quirks.MEDIA_DESCRIPTION) or ""), "text/plain")
    return _without_footer(best)


def _without_footer(body: str) -> str:
    """The body without a last paragraph that only says where the item was first published
    (WordPress adds "The post <title> appeared first on <site>." to every item): it is not
    the article's, and quoted as a summary, a key fact or an answer it would say nothing."""
    head, _sep, last = body.rpartition("\n")
    if _FOOTER.fullmatch(last.strip()):
        return head.rstrip()
    return body


def _text_field(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        return ""
    detail = obj.get(f"{key}_detail") or {}
    return collapse(_to_text(value, detail.get("type") or "text/plain"))


def _to_text(value: str, content_type: str) -> str:
    """HTML reduced to text; "plain" text that carries tags anyway is treated as HTML too, and
    so does plain text that carries character references (Blogger's text summaries say
    ``&nbsp;`` where they mean a space: escaped once too often)."""
    if "html" in content_type or _TAG.search(value):
        return html_fragment_to_text(value)
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)
        if _TAG.search(value):  # it was escaped HTML
            return html_fragment_to_text(value)
    return plain_text(value)


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime(*value[:6], tzinfo=UTC)
            except (ValueError, OverflowError):
                continue
    return None


def _parse_json_feed(data: bytes, feed: _Feed, source_name: str | None) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    url = feed.url
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SourceError(url, f"malformed JSON: {_one_line(e)}") from e
    if not isinstance(doc, dict) or not (
        "jsonfeed.org" in str(doc.get("version", "")) or isinstance(doc.get("items"), list)
    ):
        raise SourceError(url, "JSON document, but not a JSON Feed")
    items = doc.get("items")
    if not isinstance(items, list):
        raise SourceError(url, "JSON Feed without an items list")
    title = collapse(_str(doc.get("title")))
    link = _web_url(url, doc.get("home_page_url")) or ""
    source = source_name or title or urlsplit(url).hostname or url
    articles = []
    for item in items:
        if isinstance(item, dict):
            article = _article_from_json_item(item, feed, source, _json_author(doc))
            if article is not None:
                articles.append(article)
    return ParsedFeed(title=title, link=link, articles=tuple(articles))


def _article_from_json_item(
    item: Mapping[str, Any], feed: _Feed, source: str, feed_author: str | None
) -> Article | None:
    feed_url = feed.url
    html = _str(item.get("content_html"))
    text = _str(item.get("content_text"))
    if html:
        body = html_fragment_to_text(html)
    elif text:
        body = plain_text(text)
    else:
        body = plain_text(_str(item.get("summary")))
    title = collapse(_str(item.get("title"))) or _first_words(body)
    guid = collapse(_str(item.get("id"))) or None
    link = (
        _web_url(feed_url, item.get("url"))
        or _web_url(feed_url, item.get("external_url"))
        or _url_guid(guid)
        or (_fallback_url(feed_url, guid) if guid else "")
    )
    if not (title or body):
        return None
    published = _iso_time(item.get("date_published")) or _iso_time(item.get("date_modified"))
    return Article(
        title=title,
        url=link or _fallback_url(feed_url, title),
        body=body,
        source=source,
        published=published,
        author=_json_author(item) or feed_author,
        guid=guid,
        origin=feed.origin,
    )


def _json_author(obj: Mapping[str, Any]) -> str | None:
    authors = obj.get("authors")
    candidates = authors if isinstance(authors, list) else [obj.get("author")]
    names = [collapse(_str(a.get("name"))) for a in candidates if isinstance(a, dict)]
    return ", ".join(n for n in names if n) or None


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _absolute(base: str, link: object) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        return urljoin(base, collapse(link))
    except ValueError:
        return None


def _web_url(base: str, link: object) -> str | None:
    """``link`` made absolute against ``base``, kept only when it is an http(s) URL."""
    absolute = _absolute(base, link)
    if absolute and urlsplit(absolute).scheme.lower() in _WEB_SCHEMES:
        return absolute
    return None


def _fallback_url(feed_url: str, key: str) -> str:
    """The URL of an item without a usable link (none, or a ``javascript:``/``data:`` one):
    the feed's own, with the item's GUID or title as its fragment, escaped (no raw spaces), and
    marked (``ITEM_FRAGMENT``) so the store keeps it in the canonical URL."""
    return f"{feed_url.partition('#')[0]}#{ITEM_FRAGMENT}{quote(key, safe=_FRAGMENT_SAFE)}"


def _url_guid(guid: str | None) -> str | None:
    """The guid when it is itself an absolute http(s) URL (a permalink), else None."""
    if guid and urlsplit(guid).scheme.lower() in _WEB_SCHEMES and urlsplit(guid).netloc:
        return guid
    return None


def _first_words(text: str) -> str:
    words = text.split()
    if not words:
        return ""
    head = " ".join(words[:TITLE_WORDS])
    return head + ("…" if len(words) > TITLE_WORDS else "")


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return False
    if head[:2] in (b"<\x00", b"\x00<"):
        return False  # UTF-16/32 without a BOM
    return b"\x00" in head


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^<unknown>:(\d+):(\d+):\s*", r"line \1, column \2: ", text)
    return text[:200]
