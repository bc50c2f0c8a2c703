"""``digestbot ask --json`` over real stored news: the 27 feeds of the shared corpus, the topics
tests' articles and the sample, ingested by ``digestbot ingest`` into a fresh SQLite store.

The questions the store does not answer must get "" (a wrong confident answer is worse), and
those it does, the fact: the two failures measured on this store before, and the quality
targets over tests/ask/data/news_questions.jsonl (see bench/ask_eval.py for the figures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from digests.ask import ask
from digests.store import Store
from tests.ask.dataset import news_questions, newsroom_sources
from tests.cli.harness import Run, run_main, run_subprocess


@pytest.fixture(scope="module")
def newsroom_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("newsroom")
    sources = newsroom_sources(folder)
    if not sources:
        pytest.skip("shared corpus absent")
    url = f"sqlite:///{folder / 'news.db'}"
    run = run_subprocess(
        "--db", url, "ingest", *map(str, sources), "--json", cwd=folder, timeout=600
    )
    assert run.code == 0, run.err
    assert run.json()["new"] > 1000
    return url


@pytest.fixture
def asking(
    newsroom_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[[str], Run]]:
    """``asking(question)`` -> the Run of ``digestbot --db URL ask QUESTION --json``, in this
    process, from an empty folder (no config file, no .env)."""
    monkeypatch.chdir(tmp_path)
    for name in ("DIGESTBOT_CONFIG", "DIGESTBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(question: str) -> Run:
        return run_main(capsys, "--db", newsroom_url, "ask", question, "--json")

    yield run


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of the moon?",  # was a Moscow sentence, then a "Moon city" one
        "What is the population of Mars?",
        "Who is the president of Antarctica?",  # an ozone-hole sentence
        "Who is the king of Greenland?",  # not "King Charles" where "green" is mentioned
        "When did Norway invade Sweden?",
        "Who is the mayor of the moonbase?",  # "moonbase": in no stored article
        "Who invented the telephone?",  # a telephone call with the UAE president
    ],
)
def test_what_no_stored_article_answers_gets_an_empty_answer(
    asking: Callable[[str], Run], question: str
) -> None:
    run = asking(question)
    assert run.code == 0, run.err
    assert run.json() == {"answer": "", "sources": []}


def test_who_launched_the_attack_on_the_army_base(newsroom_url: str, tmp_path: Path) -> None:
    """Every word is common in the store, and a retired general's musing ("if he did decide
    to ... launch a targeted attack, it would be ...") holds three of the four: the report of
    the attack on the Burkina Faso army base says who did it. Through the real entry point."""
    run = run_subprocess(
        "--db", newsroom_url, "ask", "Who launched the attack on the army base?", "--json",
        cwd=tmp_path,
    )
    assert run.code == 0, run.err
    doc = run.json()
    assert "al-Qaeda" in doc["answer"]
    assert "army base" in doc["sources"][0]["title"]
    assert all(s["sentence"] in doc["answer"] for s in doc["sources"])


def test_answers_still_come_with_their_source(asking: Callable[[str], Run]) -> None:
    doc = asking("Who signed the order putting cannabis back on prescription in Thailand?").json()
    assert "Somsak Thepsuthin" in doc["answer"]
    assert doc["sources"][0]["url"] and doc["sources"][0]["title"]


def test_quality_targets_over_the_newsroom(newsroom_url: str) -> None:
    """Measured at 38/48 answered, 40/44 refused, 10 wrong answers (bench/ask_eval.py); before
    this version of ``ask``: 36/48, 34/44 and 19 wrong."""
    rows = news_questions()
    right = refused = wrong = 0
    misses = []
    with Store.open(newsroom_url) as store:
        for row in rows:
            text = ask(row.question, store).answer
            ok = row.right(text)
            right += ok and row.expected is not None
            refused += ok and row.expected is None
            wrong += bool(text) and not ok
            if not ok:
                misses.append(row.question)
    answerable = sum(1 for r in rows if r.expected is not None)
    assert right / answerable >= 0.75, misses
    assert refused / (len(rows) - answerable) >= 0.88, misses
    assert wrong <= 12, misses
