"""Full-text search over stored articles, safe for untrusted queries.

The query is never handed to the FTS parser as typed: it is cut into words, and only
quoted words (SQLite FTS5) or ``plainto_tsquery`` words (PostgreSQL) reach the database, so
quotes, ``NEAR``, ``*``, ``-``, parentheses or 10 kB of text cannot cause a syntax error.
All words must match (AND); when that finds nothing, any word may (OR).

Ranking: SQLite ``bm25(articles_fts, 5.0, 1.0)`` (title weighs 5x the body), PostgreSQL
``ts_rank_cd`` over a tsvector with the title at weight A and the body at B. Newer articles
win ties. Scores are "higher is better" on both, but their scales differ per backend.
A query matching more than its cap of articles ranks the newest of them (and, for an any-word
query, every match of its rarer words): ``RANK_CAP`` on SQLite, ``PG_RANK_CAP`` on PostgreSQL,
whose ``ts_rank_cd`` costs about 20 us per row (it reads each row's tsvector).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.fingerprints import words
from digests.store.schema import UTCDateTime, article_topics, articles

_WORD = re.compile(r"\w+")
MAX_TERMS = 16  # a pasted paragraph still searches, on its first distinct words
MAX_TERM_LEN = 64
SNIPPET_WORDS = 30
RANK_CAP = 10_000  # SQLite: matches ranked beyond the rare words' ones; see rank_cap
MIN_RANK_CAP = 1_000  # however many words a query has, at least this many matches are ranked
RANK_BUDGET = 40_000  # term-rows bm25 may score per query (its cost is rows x terms)
TIE_POOL = 100  # best-ranked rows that get the recency tie-break
_PG_CONFIG = "english"
# PostgreSQL: matches ranked beyond the rare words' ones. ts_rank_cd over 8,500 matches of
# "said" in 10k articles took 167 ms; over the newest 2,000 of them, 49 ms.
PG_RANK_CAP = 2_000


def query_terms(query: str) -> list[str]:
    """The distinct words of a query (case folded), in order, capped at ``MAX_TERMS``."""
    seen: dict[str, None] = {}
    for word in words(query[:20_000]):
        if len(word) <= MAX_TERM_LEN:
            seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def rank_cap(n_terms: int) -> int:
    """How many of the newest matches SQLite ranks (see ``_sqlite_ranked``): all of them but
    for the most common words. Bounds a query's cost: ``RANK_CAP``, less for many words."""
    return max(MIN_RANK_CAP, min(RANK_CAP, RANK_BUDGET // max(1, n_terms)))


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


# SQLite ranking. bm25 costs about a microsecond per matching row and term, and joining
# articles for ``published`` more (the row's long body sits in overflow pages before it), so
# ranking every match of a word found in most of 100k articles took 100-500 ms. Instead the
# candidates are: every match when there are at most ``rank_cap`` of them (the ranking is then
# exactly the full one); else the newest ``rank_cap`` matches (FTS5 streams them in rowid,
# i.e. storage, order) and, for an any-word query, every match of its rarer words, which
# carry nearly all of bm25's weight (a word in most articles adds almost nothing). The best
# candidates by bm25 then get the recency tie-break from the articles table.
_SQLITE_RANKED = """
SELECT c.id AS id, -c.r AS score
FROM (
    SELECT id, r FROM ({candidates}) ORDER BY r LIMIT :pool
) AS c JOIN articles AS a ON a.id = c.id
ORDER BY c.r, a.published DESC, a.id DESC
LIMIT :limit
"""
_SQLITE_NEWEST = """
    SELECT * FROM (
        SELECT rowid AS id, bm25(articles_fts, 5.0, 1.0) AS r
        FROM articles_fts WHERE articles_fts MATCH :match {filters}
        ORDER BY rowid DESC LIMIT :cap
    )"""
# UNION drops the rows both arms find: bm25 of one row is the same number in both.
_SQLITE_RARE = """
    UNION
    SELECT rowid AS id, bm25(articles_fts, 5.0, 1.0) AS r
    FROM articles_fts WHERE articles_fts MATCH :match {filters}
    AND +rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :rare)"""
# "+rowid" keeps a filter out of FTS5's planning: FTS5 would otherwise run the whole text
# query once per listed id. The topic's ids come from a covering index, once per query; the
# since test probes a covering (id, published) index, which never reads the long row.
_SQLITE_TOPIC = (
    "AND +rowid IN (SELECT article_id FROM article_topics WHERE topic = :topic AND member = 1)"
)
_SQLITE_SINCE = (
    "AND EXISTS (SELECT 1 FROM articles AS p INDEXED BY ix_articles_id_published "
    "WHERE p.id = articles_fts.rowid AND p.published >= :since)"
)


def _fts_string(terms: Sequence[str], *, any_term: bool) -> str:
    # Each term is a quoted FTS5 string (words only, so no quote can occur inside one).
    return (" OR " if any_term else " ").join(f'"{t}"' for t in terms)


def _matches_up_to(conn: Connection, match: str, most: int) -> int:
    """How many articles match, counting no further than ``most`` (cost stays bounded)."""
    stmt = sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM articles_fts "
        "WHERE articles_fts MATCH :match LIMIT :most)"
    )
    return int(conn.execute(stmt, {"match": match, "most": most}).scalar_one())


def _rare_terms(conn: Connection, terms: Sequence[str], cap: int) -> list[str]:
    """The rarest terms whose matches together stay within ``cap`` articles."""
    counts = sorted((_matches_up_to(conn, f'"{t}"', cap + 1), t) for t in terms)
    rare: list[str] = []
    total = 0
    for count, term in counts:
        total += count
        if total > cap:
            break
        rare.append(term)
    return rare


def _sqlite_ranked(
    conn: Connection,
    terms: Sequence[str],
    *,
    any_term: bool,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    match = _fts_string(terms, any_term=any_term)
    cap = rank_cap(len(terms))
    params: dict[str, Any] = {"match": match, "cap": cap, "pool": limit + TIE_POOL, "limit": limit}
    filters = []
    if topic is not None:
        filters.append(_SQLITE_TOPIC)
        params["topic"] = topic
    if since is not None:
        filters.append(_SQLITE_SINCE)
        params["since"] = since
    candidates = _SQLITE_NEWEST
    if any_term and len(terms) > 1 and _matches_up_to(conn, match, cap + 1) > cap:
        rare = _rare_terms(conn, terms, cap)
        if rare:
            candidates += _SQLITE_RARE
            params["rare"] = _fts_string(rare, any_term=True)
    sql = _SQLITE_RANKED.format(candidates=candidates.format(filters=" ".join(filters)))
    stmt = sa.text(sql)
    if since is not None:
        stmt = stmt.bindparams(sa.bindparam("since", type_=UTCDateTime))
    return [(int(r.id), float(r.score)) for r in conn.execute(stmt, params)]


def _pg_ranked(
    conn: Connection,
    terms: Sequence[str],
    *,
    any_term: bool,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    """Like ``_sqlite_ranked``: the newest ``PG_RANK_CAP`` matches and, for an any-word query,
    every match of its rarer words (by the planner's statistics)."""
    tsq = _pg_query(terms, any_term=any_term)
    vector: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
    # Every match through the GIN index, once (MATERIALIZED: else the planner walks the
    # published index newest first, reading every row's vector, to find the newest few).
    matches = (
        _filters(
            sa.select(articles.c.id, articles.c.published).where(vector.op("@@")(tsq)),
            topic,
            since,
        )
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    candidates: sa.Select[Any] | sa.CompoundSelect = (
        sa.select(matches.c.id)
        .order_by(matches.c.published.desc(), matches.c.id.desc())
        .limit(PG_RANK_CAP)
    )
    if any_term and len(terms) > 1:
        estimates = _pg_match_estimates(conn, terms)
        if estimates is None:  # no statistics yet (a new table): rank every match
            candidates = sa.select(matches.c.id)
        else:
            rare = _pick_rare(estimates, PG_RANK_CAP)
            if rare and len(rare) < len(terms):
                rare_match = vector.op("@@")(_pg_query(rare, any_term=True))
                candidates = sa.union(
                    candidates,
                    _filters(sa.select(articles.c.id).where(rare_match), topic, since),
                )
    rank = sa.func.ts_rank_cd(vector, tsq)
    stmt = (
        sa.select(articles.c.id, rank.label("score"))
        .where(articles.c.id.in_(sa.select(candidates.subquery().c.id)))
        .order_by(rank.desc(), articles.c.published.desc(), articles.c.id.desc())
        .limit(limit)
    )
    # The planner does not count reading each row's (TOASTed) tsvector to test ``@@``, so it
    # picks a sequential scan that reads every vector over the GIN index that reads none: 61 ms
    # against 6 ms for a three-word query over 10k articles. Only for this statement.
    conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
    try:
        return [(int(r.id), float(r.score)) for r in conn.execute(stmt)]
    finally:
        conn.execute(sa.text("SET LOCAL enable_seqscan TO DEFAULT"))


def _pg_query(terms: Sequence[str], *, any_term: bool) -> sa.ColumnElement[Any]:
    config: sa.ColumnElement[Any] = sa.literal_column(f"'{_PG_CONFIG}'::regconfig")
    if not any_term:
        return sa.func.plainto_tsquery(config, " ".join(terms))
    parts = [sa.func.plainto_tsquery(config, t) for t in terms]
    tsq: sa.ColumnElement[Any] = parts[0]
    for part in parts[1:]:
        tsq = tsq.op("||")(part)
    return tsq


# Estimated matches per term from the planner's statistics of the tsvector column: a lexeme's
# frequency among the most common elements, else half the least common one's (as the planner
# itself estimates); a term of several lexemes matches no more than its rarest.
_PG_ESTIMATES = sa.text(f"""
SELECT t.term, (
    SELECT min(coalesce(st.freqs[array_position(st.elems, lexeme)], st.floor / 2))
    FROM unnest(tsvector_to_array(to_tsvector('{_PG_CONFIG}', t.term))) AS lexeme
) * st.n AS matches
FROM unnest(CAST(:terms AS text[])) AS t(term),
     (SELECT CAST(CAST(s.most_common_elems AS text) AS text[]) AS elems,
             s.most_common_elem_freqs AS freqs,
             (SELECT min(f) FROM unnest(s.most_common_elem_freqs) AS f) AS floor,
             c.reltuples AS n
      FROM pg_stats AS s
      JOIN pg_class AS c ON c.relname = s.tablename
      JOIN pg_namespace AS ns ON ns.oid = c.relnamespace AND ns.nspname = s.schemaname
      WHERE s.schemaname = current_schema() AND s.tablename = 'articles'
        AND s.attname = 'search_vector' AND s.most_common_elems IS NOT NULL) AS st
""")


def _pg_match_estimates(conn: Connection, terms: Sequence[str]) -> dict[str, float] | None:
    """Estimated matches per term, or None before the first ANALYZE (autovacuum runs it)."""
    rows = conn.execute(_PG_ESTIMATES, {"terms": list(terms)}).all()
    if not rows:
        return None
    # A stop word ("the") has no lexeme and matches nothing.
    return {str(r.term): float(r.matches or 0.0) for r in rows}


def _pick_rare(estimates: dict[str, float], cap: int) -> list[str]:
    """The rarest terms whose matches together stay within ``cap`` (as ``_rare_terms``)."""
    rare: list[str] = []
    total = 0.0
    for term, count in sorted(estimates.items(), key=lambda item: item[1]):
        total += count
        if total > cap:
            break
        if count > 0:
            rare.append(term)
    return rare


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
        self._any_stem = re.compile("|".join(re.escape(x) for x in sorted(self.stems)) or "(?!)")

    def hit(self, word: str) -> bool:
        low = word.casefold()
        return any(low.startswith(s) and len(low) - len(s) <= 3 for s in self.stems)

    def token_hits(self, token: str) -> bool:
        # Most tokens hold no stem at all: a substring test rules them out before the regex
        # (casefold works per character, so a word's stem is inside its token's casefold).
        if not self._any_stem.search(token.casefold()):
            return False
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
