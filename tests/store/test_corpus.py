"""Real feeds (corpus/feeds/news): everything stores, and a second ingest adds nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from digests.models import Article, Summary
from digests.store import NewArticle, Store

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
NEWS = CORPUS / "feeds" / "news"
FETCHED = datetime(2026, 2, 20, tzinfo=UTC)

pytestmark = pytest.mark.corpus


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*parsed[:6]).replace(tzinfo=UTC) if parsed else None


def _items(path: Path) -> list[NewArticle]:
    feed = feedparser.parse(path.read_bytes(), sanitize_html=False)
    return [
        NewArticle(
            Article(
                title=_text(e.get("title", "")),
                url=e.get("link", ""),
                body=_text(e.get("summary", "")),
                source=path.name,
                published=_when(e),
                guid=e.get("id"),
            ),
            (),
            Summary(""),
            FETCHED,
        )
        for e in feed.entries
    ]


def test_news_feeds_ingest_once(sqlite_store: Store) -> None:
    if not NEWS.is_dir():
        pytest.skip(f"corpus not found at {NEWS}")
    batches = [_items(p) for p in sorted(NEWS.glob("*.xml"))[:12]]
    total = sum(len(b) for b in batches)
    assert total > 200
    first = [o for batch in batches for o in sqlite_store.add_articles(batch)]
    new = sum(o.status == "new" for o in first)
    assert 0 < new <= total
    assert sqlite_store.count_articles() == new
    again = [o for batch in batches for o in sqlite_store.add_articles(batch)]
    assert all(o.status == "duplicate" for o in again)
    assert sqlite_store.count_articles() == new
    hits = sqlite_store.search("president election")
    assert hits and all(h.snippet for h in hits)
