"""Article pages (HTML) to plain text with trafilatura, the main content only.

Settings were chosen on ``corpus/articles/aeb`` (see ``bench/extraction.py``): precision favoured
and comments left out, which lifts token F1 from 0.944 (trafilatura's default) to 0.961.

trafilatura refuses HTML fragments (no ``<html>``/``<body>``, just paragraphs, as saved by
reader modes): there the project's own HTML-to-text reads the page instead (``_fallback``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.html

log = logging.getLogger(__name__)

#: The keyword arguments given to trafilatura; ``bench/extraction.py`` measures them.
EXTRACT_SETTINGS: dict[str, Any] = {"favor_precision": True, "include_comments": False}

#: A whole document names its root; a fragment starts straight with its content.
_DOCUMENT_TAG = re.compile(r"<(?:html|body)[\s>]", re.IGNORECASE)
_DOCUMENT_TAG_BYTES = re.compile(rb"<(?:html|body)[\s>]", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[a-z]", re.IGNORECASE)
#: trafilatura's text of a fragment shorter than this share of its paragraphs' text is
#: taken as a miss. Not applied to whole pages: on ``corpus/articles/aeb`` trafilatura rightly
#: keeps as little as 6% of a page's paragraph text (comments, teasers, related stories).
_FRAGMENT_SHARE = 0.5
_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
)


@dataclass(frozen=True)
class ExtractedPage:
    """What an article page holds: its title, main text, and metadata when the page has them."""

    title: str
    text: str
    published: datetime | None = None
    author: str | None = None


def html_to_text(html: str | bytes, url: str | None = None) -> ExtractedPage:
    """Main text and metadata of an article page; an empty ``text`` when nothing was found."""
    if not html.strip():
        return ExtractedPage(title="", text="")
    # Imported here: it costs ~0.2 s of start-up, and most ingests (feeds) never extract a page.
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            # Only dates the page states as its own: the extensive search takes a footer's
            # "Copyright 2026" for a publication date, and the file's time is a better guess.
            date_extraction_params={"extensive_search": False, "original_date": True},
            **EXTRACT_SETTINGS,
        )
    except Exception as e:  # trafilatura/lxml raise assorted errors on hostile pages
        log.warning("extraction failed url=%s error=%s", url, e)
        doc = None
    title = (getattr(doc, "title", None) or "").strip()
    text = (getattr(doc, "text", None) or "").strip()
    fallback = _fallback(html, text)
    if fallback is not None:
        text, title = fallback.text, title or fallback.title
    if doc is None and fallback is None:
        return ExtractedPage(title="", text="")
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        text = rest.strip()  # the headline repeated as the first line of the body
    return ExtractedPage(
        title=title,
        text=text,
        published=_parse_date(getattr(doc, "date", None)),
        author=(getattr(doc, "author", None) or None),
    )


def _fallback(html: str | bytes, found: str) -> ExtractedPage | None:
    """The page read by ``html_fragment_to_text`` when trafilatura missed it, else None.

    A fragment is read whole when trafilatura found less than half its paragraph text (it
    usually finds nothing: it refuses a tree without a body). A whole page is read only when
    trafilatura found nothing at all, and then only its ``<p>`` elements, so that menus and
    footers do not become the article.
    """
    from lxml import etree
    from trafilatura.utils import decode_file

    from digests.sources.htmltext import collapse, html_fragment_to_text

    fragment = not _is_document(html)
    if found and not fragment:
        return None  # the usual case, decided before decoding anything
    source = decode_file(html).replace("\x00", "")
    if not _ANY_TAG.search(source):
        return None
    try:
        root = lxml.html.document_fromstring(source.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    paragraphs = list(root.iter("p"))
    if found and len(found) >= _FRAGMENT_SHARE * sum(
        len(collapse(p.text_content())) for p in paragraphs
    ):
        return None
    if fragment:
        text = html_fragment_to_text(source)
    else:
        text = html_fragment_to_text(
            "".join(lxml.html.tostring(p, encoding="unicode") for p in paragraphs)
        )
    if len(text) <= len(found):
        return None
    heading = next(root.iter("title", "h1"), None)
    title = collapse(heading.text_content()) if heading is not None else ""
    return ExtractedPage(title=title, text=text)


def _is_document(html: str | bytes) -> bool:
    if isinstance(html, bytes):
        return _DOCUMENT_TAG_BYTES.search(html) is not None
    return _DOCUMENT_TAG.search(html) is not None


def _parse_date(value: str | None) -> datetime | None:
    """trafilatura gives a ``YYYY-MM-DD`` day; we keep it as midnight UTC of that day."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
