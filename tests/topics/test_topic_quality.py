"""Quality of the shipped topics on hand-labelled news items (figures: bench/topics_eval.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypedDict

import pytest

from digests.topics import TopicDefinition, classify, default_topics

DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
SAMPLES = Path(__file__).resolve().parents[2] / "config" / "samples"  # the shipped copy
TOPICS = ("security", "migration", "drugs")

Item = tuple[str, str, frozenset[str]]


def load(path: Path, split: str | None = None) -> list[Item]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [
        (r["title"], r["text"], frozenset(r["topics"]))
        for r in rows
        if split is None or r.get("split") == split
    ]


def evaluate(
    items: Iterable[Item], topics: Mapping[str, TopicDefinition]
) -> dict[str, tuple[float, float, float]]:
    """Per topic: (precision, recall, F1)."""
    counts = {t: [0, 0, 0] for t in TOPICS}  # tp, fp, fn
    for title, text, want in items:
        got = {s.topic for s in classify(title, text, topics) if s.member}
        for t in TOPICS:
            if t in got:
                counts[t][0 if t in want else 1] += 1
            elif t in want:
                counts[t][2] += 1
    out = {}
    for t, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        out[t] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return out


@pytest.fixture(scope="module")
def topics() -> dict[str, TopicDefinition]:
    return default_topics()


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("labelled.jsonl", None),
        ("real_feed_items.jsonl", "dev"),
        ("real_feed_items.jsonl", "heldout"),
        # 160 full-length articles written from the topic definitions alone (0.919 before any
        # tuning on them, every precision >= 0.86; bench/topics_eval.py "fresh")
        ("fresh_articles.jsonl", None),
    ],
)
def test_macro_f1_and_precision_on_labelled_sets(
    name: str, split: str | None, topics: dict[str, TopicDefinition]
) -> None:
    items = load(DATA / name, split)
    assert len(items) >= 50
    result = evaluate(items, topics)
    macro = sum(f for _, _, f in result.values()) / len(result)
    assert macro >= 0.85, result
    for topic, (precision, _, _) in result.items():
        assert precision >= 0.85, (topic, result)


def test_blind_set_does_not_regress(topics: dict[str, TopicDefinition]) -> None:
    """1,174 real items labelled before the classifier saw them (bench/topics_eval.py "blind").

    Not the issue #2 target (macro-F1 and every precision >= 0.85): after tuning it measures
    macro-F1 0.75 with security precision 0.79, so this guards the measured level, not the goal.
    """
    items = load(DATA / "blind_items.jsonl")
    result = evaluate(items, topics)
    assert sum(f for _, _, f in result.values()) / len(result) >= 0.72, result
    for topic, (precision, _, _) in result.items():
        assert precision >= 0.75, (topic, result)


class SecondLabel(TypedDict):
    set: str
    index: int
    title: str
    topics: list[str]
    confidence: str
    why: str


def second_annotator(name: str) -> list[SecondLabel]:
    lines = (DATA / "second_annotator.jsonl").read_text("utf-8").splitlines()
    rows: list[SecondLabel] = [json.loads(line) for line in lines]
    return [r for r in rows if r["set"] == name]


@pytest.mark.parametrize(
    ("name", "first_file"), [("blind", "blind_items.jsonl"), ("long", "long_articles.jsonl")]
)
def test_second_annotation_covers_its_set_item_for_item(name: str, first_file: str) -> None:
    """Every item of the set has exactly one second label, matched by position and title."""
    first = [json.loads(line) for line in (DATA / first_file).read_text("utf-8").splitlines()]
    second = second_annotator(name)
    assert [r["index"] for r in second] == list(range(len(first)))
    assert [r["title"] for r in second] == [r["title"] for r in first]
    for row in second:
        assert set(row["topics"]) <= set(TOPICS), row
        assert row["confidence"] in ("sure", "borderline"), row
        assert row["why"] or (not row["topics"] and row["confidence"] == "sure"), row


def test_blind_items_the_second_annotator_is_sure_of(topics: dict[str, TopicDefinition]) -> None:
    """Regression floor on the blind items a second, independent annotator called clear-cut.

    Measured 0.877 (every precision >= 0.83) when the labels were added; the two annotators
    agree at 0.850 with each other on the whole set (bench/topics_eval.py)."""
    sure = {
        r["index"]: frozenset(r["topics"])
        for r in second_annotator("blind")
        if r["confidence"] == "sure"
    }
    blind = load(DATA / "blind_items.jsonl")
    items = [(title, text, sure[k]) for k, (title, text, _) in enumerate(blind) if k in sure]
    assert len(items) >= 1000
    result = evaluate(items, topics)
    assert sum(f for _, _, f in result.values()) / len(result) >= 0.85, result
    for topic, (precision, _, _) in result.items():
        assert precision >= 0.8, (topic, result)


def test_labelled_sets_are_big_and_varied() -> None:
    labelled = load(DATA / "labelled.jsonl")
    real = load(DATA / "real_feed_items.jsonl")
    blind = load(DATA / "blind_items.jsonl")
    assert len(labelled) >= 200 and len(real) >= 150 and len(blind) >= 150
    assert all(len(text) <= 300 for _, text, _ in blind)  # excerpts, not copied articles
    assert not {title for title, _, _ in blind} & {title for title, _, _ in real}
    for items in (labelled, real, blind):
        assert all(t in {x for _, _, want in items for x in want} for t in TOPICS)
        assert sum(1 for _, _, want in items if not want) >= 50  # plenty of "none" items
    for items in (labelled, real):
        assert sum(1 for _, _, want in items if len(want) > 1) >= 3  # and multi-label ones


@pytest.mark.corpus
def test_liar_plus_development_set(topics: dict[str, TopicDefinition]) -> None:
    """PolitiFact claims: another genre, so a guard against regressions rather than a target."""
    path = CORPUS / "topics" / "liar-plus" / "liarplus_topic_eval.jsonl"
    if not path.exists():
        pytest.skip("../shared/corpus is not available")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    rename = {"immigration": "migration"}
    items = [
        (r["headline"], r["text"], frozenset(rename.get(t, t) for t in r["topics"]) & set(TOPICS))
        for r in rows
    ]
    result = evaluate(items, topics)
    assert sum(f for _, _, f in result.values()) / 3 >= 0.8, result
    assert all(p >= 0.85 for p, _, _ in result.values()), result


def test_the_noem_sample_is_in_all_three(topics: dict[str, TopicDefinition]) -> None:
    path = SAMPLES / "noem-colombia-visit.txt"
    if not path.exists():
        pytest.skip("../shared/samples is not available")
    title, _, body = path.read_text("utf-8").partition("\n")
    result = classify(title, body, topics)
    assert {s.topic for s in result if s.member} == set(TOPICS)


def test_long_articles_under_the_second_annotator(topics: dict[str, TopicDefinition]) -> None:
    """289 full-length real articles (BBC, news pages), labelled from their full text.

    The texts are read from ../shared/corpus (bench/topics_eval.py "long/2nd"). Security precision
    was 0.78 (macro-F1 0.902) before the fixes for gun-policy, fiscal and racketeering stories
    and "combat" the verb; 0.90 (0.922) after.
    """
    if not (CORPUS / "articles" / "aeb").exists():
        pytest.skip("../shared/corpus is not available")
    from bench import topics_eval

    full, _ = topics_eval.load_long()
    labels = second_annotator("long")
    assert len(labels) == len(full) >= 250
    items = [(it.title, it.text, frozenset(labels[k]["topics"])) for k, it in enumerate(full)]
    result = evaluate(items, topics)
    assert sum(f for _, _, f in result.values()) / len(result) >= 0.9, result
    assert result["security"][0] >= 0.85, result
