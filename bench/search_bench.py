"""Search and ask latency over 100,000 stored articles (SQLite), and 10,000 on PostgreSQL.

Run by hand: ``.venv/bin/python bench/search_bench.py [--n 100000] [--pg URL | --no-pg]
[--pg-n 10000] [--keep PATH]``. Prints, per backend: ingest time through ``Store.add_articles``,
the full-text index cost (SQLite: an FTS5 ``rebuild`` of the whole index, and ingest of 10,000
with and without the FTS trigger), then p50/p95 latency of ~200 searches by kind and ~100
questions through ``digests.ask.ask``, beside baselines measured in the same run: the bare FTS
match with no ranking (the floor any ranked search sits on) and a ``LIKE '%word%'`` scan.

The articles are real news text recombined: sentences of ``../shared/corpus`` (feeds/news
items, summaries/bbc articles, articles/aeb bodies) drawn with a skewed (Zipf-like) frequency,
so some sentences are everywhere and some almost nowhere, under real titles; plus the ask test
articles (tests/ask/data and the shared sample) verbatim, so the ask test questions have their
answer somewhere among 100,000 distractors. Topics and summaries are cheap placeholders (a
keyword rule and the lead sentences): classify and summarize are not what is measured here.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, installed or not

from digests.ask import ask  # noqa: E402
from digests.models import Article, Summary, TopicScore  # noqa: E402
from digests.store import NewArticle, Store, search  # noqa: E402
from digests.store.search import RANK_CAP, query_terms, rank_cap  # noqa: E402
from digests.text import split_sentences  # noqa: E402
from tests.ask.dataset import article_paths, questions, read_title_body  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus"
NOW = datetime(2026, 2, 20, 12, tzinfo=UTC)
DAYS = 90  # articles are spread over the 90 days before NOW
BATCH = 2000
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Placeholder topics: a member when the body has one of these words (cheap, not classify()).
TOPIC_WORDS = {
    "security": re.compile(r"\b(?:war|military|troops|attack|terror\w*|missile|cyber\w*)\b", re.I),
    "migration": re.compile(r"\b(?:migrants?|asylum|refugees?|deport\w*|border)\b", re.I),
    "drugs": re.compile(r"\b(?:drugs?|cocaine|fentanyl|cartel|opioid\w*|narcotics?)\b", re.I),
}
HOSTILE = [
    '"',
    '"unbalanced strike',
    "((election",
    "NEAR(war peace, 3)",
    "port*",
    "-strike",
    "war AND OR NOT",
    "title:election",
    "strike'; DROP TABLE articles; --",
    "!@#$%^&*()_+=[]{}|;:,.<>?/~`",
    "election " * 2000,
    "x" * 10_000,
    "東京 ストライキ",
    "a & b | c <-> d ! e",
    "🚀🚀🚀",
]
EXTRA_QUESTIONS = [
    "What did the prime minister say about the economy?",
    "Who won the election?",
    "How many people were killed in the attack?",
    "When will the talks resume?",
    "Why did the government resign?",
    "Where did the earthquake strike?",
    "What did the president say about tariffs?",
    "How much did oil prices rise?",
    "Who is the new chief executive?",
    "What caused the power outage?",
    "How many migrants crossed the border?",
    "Which company reported record profits?",
    "What did the court rule?",
    "When did the ceasefire begin?",
    "How many troops were deployed?",
    "Who was arrested by police?",
    "What did the minister announce?",
    "Where were the protests held?",
    "How many votes did the party win?",
    "What did the central bank decide about interest rates?",
    "Why were flights cancelled?",
    "Who leads the opposition?",
    "How many people were injured?",
    "What is the unemployment rate?",
    "",
    "?!",
    'NEAR("x" OR y*) AND -z',
    "Кто такой Петро?",
    "deported " * 1500,
    "war " * 300,
    "What <b>is</b> the <script>alert(1)</script> latest?",
]


# --- building the articles ----------------------------------------------------------------


def _clean(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def load_pool() -> tuple[list[str], list[str]]:
    """(titles, sentences) of the real corpus text, deduplicated."""
    titles: dict[str, None] = {}
    sentences: dict[str, None] = {}

    def add_body(text: str) -> None:
        for s in split_sentences(text):
            if 30 <= len(s) <= 400:
                sentences.setdefault(s, None)

    for path in sorted((CORPUS / "feeds" / "news").glob("*.xml")):
        for e in feedparser.parse(path.read_bytes()).entries:
            if e.get("title"):
                titles.setdefault(_clean(e.get("title", "")), None)
            content = e.get("content") or [{}]
            add_body(_clean(content[0].get("value", "") or e.get("summary", "")))
    for path in sorted((CORPUS / "summaries" / "bbc" / "article").rglob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        titles.setdefault(title.strip(), None)
        add_body(body)
    truth = json.loads((CORPUS / "articles" / "aeb" / "ground-truth.json").read_text())
    for row in truth.values():
        add_body(row.get("articleBody", ""))
    return [t for t in titles if t], list(sentences)


def _topics(body: str) -> tuple[TopicScore, ...]:
    out = []
    for topic, rx in TOPIC_WORDS.items():
        hits = len(rx.findall(body))
        out.append(TopicScore(topic, min(1.0, 0.2 * hits), hits >= 2))
    return tuple(out)


def _new(article: Article, body: str, fetched: datetime) -> NewArticle:
    lead = " ".join(split_sentences(body)[:2])
    return NewArticle(article, _topics(body), Summary(lead, ()), fetched)


def synthetic(n: int, titles: Sequence[str], sentences: Sequence[str]) -> Iterator[NewArticle]:
    """``n`` distinct articles: a real title and 6-30 real sentences drawn Zipf-like."""
    rng = random.Random(6)
    order = list(range(len(sentences)))
    rng.shuffle(order)  # which sentences are common is random, not corpus order
    weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(order))]
    for i in range(n):
        picks = rng.choices(order, weights=weights, k=rng.randint(6, 30))
        body = " ".join(sentences[j] for j in dict.fromkeys(picks))
        published = NOW - timedelta(seconds=rng.randrange(DAYS * 86400))
        article = Article(
            title=titles[rng.randrange(len(titles))],
            url=f"https://bench.example/{i}",
            body=body,
            source=f"bench-{i % 40}",
            published=published,
            guid=f"bench-{i}",
        )
        yield _new(article, body, published)


def ask_articles() -> list[NewArticle]:
    """The ask test articles, verbatim, published within the last day."""
    out = []
    for path in article_paths():
        title, body = read_title_body(path)
        article = Article(title, path.resolve().as_uri(), body, "file", NOW - timedelta(hours=6))
        out.append(_new(article, body, NOW))
    return out


def _batches(items: Iterator[NewArticle], size: int) -> Iterator[list[NewArticle]]:
    batch: list[NewArticle] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(store: Store, n: int, titles: Sequence[str], sentences: Sequence[str]) -> float:
    """Add the ask articles and ``n`` synthetic ones; returns seconds spent in add_articles."""
    spent = 0.0
    store.add_articles(ask_articles())
    done = 0
    for batch in _batches(synthetic(n, titles, sentences), BATCH):
        t0 = time.perf_counter()
        outcomes = store.add_articles(batch)
        spent += time.perf_counter() - t0
        done += sum(o.status == "new" for o in outcomes)
        if done % 20_000 < BATCH:
            print(f"  ... {done:,} stored, {spent:.0f} s in add_articles", file=sys.stderr)
    return spent


# --- queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    topic: str | None = None
    since: datetime | None = None


_ALPHA = re.compile(r"[a-z]{4,}")


def vocabulary(conn: sa.Connection) -> list[tuple[str, int]]:
    """(stemmed term, documents holding it) from the FTS5 index itself."""
    conn.execute(
        sa.text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_vocab "
            "USING fts5vocab(main, articles_fts, row)"
        )
    )
    rows = conn.execute(sa.text("SELECT term, doc FROM temp.bench_vocab")).all()
    return [(str(t), int(d)) for t, d in rows if _ALPHA.fullmatch(str(t))]


def make_queries(
    vocab: Sequence[tuple[str, int]], n_docs: int, titles: Sequence[str], sentences: Sequence[str]
) -> list[Query]:
    """~200 queries: words by document frequency, phrases, titles, filters, hostile text."""
    rng = random.Random(7)
    common = [t for t, d in vocab if d >= n_docs // 10]
    mid = [t for t, d in vocab if n_docs // 200 <= d <= n_docs // 20]
    rare = [t for t, d in vocab if 1 <= d <= max(5, n_docs // 2000)]
    out = [Query("word: common (df>=10%)", t) for t in rng.sample(common, min(30, len(common)))]
    out += [Query("word: mid (df 0.5-5%)", t) for t in rng.sample(mid, 30)]
    out += [Query("word: rare (df<=0.05%)", t) for t in rng.sample(rare, 30)]
    for s in rng.sample(list(sentences), 25):
        ws = s.split()
        k = rng.randrange(max(1, len(ws) - 2))
        out.append(Query("phrase (quoted pair)", f'"{ws[k]} {ws[k + 1]}"'))
    for t in rng.sample(list(titles), 30):
        ws = t.split()
        k = rng.randrange(max(1, len(ws) - 3))
        out.append(Query("multi-word (3-4 of a title)", " ".join(ws[k : k + rng.choice((3, 4))])))
    words = common[:10] + mid[:20]
    for i, topic in enumerate(("security", "migration", "drugs") * 7):
        out.append(Query("with topic filter", words[i % len(words)], topic=topic))
    for i in range(20):
        since = NOW - timedelta(days=(1, 7, 30)[i % 3])
        out.append(Query("with since filter", words[(i * 7) % len(words)], since=since))
    out += [Query("hostile", h) for h in HOSTILE]
    return out


# --- measuring ----------------------------------------------------------------------------


def _ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _line(label: str, ms: Sequence[float]) -> str:
    return (
        f"| {label:<30} | {len(ms):>3} | {statistics.median(ms):>8.1f} | {_pct(ms, 0.95):>8.1f} "
        f"| {max(ms):>8.1f} |"
    )


def _header(title: str) -> None:
    print(f"\n{title}\n")
    print(f"| {'kind':<30} | {'n':>3} | {'p50 ms':>8} | {'p95 ms':>8} | {'max ms':>8} |")
    print(f"|{'-' * 32}|{'-' * 5}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")


def _match(q: Query, *, any_term: bool = False) -> str | None:
    terms = query_terms(q.text)
    return (" OR " if any_term else " ").join(f'"{t}"' for t in terms) if terms else None


def bare_match_ms(conn: sa.Connection, q: Query) -> float | None:
    """SQLite floor: the FTS5 match with no ranking, no filters, no article load."""
    match = _match(q)
    if match is None:
        return None
    stmt = sa.text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :m LIMIT 10")
    return _ms(lambda: conn.execute(stmt, {"m": match}).all())


def match_count(conn: sa.Connection, q: Query) -> int:
    match = _match(q)
    if match is None:
        return 0
    stmt = sa.text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :m")
    return int(conn.execute(stmt, {"m": match}).scalar_one())


def full_rank(conn: sa.Connection, q: Query) -> tuple[list[int], float]:
    """(ids, ms) of the uncapped ranking: store.search's word sets, each ranking every match
    with bm25 (no newest-matches cap), the reference for the capped ranking."""
    terms = query_terms(q.text)
    saved = search.RANK_CAP, search.MIN_RANK_CAP
    search.RANK_CAP = search.MIN_RANK_CAP = 10**9
    try:
        t0 = time.perf_counter()
        ranked = search.ranked(conn, terms, topic=q.topic, since=q.since, limit=10)
        ms = (time.perf_counter() - t0) * 1000
    finally:
        search.RANK_CAP, search.MIN_RANK_CAP = saved
    return [i for i, _ in ranked], ms


def like_scan_ms(conn: sa.Connection, word: str) -> float:
    """The no-index baseline: a substring scan of titles and bodies, newest first."""
    stmt = sa.text(
        "SELECT id FROM articles WHERE title LIKE :p OR body LIKE :p "
        "ORDER BY published DESC LIMIT 10"
    )
    return _ms(lambda: conn.execute(stmt, {"p": f"%{word}%"}).all())


Found = dict[str, list[tuple[float, list[int]]]]


def run_searches(store: Store, queries: Sequence[Query]) -> Found:
    """(ms, ids found) of each query, by kind."""
    by_kind: Found = {}
    for q in queries:
        t0 = time.perf_counter()
        hits = store.search(q.text, topic=q.topic, since=q.since, limit=10)
        ms = (time.perf_counter() - t0) * 1000
        by_kind.setdefault(q.kind, []).append((ms, [h.article.id for h in hits]))
    return by_kind


def run_asks(store: Store) -> tuple[dict[str, list[float]], str]:
    """Latency by kind, and answer quality for the ask test questions among the distractors."""
    by_kind: dict[str, list[float]] = {}
    right = refused = n_ans = n_un = 0
    for row in questions():
        t0 = time.perf_counter()
        got = ask(row.question, store)
        ms = (time.perf_counter() - t0) * 1000
        if row.expected:
            n_ans += 1
            right += row.expected in got.answer
            by_kind.setdefault("ask test set, answerable", []).append(ms)
        else:
            n_un += 1
            refused += got.answer == ""
            by_kind.setdefault("ask test set, unanswerable", []).append(ms)
    for question in EXTRA_QUESTIONS:
        kind = "generic news question" if question.endswith("?") else "hostile / odd"
        t0 = time.perf_counter()
        ask(question, store)
        by_kind.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
    quality = (
        f"answered {right}/{n_ans} = {right / max(1, n_ans):.1%}, "
        f"refused {refused}/{n_un} = {refused / max(1, n_un):.1%}"
    )
    return by_kind, quality


def report(label: str, store: Store, queries: Sequence[Query], like_words: int) -> None:
    store.search("warm up")  # connection pool and statement cache
    by_kind = run_searches(store, queries)
    everything = [ms for v in by_kind.values() for ms, _ in v]
    _header(f"{label}: store.search(limit=10), {len(everything)} queries")
    for kind, rows in by_kind.items():
        print(_line(kind, [ms for ms, _ in rows]))
    print(_line("all searches", everything))

    if store.dialect == "sqlite":
        engine = store._engine  # the bench reads the same file the store does
        with engine.connect() as conn:
            floor = [m for q in queries if (m := bare_match_ms(conn, q)) is not None]
            reference = [full_rank(conn, q) for q in queries]
            words = [q for q in queries if q.kind.startswith("word")]
            singles = [q.text for q in words[:: max(1, len(words) // max(1, like_words))]]
            scans = [like_scan_ms(conn, w) for w in singles[:like_words]]
            counts = [match_count(conn, q) for q in queries]
        print(_line("baseline: FTS match, no rank", floor))
        print(_line("baseline: bm25 of every match", [ms for _, ms in reference]))
        if scans:
            print(_line("baseline: LIKE '%word%' scan", scans))
        p50, p95 = statistics.median(everything), _pct(everything, 0.95)
        full = [ms for _, ms in reference]
        print(
            f"\nsearch p50/p95 {p50:.1f}/{p95:.1f} ms: the uncapped bm25 ranking takes "
            f"{statistics.median(full) / p50:.1f}x/{_pct(full, 0.95) / p95:.1f}x that, the bare "
            f"FTS match {statistics.median(floor) / p50:.2f}x"
            + (f", the LIKE scan {statistics.median(scans) / p50:.1f}x" if scans else "")
        )
        found = [ids for rows in by_kind.values() for _, ids in rows]
        same = sum(f == r for f, (r, _) in zip(found, reference, strict=True))
        overlap = [
            len(set(f) & set(r)) / len(r) for f, (r, _) in zip(found, reference, strict=True) if r
        ]
        caps = [rank_cap(len(query_terms(q.text))) for q in queries]
        capped = sum(c > cap for c, cap in zip(counts, caps, strict=True))
        print(
            f"top 10 against the uncapped ranking: identical for {same}/{len(queries)} queries, "
            f"mean overlap {statistics.mean(overlap):.0%}; {capped} queries matched more than "
            f"the rank cap ({RANK_CAP:,} newest matches are ranked)"
        )

    by_ask, quality = run_asks(store)
    every_ask = [ms for v in by_ask.values() for ms in v]
    _header(f"{label}: digests.ask.ask, {len(every_ask)} questions")
    for kind, ms in by_ask.items():
        print(_line(kind, ms))
    print(_line("all questions", every_ask))
    print(f"\nask test questions among the distractors: {quality}")


# --- backends -----------------------------------------------------------------------------


def fts_cost_sqlite(tmp: Path, titles: Sequence[str], sentences: Sequence[str], n: int) -> str:
    """Ingest ``n`` articles with and without the FTS insert trigger, in fresh files."""
    spent = {}
    for with_fts in (True, False):
        with Store.open(f"sqlite:///{tmp / f'fts-{with_fts}.db'}") as store:
            if not with_fts:
                with store._engine.begin() as conn:
                    conn.execute(sa.text("DROP TRIGGER articles_fts_ai"))
            spent[with_fts] = fill(store, n, titles, sentences)
    share = (spent[True] - spent[False]) / spent[True]
    return (
        f"ingest of {n:,}: {spent[True]:.1f} s with the FTS trigger, {spent[False]:.1f} s "
        f"without ({share:.0%} of ingest is indexing)"
    )


def bench_sqlite(args: argparse.Namespace, titles: list[str], sentences: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = Path(args.keep) if args.keep else tmp / "bench.db"
        fresh = not path.exists()
        with Store.open(f"sqlite:///{path}") as store:
            if fresh:
                took = fill(store, args.n, titles, sentences)
                print(
                    f"sqlite: {args.n:,} articles through add_articles in {took:.1f} s "
                    f"= {args.n / took:,.0f}/s (batches of {BATCH}, dedupe + stories + FTS)"
                )
            n_docs = store.count_articles()
            with store._engine.begin() as conn:
                t0 = time.perf_counter()
                conn.execute(sa.text("INSERT INTO articles_fts(articles_fts) VALUES('rebuild')"))
                rebuild = time.perf_counter() - t0
                vocab = vocabulary(conn)
            size = path.stat().st_size / 1e6
            print(
                f"sqlite: {n_docs:,} articles, file {size:,.0f} MB; FTS5 index rebuild from "
                f"scratch {rebuild:.1f} s; {len(vocab):,} distinct index terms"
            )
            if args.fts_split:
                print("sqlite: " + fts_cost_sqlite(tmp, titles, sentences, args.fts_split))
            queries = make_queries(vocab, n_docs, titles, sentences)
            report(f"SQLite, {n_docs:,} articles", store, queries, args.like)


def bench_pg(args: argparse.Namespace, titles: list[str], sentences: list[str]) -> None:
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as e:
        print(f"\npostgres skipped: {str(e.orig).strip().splitlines()[0]}")
        return
    try:
        url = sa.make_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
        with Store.open(url.render_as_string(hide_password=False)) as store:
            took = fill(store, args.pg_n, titles, sentences)
            n_docs = store.count_articles()
            print(
                f"\npostgres: {n_docs:,} articles through add_articles in {took:.1f} s "
                f"= {args.pg_n / took:,.0f}/s (generated tsvector column + GIN index)"
            )
            with store._engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
                t0 = time.perf_counter()
                conn.execute(sa.text("REINDEX INDEX ix_articles_search_vector"))
                print(f"postgres: GIN index rebuild {time.perf_counter() - t0:.1f} s")
                vocab = [
                    (str(w), int(d))
                    for w, d in conn.execute(
                        sa.text(
                            "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM articles')"
                        )
                    )
                    if _ALPHA.fullmatch(str(w))
                ]
            queries = make_queries(vocab, n_docs, titles, sentences)
            report(f"PostgreSQL, {n_docs:,} articles", store, queries, 0)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="synthetic articles on SQLite")
    ap.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (a fresh schema, dropped after)")
    ap.add_argument("--pg-n", type=int, default=10_000, help="synthetic articles on PostgreSQL")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument(
        "--fts-split", type=int, default=10_000, help="ingest with/without FTS (0: skip)"
    )
    ap.add_argument("--like", type=int, default=15, help="LIKE-scan baseline queries")
    ap.add_argument("--keep", help="SQLite file to build once and reuse across runs")
    args = ap.parse_args()
    if not (CORPUS / "feeds" / "news").is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    t0 = time.perf_counter()
    titles, sentences = load_pool()
    print(
        f"pool: {len(titles):,} real titles, {len(sentences):,} real sentences "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    if not args.no_sqlite:
        bench_sqlite(args, titles, sentences)
    if not args.no_pg:
        bench_pg(args, titles, sentences)


if __name__ == "__main__":
    main()
