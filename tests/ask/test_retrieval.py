"""Which articles ``ask`` scores: several searches merged, so an article lacking one of the
question's words still comes in when articles holding all of them say nothing useful. Through
the CLI (``digestbot ask --json``) on a real SQLite store filled by ``digestbot ingest``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digests.ask.retrieval import _merge
from digests.models import StoredArticle
from tests.ask.dataset import FRESH, NOW
from tests.cli.harness import Run, run_main

QUESTION = "Who launched the attack on the army base?"

# Each holds "launched", "attack", "army" and "base"; none says who attacked a base.
DECOYS = {
    "budget": (
        "Defence budget review ordered",
        "The government launched a review of army pay on Monday. Ministers said the base "
        "salary of soldiers had fallen behind inflation. Opposition parties were quick to "
        "attack the plan as too little, too late.",
    ),
    "recruits": (
        "Recruitment drive struggles to fill ranks",
        "The army launched a recruitment campaign last spring, but officers say the base pay "
        "still deters young people. Critics attack the campaign as poorly targeted, and the "
        "defence ministry says it will review it in the autumn.",
    ),
    "museum": (
        "Museum opens wartime exhibition",
        "A new exhibition on the history of the army opened on Saturday in a former supply "
        "base. Curators launched the show with a talk on the 1944 attack on the port, which "
        "visitors can follow through letters and photographs.",
    ),
}
FILLER = {
    f"filler-{i}": (f"{town} council news", f"The {town} council met on Tuesday. {body}")
    for i, (town, body) in enumerate(
        [
            ("Leeds", "It approved a new cycle lane along the river."),
            ("York", "Members agreed to extend library opening hours."),
            ("Bath", "A plan to pedestrianise the centre was delayed."),
            ("Hull", "The budget for road repairs was raised by 5 percent."),
        ]
    )
}


def _army_base_article() -> tuple[str, str]:
    """The real report (the topics tests' article) of the attack on a Burkina Faso army base:
    it never says "launched"."""
    for line in FRESH.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "army base" in row["title"]:
            return row["title"], row["text"]
    raise AssertionError("the army base article is gone from the topics test data")


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no config file, no .env
    for name in ("DIGESTBOT_CONFIG", "DIGESTBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "articles"
    folder.mkdir()
    articles = {**DECOYS, **FILLER, "army-base": _army_base_article()}
    for name, (title, body) in articles.items():
        (folder / f"{name}.txt").write_text(f"{title}\n{body}\n", encoding="utf-8")
    return f"sqlite:///{tmp_path / 'ask.db'}"


def _cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> Run:
    return run_main(capsys, "--db", url, *args)


def test_an_article_lacking_one_word_is_found_when_all_the_words_find_decoys(
    capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path
) -> None:
    words = ("launched", "attack", "army", "base")
    for title, body in DECOYS.values():  # the premise: the decoys hold every word ...
        assert all(w in f"{title} {body}".lower() for w in words)
    assert "launched" not in " ".join(_army_base_article()).lower()  # ... the answer does not
    ingested = _cli(capsys, store_url, "ingest", str(tmp_path / "articles"), "--json")
    assert ingested.code == 0, ingested.err
    run = _cli(capsys, store_url, "ask", QUESTION, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert "al-Qaeda" in doc["answer"]
    assert "army base" in doc["sources"][0]["title"]
    assert doc["sources"][0]["sentence"] in doc["answer"]


def test_merge_takes_each_search_in_turn_without_repeats() -> None:
    def a(i: int) -> StoredArticle:
        return StoredArticle(
            id=i, title=str(i), url=f"u{i}", body="", source="s", published=NOW,
            fetched_at=NOW, story_id=i,
        )

    lists = [[a(1), a(2)], [a(3), a(4), a(5)], [a(2), a(6)]]
    assert [x.id for x in _merge(lists, 10)] == [1, 2, 3, 4, 6, 5]  # 2 once; 4 and 6 before 5
    assert [x.id for x in _merge(lists, 4)] == [1, 2, 3, 4]
    assert _merge([], 5) == []
