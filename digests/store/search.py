"""Full-text search over stored articles, safe for untrusted queries, alike on both backends.

The query is never handed to the FTS parser as typed: it is cut into words, and only
quoted words (SQLite FTS5) or ``plainto_tsquery`` words (PostgreSQL) reach the database, so
quotes, ``NEAR``, ``*``, ``-``, parentheses or 10 kB of text cannot cause a syntax error.

Words: the stop words of ``digests.text.STOPWORDS`` (a superset of PostgreSQL's english list,
so no backend keeps a word the other drops) and single letters are left out, so "what is the
news about cocaine" searches "news cocaine" on both backends. ``OR`` is one of those stop words:
"cocaine or heroin" finds articles with either word, those with both first. A query made only
of stop words searches them (PostgreSQL's index holds none: it scans the newest articles).

Order (``ranked``): articles matching all the words, then those matching all but one, and so
on (each word set by a query of its own, the sets of rarer words first), so "cocaine news"
gives the cocaine articles before the many that only say "news". Within a word set:
SQLite ``bm25(articles_fts, 5.0, 1.0)`` (title weighs 5x the body), PostgreSQL ``ts_rank_cd``
over a tsvector with the title at weight A and the body at B; newer articles win ties. A
query of many words stops after ``MAX_WORD_SETS`` sets and fills up with articles matching
any of its words, ranked by the backend's score. The score is higher first along the list; its
whole part is how many of the words an article matches (within the word sets searched).

A query matching more than its cap of articles ranks the newest of them (and, for an any-word
query, every match of its rarer words): ``RANK_CAP`` on SQLite, ``PG_RANK_CAP`` on PostgreSQL,
whose ``ts_rank_cd`` costs about 20 us per row (it reads each row's tsvector).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import combinations
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store.schema import UTCDateTime, article_topics, articles
from digests.text import STOPWORDS

_WORD = re.compile(r"\w+")
# A word with its apostrophes ("don't", "trump's"): stop words are looked up whole, as the
# shared list holds them; the index then sees the parts ("don", "t").
_TOKEN = re.compile(r"\w+(?:'\w+)*")
# PostgreSQL's english list also drops "don" (of "don't"): alone, it would be a word on SQLite.
_INDEX_STOP = frozenset({"don"})
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
# Word sets searched after all the words (a query of up to 4 words has 15 sets in all, 5 words
# have 31): past them, articles matching any of the words fill up the list.
MAX_WORD_SETS = 20
# Articles counted per word to tell rare words from common ones (rarer word sets go first);
# past it, words count as equally common (and counting a common word stops there).
DF_CAP = 2_000
# PostgreSQL, a query of stop words only: its index holds none, so the newest articles are
# scanned (see _PG_STOPWORD_SCAN).
PG_STOPWORD_SCAN = 1_000


def query_terms(query: str) -> list[str]:
    """The distinct words of a query to search (case folded), in order, capped at ``MAX_TERMS``:
    its content words (stop words and single letters left out), or, when it has none, all its
    words ("the", "what is it")."""
    text = unicodedata.normalize("NFKC", query[:20_000]).casefold().replace("\u2019", "'")
    content: dict[str, None] = {}
    every: dict[str, None] = {}
    for token in _TOKEN.findall(text):
        stop = token in STOPWORDS
        for word in _WORD.findall(token):
            if len(word) > MAX_TERM_LEN:
                continue
            if len(every) < MAX_TERMS:
                every.setdefault(word, None)
            if not (stop or word in STOPWORDS or word in _INDEX_STOP) and (
                len(word) > 1 or word.isdigit()
            ):
                content.setdefault(word, None)
        if len(content) >= MAX_TERMS:
            break
    return list(content or every)


def is_stopword_query(terms: Sequence[str]) -> bool:
    """True when ``query_terms`` fell back to stop words (or single letters)."""
    return not any(
        t not in STOPWORDS and t not in _INDEX_STOP and (len(t) > 1 or t.isdigit()) for t in terms
    )


def rank_cap(n_terms: int) -> int:
    """How many of the newest matches SQLite ranks (see ``_sqlite_ranked``): all of them but
    for the most common words. Bounds a query's cost: ``RANK_CAP``, less for many words."""
    return max(MIN_RANK_CAP, min(RANK_CAP, RANK_BUDGET // max(1, n_terms)))


def ranked(
    conn: Connection,
    terms: Sequence[str],
    *,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    """(article id, score) best first: all ``terms`` matched first, then most of them.

    The word sets, from all the words down to single words, rarer sets first within a size,
    are searched one by one until ``limit`` articles are found (see the module docstring).
    In a query of stop words only, single letters are not searched alone beside other words:
    "ü ñ" is "u n" to FTS5, which folds accents, and "n" alone would find every "U.N.".
    """
    if limit <= 0 or not terms:
        return []
    kwargs: dict[str, Any] = {"topic": topic, "since": since}
    if conn.dialect.name == "postgresql" and is_stopword_query(terms):
        return _pg_stopword_scan(conn, terms, limit=limit, **kwargs)
    found: dict[int, float] = {}

    def add(rows: list[tuple[int, float]], base: float, width: float) -> bool:
        """Adds the new rows, scored in [base, base + width); True once ``limit`` are found."""
        for article_id, score in rows:
            if article_id not in found and len(found) < limit:
                found[article_id] = base + width * _squash(score)
        return len(found) >= limit

    first = ranked_ids(conn, terms, any_term=False, limit=limit, **kwargs)
    words = [t for t in terms if len(t) > 1 or t.isdigit()] or list(terms)
    if add(first, float(len(terms)), 1.0) or (len(words) == 1 and words == list(terms)):
        return list(found.items())
    counts = _document_counts(conn, words, DF_CAP)
    live = [t for t in words if counts[t] > 0]
    budget, low = MAX_WORD_SETS, float(len(terms))
    for subset, base, width in _word_sets(live, counts):
        if subset == list(terms):
            continue  # the first search
        if budget == 0:  # past it: any of the words, below every word set searched
            rows = ranked_ids(conn, live, any_term=True, limit=limit + len(found), **kwargs)
            add(rows, 0.0, low)
            break
        budget -= 1
        low = base
        rows = ranked_ids(conn, subset, any_term=False, limit=limit + len(found), **kwargs)
        if add(rows, base, width):
            break
    return list(found.items())


def _word_sets(
    words: Sequence[str], counts: dict[str, int]
) -> Iterator[tuple[list[str], float, float]]:
    """The word sets of ``words``, largest first, the rarer first within a size (the smallest
    product of the counts, i.e. the largest summed idf); with each, the scores of its articles:
    [base, base + width), whole part the set's size, below every set before it."""
    for size in range(len(words), 0, -1):
        n_sets = math.comb(len(words), size)
        sets = sorted(
            combinations(range(len(words)), size),
            key=lambda c: (sum(math.log(counts[words[i]]) for i in c), c),
        )
        for rank, chosen in enumerate(sets):
            yield [words[i] for i in chosen], size + (n_sets - 1 - rank) / n_sets, 1.0 / n_sets


def _squash(score: float) -> float:
    """A backend's score (>= 0, unbounded) mapped onto [0, 1), order kept."""
    score = max(0.0, score)
    return score / (1.0 + score)


def _document_counts(conn: Connection, terms: Sequence[str], most: int) -> dict[str, int]:
    """How many articles hold each term, counting no further than ``most``."""
    if conn.dialect.name == "postgresql":
        stmt = sa.text(
            "SELECT count(*) FROM (SELECT 1 FROM articles WHERE search_vector @@ "
            f"plainto_tsquery('{_PG_CONFIG}', :term) LIMIT :most) AS m"
        )
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # see _pg_ranked
        try:
            return {
                t: int(conn.execute(stmt, {"term": t, "most": most}).scalar_one()) for t in terms
            }
        finally:
            conn.execute(sa.text("SET LOCAL enable_seqscan TO DEFAULT"))
    return {t: _matches_up_to(conn, f'"{t}"', most) for t in terms}


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


# PostgreSQL, stop words only: the newest articles (after the filters), each word looked for
# as a whole word (case-insensitive regex) in the title and the body: 20-30 ms per 1,000
# articles, where indexing them on the fly (to_tsvector) took 20 times that. Ranked by how
# many words match, then title matches before body ones, then recency.
_PG_STOPWORD_SCAN = """
WITH recent AS MATERIALIZED (
    SELECT id, published FROM articles AS f WHERE {filters}
    ORDER BY published DESC, id DESC LIMIT :scan
), hits AS MATERIALIZED (
    SELECT recent.id, recent.published, {columns}
    FROM recent JOIN articles AS a ON a.id = recent.id
)
SELECT id, {matched} AS matched, {weight} AS weight FROM hits
WHERE {matched} > 0
ORDER BY matched DESC, weight DESC, published DESC, id DESC
LIMIT :limit
"""


def _pg_stopword_scan(
    conn: Connection,
    terms: Sequence[str],
    *,
    topic: str | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, float]]:
    """Stop words on PostgreSQL, whose index drops them: the newest ``PG_STOPWORD_SCAN``."""
    params: dict[str, Any] = {"scan": PG_STOPWORD_SCAN, "limit": limit}
    filters = ["TRUE"]
    if since is not None:
        filters.append("f.published >= :since")
        params["since"] = since
    if topic is not None:
        filters.append(
            "EXISTS (SELECT 1 FROM article_topics AS t WHERE t.article_id = f.id "
            "AND t.topic = :topic AND t.member)"
        )
        params["topic"] = topic
    columns, matched, weight = [], [], []
    for i, term in enumerate(terms):
        params[f"p{i}"] = rf"\m{term}\M"  # a word (letters, digits, "_"): no regex syntax
        columns.append(f"a.title ~* :p{i} AS t{i}, a.body ~* :p{i} AS b{i}")
        matched.append(f"(t{i} OR b{i})::int")
        weight.append(f"t{i}::int + 0.4 * b{i}::int")  # ts_rank_cd's weights of A and B
    sql = _PG_STOPWORD_SCAN.format(
        filters=" AND ".join(filters),
        columns=", ".join(columns),
        matched="(" + " + ".join(matched) + ")",
        weight="(" + " + ".join(weight) + ")",
    )
    stmt = sa.text(sql)
    if since is not None:
        stmt = stmt.bindparams(sa.bindparam("since", type_=UTCDateTime))
    return [
        (int(r.id), int(r.matched) + _squash(float(r.weight))) for r in conn.execute(stmt, params)
    ]


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


_MARKED = re.compile(r"\*\*(\w+)\*\*")


def unmark(snippet: str) -> str:
    """A snippet as plain text, its ``**word**`` marks removed: for JSON, whose readers should
    not have to know (or escape) the Markdown convention. A body's own ``**word**`` goes too."""
    return _MARKED.sub(r"\1", snippet)


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
