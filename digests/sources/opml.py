"""OPML subscription lists in and out: the way feed readers exchange their feeds.

Parsed with lxml with entity resolution, DTD loading and network access off, so a hostile
file cannot read local files or reach the network (XXE) nor blow up memory (entity expansion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from digests.errors import SourceError

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)


@dataclass(frozen=True)
class OpmlFeed:
    """One subscription: its display title and the feed URL (``xmlUrl``)."""

    title: str
    url: str


def parse_opml(data: bytes, *, source: str = "OPML") -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl``, at any depth, in document order, each URL once."""
    if not data.strip():
        raise SourceError(source, "empty OPML document")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as e:
        raise SourceError(source, f"malformed OPML: {_one_line(e.msg or str(e))}") from e
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise SourceError(source, "not an OPML document (root element is not <opml>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter("{*}outline", "outline"):
        url = _attr(outline, "xmlUrl")
        if not url or url in seen:
            continue
        seen.add(url)
        title = _attr(outline, "title") or _attr(outline, "text") or url
        feeds.append(OpmlFeed(title=title, url=url))
    return feeds


def write_opml(feeds: Sequence[OpmlFeed], title: str = "digestbot feeds") -> str:
    """An OPML 2.0 document listing ``feeds`` (readable by any feed reader)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(title)}</title>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        lines.append(
            f'    <outline type="rss" text={quoteattr(feed.title)} title={quoteattr(feed.title)}'
            f" xmlUrl={quoteattr(feed.url)}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _attr(el: etree._Element, name: str) -> str:
    """Attribute value, matched case-insensitively (``xmlurl`` occurs in the wild)."""
    for key, value in el.attrib.items():
        if str(key).lower() == name.lower():
            return " ".join(str(value).split())
    return ""


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(text: str) -> str:
    return (text.strip().splitlines() or ["unknown error"])[0][:200]
