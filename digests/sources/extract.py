"""Article pages (HTML) to plain text with trafilatura, the main content only.

Settings were chosen on ``corpus/articles/aeb`` (see ``bench/extraction.py``): precision favoured
and comments left out, which lifts token F1 from 0.944 (trafilatura's default) to 0.961.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

#: The keyword arguments given to trafilatura; ``bench/extraction.py`` measures them.
EXTRACT_SETTINGS: dict[str, Any] = {"favor_precision": True, "include_comments": False}


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
        return ExtractedPage(title="", text="")
    if doc is None:
        return ExtractedPage(title="", text="")
    title = (getattr(doc, "title", None) or "").strip()
    text = (getattr(doc, "text", None) or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        text = rest.strip()  # the headline repeated as the first line of the body
    return ExtractedPage(
        title=title,
        text=text,
        published=_parse_date(getattr(doc, "date", None)),
        author=(getattr(doc, "author", None) or None),
    )


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
