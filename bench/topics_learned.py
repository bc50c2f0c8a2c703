"""Can learned term weights beat the configured vocabularies? Cross-validated, run by hand.

``.venv/bin/python bench/topics_learned.py [--repeats N]`` (needs scikit-learn in the venv; it is
an offline experiment, not a runtime dependency).

All real items (``real_feed_items.jsonl`` + ``blind_items.jsonl``) are split into 5 stratified
folds (repeated with different seeds); the written items (``labelled.jsonl``) join every training
fold and never a test fold. On the SAME folds it compares:

- (a) ``rules``: the current classifier as shipped (no training; note that its vocabulary was
  tuned while looking at errors on most of these items, so its figures are optimistic);
- (b) ``lr-tfidf``: per-topic class-weighted logistic regression on TF-IDF word 1-2-grams of
  title (twice) + text, decision threshold tuned by inner cross-validation for F1;
- (b') ``lr-tfidf+rules``: the same with the current classifier's score as an extra feature;
- (c) ``hybrid-K``: what could ship as configuration: a sparse per-topic linear "model"
  (K strongest n-gram weights + a weight on the rule score + bias + threshold) scored in pure
  Python with the classifier's own tokenizer, exactly as ``digests/topics.py`` would at runtime;
- (c') ``sparse-K``: the same without the rule score (learned weights alone).

Prints per-topic precision/recall/F1 and macro-F1 averaged over folds, pooled counts over all
test folds, pooled figures on the blind items alone, and the classification speed of each.
``--rules FILE`` swaps the rule vocabularies (e.g. the pre-blind-tuning YAML from git history, to
see the learned models against rules that never saw the blind items).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.topics_eval import DATA, TOPICS, Item, load_jsonl  # noqa: E402
from digests.topics import (  # noqa: E402
    TopicDefinition,
    _words,
    classify,
    default_topics,
    load_topics,
)

FOLDS = 5
# The rule vocabularies under test: the shipped ones unless --rules names another YAML file.
RULES: dict[str, TopicDefinition] = {}
# Inverse L2 regularisation strength of the sparse models (--c).
SPARSE_C = 0.5
TITLE_WEIGHT = 2.0  # a title n-gram counts this much more than a body one (sparse models)


# --- features shared by the sparse (shippable) models ----------------------------------------


def ngrams(text: str) -> set[str]:
    """Lowercased word unigrams and bigrams, with the classifier's own tokenizer."""
    low = [w.lower() for w in _words(text)]
    return set(low) | {f"{a} {b}" for a, b in itertools.pairwise(low)}


def sparse_features(item: Item) -> dict[str, float]:
    """Presence of each n-gram (title ones weighted), L2-normalised so long texts do not pile up."""
    feats = dict.fromkeys(ngrams(item.text), 1.0)
    for g in ngrams(item.title):
        feats[g] = TITLE_WEIGHT
    norm = math.sqrt(sum(v * v for v in feats.values())) or 1.0
    return {g: v / norm for g, v in feats.items()}


@dataclass(frozen=True)
class SparseModel:
    """The configuration a topic would carry: n-gram weights, rule-score weight, bias, threshold."""

    weights: Mapping[str, float]
    rule_weight: float
    bias: float
    threshold: float

    def logit(self, feats: Mapping[str, float], rule_score: float) -> float:
        w = self.weights
        return (
            self.bias
            + self.rule_weight * rule_score
            + sum(w[g] * v for g, v in feats.items() if g in w)
        )


def fit_sparse(
    feats: Sequence[dict[str, float]],
    rules: np.ndarray,
    y: np.ndarray,
    k: int,
    *,
    use_rules: bool,
    c: float | None = None,
) -> tuple[SparseModel, DictVectorizer]:
    """Class-weighted L2 logistic regression, pruned to the k largest n-gram weights and refit."""
    c = SPARSE_C if c is None else c
    vec = DictVectorizer()
    x = vec.fit_transform(feats)
    if use_rules:
        x = hstack([x, csr_matrix(rules.reshape(-1, 1))]).tocsr()
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr.fit(x, y)
    coef = lr.coef_[0]
    n_words = len(vec.feature_names_)
    keep = np.argsort(-np.abs(coef[:n_words]))[:k]
    cols = list(keep) + ([n_words] if use_rules else [])
    lr2 = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr2.fit(x[:, cols], y)
    names = vec.feature_names_
    weights = {names[i]: float(w) for i, w in zip(keep, lr2.coef_[0][: len(keep)], strict=True)}
    rule_w = float(lr2.coef_[0][-1]) if use_rules else 0.0
    return SparseModel(weights, rule_w, float(lr2.intercept_[0]), 0.0), vec


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The decision threshold with the best F1 on out-of-fold scores (ties: the higher one)."""
    best, best_f = 0.0, -1.0
    for t in np.unique(scores):
        pred = scores >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = int((~pred & (y == 1)).sum())
        f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f >= best_f:
            best, best_f = float(t), f
    # halfway to the next lower score, so the threshold is not fitted to one training item
    lower = scores[scores < best]
    return (best + float(lower.max())) / 2 if lower.size else best


def inner_oof(
    fit_score: Callable[[np.ndarray, np.ndarray], np.ndarray], y: np.ndarray
) -> np.ndarray:
    """Out-of-fold scores on a training fold: the honest way to pick a threshold."""
    out = np.zeros(len(y))
    for tr, te in StratifiedKFold(3, shuffle=True, random_state=1).split(y, y):
        out[te] = fit_score(tr, te)
    return out


# --- data ---------------------------------------------------------------------------------------


def strat_key(item: Item) -> str:
    return "+".join(sorted(item.topics)) or "none"


@dataclass
class Fold:
    pred: dict[str, np.ndarray]  # topic -> bool predictions on the test fold
    truth: dict[str, np.ndarray]
    blind: np.ndarray  # which test items come from the blind set (mostly "none", long texts)


def prf(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, float, int, int, int]:
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


# --- the contenders -----------------------------------------------------------------------------


def rules() -> dict[str, TopicDefinition]:
    return RULES or default_topics()


def rule_scores(items: Sequence[Item]) -> dict[str, np.ndarray]:
    topics = rules()
    out = {t: np.zeros(len(items)) for t in TOPICS}
    for i, item in enumerate(items):
        for s in classify(item.title, item.text, topics):
            if s.topic in out:
                out[s.topic][i] = s.score
    return out


def run_rules(test: Sequence[Item], rules_test: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    thresholds = {name: d.threshold for name, d in rules().items()}
    return {t: rules_test[t] >= thresholds[t] for t in TOPICS}


def tfidf_text(item: Item) -> str:
    return f"{item.title}\n{item.title}\n{item.text}"


def run_tfidf(
    train: Sequence[Item],
    test: Sequence[Item],
    rules_train: Mapping[str, np.ndarray],
    rules_test: Mapping[str, np.ndarray],
    *,
    use_rules: bool,
) -> dict[str, np.ndarray]:
    docs_train = [tfidf_text(i) for i in train]
    docs_test = [tfidf_text(i) for i in test]

    def design(
        docs_fit: list[str], docs_apply: list[str], r_fit: np.ndarray, r_apply: np.ndarray
    ) -> tuple[csr_matrix, csr_matrix]:
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        a, b = vec.fit_transform(docs_fit), vec.transform(docs_apply)
        if use_rules:
            a = hstack([a, csr_matrix(r_fit.reshape(-1, 1))]).tocsr()
            b = hstack([b, csr_matrix(r_apply.reshape(-1, 1))]).tocsr()
        return a, b

    out = {}
    for t in TOPICS:
        y = np.array([t in i.topics for i in train], dtype=int)
        r = rules_train[t]

        def fit_score(
            tr: np.ndarray, te: np.ndarray, y: np.ndarray = y, r: np.ndarray = r
        ) -> np.ndarray:
            a, b = design([docs_train[i] for i in tr], [docs_train[i] for i in te], r[tr], r[te])
            lr = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(a, y[tr])
            return lr.decision_function(b)

        threshold = best_threshold(inner_oof(fit_score, y), y)
        a, b = design(docs_train, docs_test, r, rules_test[t])
        lr = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(a, y)
        out[t] = lr.decision_function(b) >= threshold
    return out


def train_sparse(
    train: Sequence[Item], rules_train: Mapping[str, np.ndarray], k: int, *, use_rules: bool
) -> dict[str, SparseModel]:
    feats = [sparse_features(i) for i in train]
    models = {}
    for t in TOPICS:
        y = np.array([t in i.topics for i in train], dtype=int)
        r = rules_train[t]

        def fit_score(
            tr: np.ndarray, te: np.ndarray, y: np.ndarray = y, r: np.ndarray = r
        ) -> np.ndarray:
            m, _ = fit_sparse([feats[i] for i in tr], r[tr], y[tr], k, use_rules=use_rules)
            return np.array([m.logit(feats[i], r[i]) for i in te])

        threshold = best_threshold(inner_oof(fit_score, y), y)
        m, _ = fit_sparse(feats, r, y, k, use_rules=use_rules)
        models[t] = SparseModel(m.weights, m.rule_weight, m.bias, threshold)
    return models


def run_sparse(
    models: Mapping[str, SparseModel], test: Sequence[Item], rules_test: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    feats = [sparse_features(i) for i in test]
    return {
        t: np.array([m.logit(f, rules_test[t][j]) >= m.threshold for j, f in enumerate(feats)])
        for t, m in models.items()
    }


# --- report -------------------------------------------------------------------------------------


def summarise(name: str, folds: list[Fold]) -> None:
    per_topic = {}
    for t in TOPICS:
        rows = [prf(f.pred[t], f.truth[t]) for f in folds]
        mean = [float(np.mean([r[i] for r in rows])) for i in range(3)]
        tp, fp, fn = (sum(r[i] for r in rows) for i in (3, 4, 5))
        per_topic[t] = (*mean, tp, fp, fn)
    macro = np.mean([np.mean([prf(f.pred[t], f.truth[t])[2] for t in TOPICS]) for f in folds])
    std = np.std([np.mean([prf(f.pred[t], f.truth[t])[2] for t in TOPICS]) for f in folds])
    cells = "  ".join(
        f"{t} P={p:.2f} R={r:.2f} F1={f:.2f} ({tp}/{fp}/{fn})"
        for t, (p, r, f, tp, fp, fn) in per_topic.items()
    )
    print(f"  {name:18} macro-F1={macro:.3f}±{std:.3f}  {cells}")
    pooled = {
        t: prf(
            np.concatenate([f.pred[t][f.blind] for f in folds]),
            np.concatenate([f.truth[t][f.blind] for f in folds]),
        )
        for t in TOPICS
    }
    blind_macro = np.mean([row[2] for row in pooled.values()])
    cells = "  ".join(f"{t} P={p:.2f} R={r:.2f} F1={f:.2f}" for t, (p, r, f, *_) in pooled.items())
    print(f"  {'   blind only':18} pooled macro-F1={blind_macro:.3f}  {cells}")


def speed(items: Sequence[Item]) -> None:
    """Per-item classification speed: rules alone, and rules + a sparse model (as it would ship)."""
    topics = rules()
    batch = [items[i % len(items)] for i in range(5000)]
    models = train_sparse(items, rule_scores(items), 400, use_rules=True)
    start = time.process_time()
    for item in batch:
        classify(item.title, item.text, topics)
    rule_s = time.process_time() - start
    start = time.process_time()
    for item in batch:
        scores = classify(item.title, item.text, topics)
        feats = sparse_features(item)
        for s in scores:
            if s.topic in models:
                models[s.topic].logit(feats, s.score)
    hybrid_s = time.process_time() - start
    print(
        f"\nspeed (CPU, {len(batch)} items): rules {len(batch) / rule_s:,.0f}/s, "
        f"rules + sparse model {len(batch) / hybrid_s:,.0f}/s"
    )


def train_and_run_sparse(
    train: Sequence[Item],
    test: Sequence[Item],
    r_train: Mapping[str, np.ndarray],
    r_test: Mapping[str, np.ndarray],
    k: int,
    use_rules: bool,
) -> dict[str, np.ndarray]:
    return run_sparse(train_sparse(train, r_train, k, use_rules=use_rules), test, r_test)


def contenders(
    train: Sequence[Item],
    test: Sequence[Item],
    r_train: Mapping[str, np.ndarray],
    r_test: Mapping[str, np.ndarray],
    ks: Sequence[int],
) -> dict[str, Callable[[], dict[str, np.ndarray]]]:
    """Each contender as a thunk: train on ``train``, predict membership on ``test``."""
    runs: dict[str, Callable[[], dict[str, np.ndarray]]] = {
        "(a) rules": lambda: run_rules(test, r_test),
        "(b) lr-tfidf": lambda: run_tfidf(train, test, r_train, r_test, use_rules=False),
        "(b') lr-tfidf+rules": lambda: run_tfidf(train, test, r_train, r_test, use_rules=True),
    }
    for k in ks:
        for name, use_rules in ((f"(c) hybrid-{k}", True), (f"(c') sparse-{k}", False)):
            runs[name] = partial(train_and_run_sparse, train, test, r_train, r_test, k, use_rules)
    return runs


def main() -> None:
    global SPARSE_C
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--k", type=int, nargs="*", default=[200, 800])
    parser.add_argument("--rules", type=Path, help="topics YAML to use instead of the shipped one")
    parser.add_argument("--only", nargs="*", help="run only contenders whose name has one of these")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--c", type=float, default=SPARSE_C, help="sparse models' inverse L2")
    args = parser.parse_args()
    SPARSE_C = args.c
    if args.rules:
        RULES.update(load_topics(yaml.safe_load(args.rules.read_text("utf-8"))["topics"]))
    feed, blind = load_jsonl(DATA / "real_feed_items.jsonl"), load_jsonl(DATA / "blind_items.jsonl")
    real = feed + blind
    is_blind = np.array([False] * len(feed) + [True] * len(blind))
    written = load_jsonl(DATA / "labelled.jsonl")
    counts = {t: sum(t in i.topics for i in real) for t in TOPICS}
    print(f"real items {len(real)} (positives {counts}), written items {len(written)} train-only")
    rules_real = rule_scores(real)
    rules_written = rule_scores(written)
    strat = np.array([strat_key(i) for i in real])
    results: dict[str, list[Fold]] = {}
    timing: dict[str, float] = {}
    for seed in range(args.repeats):
        for tr, te in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(real, strat):
            train = [real[i] for i in tr] + written
            test = [real[i] for i in te]
            r_train = {t: np.concatenate([rules_real[t][tr], rules_written[t]]) for t in TOPICS}
            r_test = {t: rules_real[t][te] for t in TOPICS}
            truth = {t: np.array([t in i.topics for i in test]) for t in TOPICS}
            runs = contenders(train, test, r_train, r_test, args.k)
            for name, run in runs.items():
                if args.only and not any(word in name for word in args.only):
                    continue
                start = time.perf_counter()
                results.setdefault(name, []).append(Fold(run(), truth, is_blind[te]))
                timing[name] = timing.get(name, 0.0) + time.perf_counter() - start
        print(f"  seed {seed} done", file=sys.stderr)
    n = args.repeats * FOLDS
    print(f"\n{FOLDS}-fold stratified CV x {args.repeats} repeats; P/R/F1 averaged over {n} folds,")
    print("(tp/fp/fn) pooled over all test folds")
    for name, folds in results.items():
        summarise(name, folds)
    print(
        "\ntrain+predict time per fold: "
        + ", ".join(f"{k} {v / n:.1f}s" for k, v in timing.items())
    )
    if not args.no_speed:
        speed(real + written)


if __name__ == "__main__":
    main()
