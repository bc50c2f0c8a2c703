"""Topic classification quality and speed, run by hand: ``.venv/bin/python bench/topics_eval.py``.

Prints per-topic precision/recall/F1 and macro-F1 on each labelled set, beside a keyword-only
baseline measured in the same run, and classification throughput (articles/s).

Sets: ``tests/topics/data/labelled.jsonl`` (written for the project), the hand-labelled real feed
items (``real_feed_items.jsonl``: a dev split used for tuning and a held-out split that was not),
the blind set (``blind_items.jsonl``: 1,174 real items the first tuning pass never saw, labelled
before the classifier was run on them), and ``../shared/corpus/topics/liar-plus`` (PolitiFact
claims; a different genre, development only).

``--errors SET`` lists the misclassified items of one set (never use it on the held-out split).
The blind set's first figures were recorded before any tuning; figures on it since are "after
tuning" (its errors were studied together with the other real sets).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests.topics import TopicDefinition, classify, default_topics  # noqa: E402

DATA = ROOT / "tests" / "topics" / "data"
CORPUS = ROOT / ".." / "shared" / "corpus"
TOPICS = ("security", "migration", "drugs")

# The baseline: each topic's name and five obvious words, any whole-word match is a member.
BASELINE = {
    "security": ["security", "war", "military", "terrorism", "attack", "defence"],
    "migration": ["migration", "immigration", "migrants", "refugees", "asylum", "border"],
    "drugs": ["drugs", "drug", "cocaine", "cannabis", "overdose", "trafficking"],
}


@dataclass(frozen=True)
class Item:
    title: str
    text: str
    topics: frozenset[str]


def load_jsonl(path: Path, split: str | None = None) -> list[Item]:
    items = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if split is not None and row.get("split") != split:
            continue
        items.append(Item(row["title"], row["text"], frozenset(row["topics"])))
    return items


def load_liar(path: Path) -> list[Item]:
    rename = {"immigration": "migration"}
    items = []
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        labels = {rename.get(t, t) for t in row["topics"]} & set(TOPICS)
        items.append(Item(row["headline"], row["text"], frozenset(labels)))
    return items


def sets() -> dict[str, list[Item]]:
    out = {
        "labelled": load_jsonl(DATA / "labelled.jsonl"),
        "real-dev": load_jsonl(DATA / "real_feed_items.jsonl", "dev"),
        "real-heldout": load_jsonl(DATA / "real_feed_items.jsonl", "heldout"),
        "blind": load_jsonl(DATA / "blind_items.jsonl"),
    }
    liar = CORPUS / "topics" / "liar-plus" / "liarplus_topic_eval.jsonl"
    if liar.exists():
        out["liar-plus"] = load_liar(liar)
    return out


Predict = Callable[[Item], frozenset[str]]


def model_predict(topics: Mapping[str, TopicDefinition]) -> Predict:
    def predict(item: Item) -> frozenset[str]:
        return frozenset(s.topic for s in classify(item.title, item.text, topics) if s.member)

    return predict


def baseline_predict() -> Predict:
    patterns = {
        t: re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.I)
        for t, words in BASELINE.items()
    }

    def predict(item: Item) -> frozenset[str]:
        text = f"{item.title}\n{item.text}"
        return frozenset(t for t, p in patterns.items() if p.search(text))

    return predict


def scores(items: Iterable[Item], predict: Predict) -> dict[str, tuple[float, float, float]]:
    tp = dict.fromkeys(TOPICS, 0)
    fp = dict.fromkeys(TOPICS, 0)
    fn = dict.fromkeys(TOPICS, 0)
    for item in items:
        got = predict(item)
        for t in TOPICS:
            if t in got and t in item.topics:
                tp[t] += 1
            elif t in got:
                fp[t] += 1
            elif t in item.topics:
                fn[t] += 1
    out = {}
    for t in TOPICS:
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 1.0
        r = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[t] = (p, r, f)
    return out


def macro_f1(result: Mapping[str, tuple[float, float, float]]) -> float:
    return sum(f for _, _, f in result.values()) / len(result)


def report(name: str, items: list[Item], model: Predict, baseline: Predict) -> None:
    counts = {t: sum(t in i.topics for i in items) for t in TOPICS}
    print(f"\n== {name}: {len(items)} items, positives {counts}")
    for label, predict in (("model", model), ("baseline", baseline)):
        result = scores(items, predict)
        cells = "  ".join(f"{t} P={p:.2f} R={r:.2f} F1={f:.2f}" for t, (p, r, f) in result.items())
        print(f"  {label:8} macro-F1={macro_f1(result):.3f}  {cells}")


def errors(items: list[Item], topics: Mapping[str, TopicDefinition]) -> None:
    for item in items:
        got = classify(item.title, item.text, topics)
        member = {s.topic for s in got if s.member}
        if member != set(item.topics):
            print(f"- want {sorted(item.topics)} got {sorted(member)}: {item.title}")
            for s in got:
                if s.score > 0:
                    print(f"    {s.topic} {s.score:.2f} {list(s.evidence)}")


def throughput(items: list[Item], topics: Mapping[str, TopicDefinition], n: int = 10_000) -> None:
    batch = [items[i % len(items)] for i in range(n)]
    chars = sum(len(i.title) + len(i.text) for i in batch)
    classify("warm", "up", topics)  # compile once, as the pipeline's first article would
    start, cpu_start = time.perf_counter(), time.process_time()
    for item in batch:
        classify(item.title, item.text, topics)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"\nthroughput: {n} articles ({chars / n:.0f} chars avg) in {took:.2f} s wall, "
        f"{cpu:.2f} s CPU = {n / cpu:,.0f} articles/s per core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", metavar="SET", help="list the misclassified items of SET")
    args = parser.parse_args()
    topics = default_topics()
    data = sets()
    if args.errors:
        if args.errors == "real-heldout":
            parser.error("the held-out split is for reporting only")
        errors(data[args.errors], topics)
        return
    model, baseline = model_predict(topics), baseline_predict()
    for name, items in data.items():
        report(name, items, model, baseline)
    feed_items = data["real-dev"] + data["real-heldout"] + data["labelled"]
    throughput(feed_items, topics)


if __name__ == "__main__":
    main()
