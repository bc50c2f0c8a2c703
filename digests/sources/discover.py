"""Feed autodiscovery: the feeds a web page names in its ``<head>``.

A user who pastes a site's address (``https://example.org/``) rather than its feed's means
the feed the page announces with ``<link rel="alternate" type="application/rss+xml"
href="...">`` (the RSS autodiscovery convention; Atom and JSON Feed use the same form). Only
those links count: guessing from ``<a>`` links or common paths would fetch pages the site
never offered as a feed.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

MAX_LINKS = 5
# Best first. Not "application/json": WordPress names its REST API that way on every page.
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
_SCAN_BYTES = 512 * 1024  # the <head> is at the start; a huge page is not read whole


def feed_links(page: bytes, base_url: str) -> tuple[str, ...]:
    """Absolute http(s) URLs of the feeds ``page`` announces, RSS and Atom first, then in
    page order, without repeats or the page itself; at most ``MAX_LINKS``. Never raises: a
    page that cannot be parsed names no feed."""
    try:
        doc = lxml.html.document_fromstring(page[:_SCAN_BYTES])
    except (etree.ParserError, ValueError):
        return ()
    base = base_url
    for href in doc.xpath("//base/@href")[:1]:
        base = urljoin(base_url, str(href).strip())
    found: list[tuple[int, str]] = []
    for link in doc.xpath("//link[@href]"):
        rel = {r.lower() for r in str(link.get("rel") or "").split()}
        kind = str(link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or kind not in FEED_TYPES:
            continue
        url = urljoin(base, str(link.get("href")).strip())
        if urlsplit(url).scheme.lower() not in ("http", "https") or url == base_url:
            continue
        if all(url != seen for _rank, seen in found):
            found.append((FEED_TYPES.index(kind), url))
    found.sort(key=lambda x: x[0])  # stable: page order within a type
    return tuple(url for _rank, url in found[:MAX_LINKS])
