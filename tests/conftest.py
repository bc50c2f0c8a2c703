"""Shared fixtures. ``store_url``/``store``: every store test runs on SQLite and PostgreSQL.

PostgreSQL: the server at ``$DIGESTBOT_TEST_PG`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); each test gets its own fresh schema
(dropped afterwards). When the server cannot be reached, the postgres variants are skipped
with the reason; CI makes sure it is there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from digests.store import Store
from tests.cli.harness import Run, run_main

PG_ADMIN_URL = os.environ.get(
    "DIGESTBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the test server's admin database; skips when it is unreachable."""
    engine = sa.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:  # any failure means: no server to test against
        engine.dispose()
        reason = str(getattr(e, "orig", e)).strip().splitlines()[0] if str(e) else repr(e)
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {reason}")
    yield engine
    engine.dispose()


def _pg_schema_url(admin: Engine) -> Iterator[str]:
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(PG_ADMIN_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text("SET lock_timeout = '10s'"))
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'digestbot.db'}"
        return
    yield from _pg_schema_url(request.getfixturevalue("pg_admin"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open store on ``store_url`` (both backends), closed after the test."""
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file only, for tests that need no PostgreSQL variant."""
    opened = Store.open(f"sqlite:///{tmp_path / 'data' / 'digestbot.db'}")
    yield opened
    opened.close()


@pytest.fixture
def store_cli(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Run]:
    """``store_cli("ingest", URL, "--json")``: the real CLI in this process on ``store_url``
    (both backends), run from an empty folder with no config or chat token from the
    environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("DIGESTBOT_CONFIG", "DIGESTBOT_DATABASE_URL", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Run:
        return run_main(capsys, *args, "--db", store_url)

    return run
