"""Full-text search over stored articles, safe for untrusted queries.

The query is never handed to the FTS parser as typed: it is cut into words, and only
quoted words (SQLite FTS5) or ``plainto_tsquery`` words (PostgreSQL) reach the database, so
quotes, ``NEAR``, ``*``, ``-``, parentheses or 10 kB of text cannot cause a syntax error.
All words must match (AND); when that finds nothing, any word may (OR).

Ranking: SQLite ``bm25(articles_fts, 5.0, 1.0)`` (title weighs 5x the body), PostgreSQL
``ts_rank_cd`` over a tsvector with the title at weight A and the body at B. Newer articles
win ties. Scores are "higher is better" on both, but their scales differ per backend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.fingerprints import words
from digests.store.schema import article_topics, articles

_WORD = re.compile(r"\w+")
MAX_TERMS = 16  # a pasted paragraph still searches, on its first distinct words
MAX_TERM_LEN = 64
SNIPPET_WORDS = 30
_PG_CONFIG = "english"


def query_terms(query: str) -> list[str]:
    """The distinct words of a query (case folded), in order, capped at ``MAX_TERMS``."""
    seen: dict[str, None] = {}
    for word in words(query[:20_000]):
        if len(word) <= MAX_TERM_LEN:
            seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def ranked_ids(
    conn: Connection,
    terms: Sequence[str],
    *,
    any_term: bool,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    """(article id, score) best first, for all terms (or any term when ``any_term``)."""
    if conn.dialect.name == "postgresql":
        return _pg_ranked(conn, terms, any_term=any_term, topic=topic, since=since, limit=limit)
    return _sqlite_ranked(conn, terms, any_term=any_term, topic=topic, since=since, limit=limit)


def _filters(stmt: sa.Select[Any], topic: str | None, since: datetime | None) -> sa.Select[Any]:
    if since is not None:
        stmt = stmt.where(articles.c.published >= since)
    if topic is not None:
        stmt = stmt.where(
            sa.exists().where(
                article_topics.c.article_id == articles.c.id,
                article_topics.c.topic == topic,
                article_topics.c.member.is_(True),
            )
        )
    return stmt


def _sqlite_ranked(
    conn: Connection,
    terms: Sequence[str],
    *,
    any_term: bool,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    # Each term is a quoted FTS5 string (words only, so no quote can occur inside one).
    match = (" OR " if any_term else " ").join(f'"{t}"' for t in terms)
    fts = sa.table("articles_fts", sa.column("rowid"))
    rank: sa.ColumnElement[float] = sa.literal_column("bm25(articles_fts, 5.0, 1.0)")
    stmt = (
        sa.select(articles.c.id, (-rank).label("score"))
        .select_from(fts.join(articles, articles.c.id == fts.c.rowid))
        .where(sa.literal_column("articles_fts").op("MATCH")(match))
        .order_by(rank, articles.c.published.desc(), articles.c.id.desc())
        .limit(limit)
    )
    stmt = _filters(stmt, topic, since)
    return [(int(r.id), float(r.score)) for r in conn.execute(stmt)]


def _pg_ranked(
    conn: Connection,
    terms: Sequence[str],
    *,
    any_term: bool,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    config: sa.ColumnElement[Any] = sa.literal_column(f"'{_PG_CONFIG}'::regconfig")
    if any_term:
        parts = [sa.func.plainto_tsquery(config, t) for t in terms]
        tsq: sa.ColumnElement[Any] = parts[0]
        for part in parts[1:]:
            tsq = tsq.op("||")(part)
    else:
        tsq = sa.func.plainto_tsquery(config, " ".join(terms))
    vector: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
    rank = sa.func.ts_rank_cd(vector, tsq)
    stmt = (
        sa.select(articles.c.id, rank.label("score"))
        .where(vector.op("@@")(tsq))
        .order_by(rank.desc(), articles.c.published.desc(), articles.c.id.desc())
        .limit(limit)
    )
    stmt = _filters(stmt, topic, since)
    return [(int(r.id), float(r.score)) for r in conn.execute(stmt)]


def _stem(term: str) -> str:
    """A crude stem, only to find the query's words in the text for the snippet."""
    for suffix in ("ing", "ed", "es", "s"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            return term[: -len(suffix)]
    return term


class _Marker:
    """Finds and marks the query's words (or close inflections) in text."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.stems = {_stem(t) for t in terms}

    def hit(self, word: str) -> bool:
        low = word.casefold()
        return any(low.startswith(s) and len(low) - len(s) <= 3 for s in self.stems)

    def token_hits(self, token: str) -> bool:
        return any(self.hit(w) for w in _WORD.findall(token))

    def mark(self, token: str) -> str:
        return _WORD.sub(lambda m: f"**{m.group()}**" if self.hit(m.group()) else m.group(), token)


def snippet(title: str, body: str, terms: Sequence[str], width: int = SNIPPET_WORDS) -> str:
    """A window of ``width`` words of the body with the most query words, marked ``**w**``.

    When the body has none of them, the title (marked the same way) is the snippet.
    """
    marker = _Marker(terms)
    tokens = body.split()
    flags = [marker.token_hits(tok) for tok in tokens]
    if not any(flags):
        return " ".join(marker.mark(t) for t in title.split())
    # Slide a window over the words; keep the first window with the most hits.
    best_start, best, count = 0, -1, 0
    for end, flag in enumerate(flags):
        count += flag
        if end >= width:
            count -= flags[end - width]
        if count > best:
            best_start, best = max(0, end - width + 1), count
    # Start a little before the first hit of that window, so it reads in context.
    first = next(i for i in range(best_start, len(tokens)) if flags[i])
    start = max(0, first - 3)
    window = tokens[start : start + width]
    text = " ".join(marker.mark(t) if flags[start + i] else t for i, t in enumerate(window))
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(tokens) else ""
    return prefix + text + suffix
