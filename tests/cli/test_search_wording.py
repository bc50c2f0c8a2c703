"""``digestbot search`` reads natural wording alike on SQLite and PostgreSQL: stop words (and
``OR``) are left out, articles with all the words come first, then those with most of them.

The fixture (tests/cli/data/search) is 16 short news articles: four mention cocaine, three
heroin, six the word "news", one "or" again and again; the rest are about something else.
Each query runs on both backends through the real CLI and must give the same articles, in the
same order of word sets; inside one word set each backend orders by its own relevance score
(bm25 or ts_rank_cd), so the tests only compare that order where the fixture leaves no tie.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, Run
from tests.conftest import PG_ADMIN_URL

Cli = Callable[..., Run]
FIXTURE = DATA / "search"
COCAINE = {
    "antwerp-cocaine-bananas", "lyon-prison-searches", "ecuador-cartels", "drug-policy-debate"
}
HEROIN = {"glasgow-heroin-ring", "lyon-prison-searches", "drug-policy-debate"}
NEWS = {
    "radio-bulletins", "evening-roundup", "ecuador-cartels", "cornwall-coastguard",
    "fuel-prices", "seville-heatwave",
}
# The audit's queries, and their variants.
QUERIES = [
    "cocaine",
    "cocaine news",
    "cocaine or heroin",
    "cocaine OR heroin",
    "what is the news about cocaine",
    "heroin cocaine news",
    "news",
]


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """A fresh PostgreSQL schema of its own, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(PG_ADMIN_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def backends(cli: Cli, workdir: Workdir, pg_url: str) -> dict[str, str]:
    """The fixture ingested into SQLite and PostgreSQL; published an hour apart by name."""
    folder = workdir.path / "articles"
    shutil.copytree(FIXTURE, folder)
    start = datetime.now(UTC) - timedelta(days=2)
    for i, path in enumerate(sorted(folder.glob("*.txt"))):
        stamp = (start + timedelta(hours=i)).timestamp()
        os.utime(path, (stamp, stamp))
    urls = {"sqlite": workdir.db_url, "postgres": pg_url}
    for url in urls.values():
        run = cli("ingest", folder, "--db", url, "--json")
        assert run.code == 0 and run.json()["new"] == 16, run.err
    return urls


def search(cli: Cli, db: str, query: str, *extra: str) -> list[dict[str, Any]]:
    run = cli("search", query, "--db", db, "--limit", "20", *extra, "--json")
    assert run.code == 0, run.err
    rows: list[dict[str, Any]] = run.json()
    return rows


def name(row: dict[str, Any]) -> str:
    return Path(row["url"]).stem


def words_in(article: str, query: str) -> frozenset[str]:
    """The query's content words (cocaine, heroin, news) the article's file holds."""
    text = (FIXTURE / f"{article}.txt").read_text(encoding="utf-8").lower()
    wanted = {"cocaine", "heroin", "news"} & set(query.lower().split())
    return frozenset(w for w in wanted if re.search(rf"\b{w}\b", text))


def word_sets(rows: list[dict[str, Any]], query: str) -> list[tuple[frozenset[str], set[str]]]:
    """The results cut into runs of articles holding the same query words, in order."""
    runs: list[tuple[frozenset[str], set[str]]] = []
    for row in rows:
        held = words_in(name(row), query)
        if runs and runs[-1][0] == held:
            runs[-1][1].add(name(row))
        else:
            runs.append((held, {name(row)}))
    return runs


@pytest.mark.postgres
def test_audit_queries_agree_across_backends(cli: Cli, backends: dict[str, str]) -> None:
    for query in QUERIES:
        found = {b: search(cli, url, query) for b, url in backends.items()}
        sqlite, postgres = (word_sets(found[b], query) for b in ("sqlite", "postgres"))
        assert sqlite == postgres, query
        sizes = [len(held) for held, _ in sqlite]
        assert sizes == sorted(sizes, reverse=True), (query, sqlite)  # most words first
        assert len({held for held, _ in sqlite}) == len(sqlite), (query, sqlite)  # each set once
        for rows in found.values():
            scores = [row["score"] for row in rows]
            assert scores == sorted(scores, reverse=True), (query, scores)


@pytest.mark.postgres
def test_cocaine_news_gives_the_cocaine_articles(cli: Cli, backends: dict[str, str]) -> None:
    for url in backends.values():
        rows = search(cli, url, "cocaine news")
        names = [name(r) for r in rows]
        assert names[0] == "ecuador-cartels"  # the one article with both words
        assert set(names[1:4]) == COCAINE - {"ecuador-cartels"}  # the rarer word next
        assert set(names[4:]) == NEWS - {"ecuador-cartels"}  # then "news" alone
        assert [r["score"] >= 2 for r in rows[:2]] == [True, False]  # whole part: words matched
        # Natural wording is the same query: its stop words are left out.
        assert search(cli, url, "what is the news about cocaine") == rows
        assert len(search(cli, url, "cocaine news", "--limit", "5")) == 5


@pytest.mark.postgres
def test_or_finds_either_word_and_is_not_searched(cli: Cli, backends: dict[str, str]) -> None:
    orders = []
    for url in backends.values():
        rows = search(cli, url, "cocaine or heroin")
        assert search(cli, url, "cocaine OR heroin") == rows
        names = [name(r) for r in rows]
        assert set(names) == COCAINE | HEROIN  # "fuel-prices" says "or" six times: not found
        orders.append(names[:3])
    # Both words (the title that has both first), then the rarer word alone: same on both.
    assert orders[0] == orders[1] == [
        "lyon-prison-searches", "drug-policy-debate", "glasgow-heroin-ring"
    ]


@pytest.mark.postgres
def test_stop_words_alone_are_still_searched(cli: Cli, backends: dict[str, str]) -> None:
    """PostgreSQL's index holds no stop words: it scans the newest articles instead."""
    found = {b: search(cli, url, "what is") for b, url in backends.items()}
    assert {name(r) for r in found["sqlite"]} == {name(r) for r in found["postgres"]}
    assert len(found["sqlite"]) >= 3
    for rows in found.values():
        both = {name(r) for r in rows if r["score"] >= 2}
        assert both == {"cornwall-coastguard", "fuel-prices", "farm-imports-protest"}
    for url in backends.values():
        assert len(search(cli, url, "The", "--limit", "3")) == 3
        assert search(cli, url, "the zzzyyyxxx") == []  # a word beside stop words must match


@pytest.mark.postgres
def test_json_snippet_is_plain_text(cli: Cli, backends: dict[str, str]) -> None:
    """JSON carries the snippet as plain text; the console output marks the matched words."""
    for url in backends.values():
        rows = search(cli, url, "heroin")
        assert rows and all("**" not in r["snippet"] for r in rows)
        assert all("heroin" in r["snippet"].lower() for r in rows)
        plain = cli("search", "heroin", "--db", url)
        assert plain.code == 0 and "**heroin**" in plain.out
