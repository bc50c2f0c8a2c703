"""Topics are configuration: when one is added, renamed or edited, the stored articles are
scored for it again, so its digests, searches and questions cover what is stored already.

Each topic's stored scores carry the fingerprint of the definition they were computed with
(its terms, context terms, exclusions and weights, not its description or colour, plus
``CLASSIFIER_VERSION``, which a release bumps when the scoring itself changes). At start-up the
configured topics are compared with it; the ones that differ are scored over every stored
article, in batches of one transaction each, and then recorded. A topic taken out of the
config keeps its rows (harmless: it cannot be asked for) until it comes back.

A store from before fingerprints were kept adopts the configured topics it already has scores
for (they were computed with this config or close to it) instead of scoring everything again
on the first start after the upgrade; a configured topic with no scores at all is scored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from digests.store import Store
from digests.topics import TopicDefinition, classify

log = logging.getLogger(__name__)

CLASSIFIER_VERSION = 1  # bump when digests.topics scores the same definition differently
BATCH = 500  # articles per read and per write transaction


def fingerprint(definition: TopicDefinition) -> str:
    """What a topic's scores depend on, hashed: terms, context terms, exclusions, weights."""
    decisive = definition.model_dump(exclude={"description", "color"})
    text = json.dumps([CLASSIFIER_VERSION, decisive], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rescored:
    """What ``rescore_changed`` did: the topics scored again over every stored article, and
    how many article scores were written in all (those plus the ones filled in)."""

    topics: tuple[str, ...] = ()
    articles: int = 0


@dataclass(frozen=True)
class Plan:
    """What is out of date: topics to score over every article (``stale``), and topics to
    score only over the articles above their watermark that have no score yet (``missing``:
    articles stored meanwhile under a config without the topic)."""

    stale: tuple[str, ...]
    missing: dict[str, int]  # topic -> scored_through
    newest: int  # the highest article id now
    adopted: bool = False  # no version recorded yet: those adopted still need writing

    @property
    def empty(self) -> bool:
        """Nothing to score and nothing to record."""
        return not self.stale and not self.missing and not self.adopted


def plan(store: Store, topics: Mapping[str, TopicDefinition]) -> Plan:
    """Compare the configured topics with what the stored scores were computed with. A store
    without any recorded version adopts the topics it has scores for."""
    recorded = store.topic_versions()
    newest = store.max_article_id()
    adopted = not recorded
    if adopted:
        scored = store.scored_topics()
        recorded = {t: (fingerprint(d), newest) for t, d in topics.items() if t in scored}
    stale, missing = [], {}
    for name, definition in topics.items():
        found = recorded.get(name)
        if found is None or found[0] != fingerprint(definition):
            stale.append(name)
        elif found[1] < newest:
            missing[name] = found[1]
    return Plan(tuple(stale), missing, newest, adopted)


def stale_topics(store: Store, topics: Mapping[str, TopicDefinition]) -> list[str]:
    """Configured topics whose stored scores were computed with another definition (or never)."""
    return list(plan(store, topics).stale)


def rescore_changed(
    store: Store,
    topics: Mapping[str, TopicDefinition],
    now: datetime,
    *,
    progress: Callable[[int], None] | None = None,
) -> Rescored:
    """Score the stale topics over every stored article, fill in the scores missing above
    each other topic's watermark, and record definitions and watermarks. Safe to stop at any
    point: a topic's version is recorded only after its articles are scored. ``progress`` is
    called after each batch (a caller holding a lease renews it there)."""
    todo = plan(store, topics)
    written = 0

    def run(names: tuple[str, ...], after: int, without: str | None) -> None:
        nonlocal written
        subset = {name: topics[name] for name in names}
        while batch := store.article_texts(after, BATCH, without_topic=without):
            scores = [
                (article_id, score)
                for article_id, title, body in batch
                for score in classify(title, body, subset)
            ]
            store.replace_topic_scores(scores, names)
            after, written = batch[-1][0], written + len(batch)
            if progress:
                progress(written)

    if todo.stale:
        log.info("scoring stored articles for changed topics: %s", ", ".join(todo.stale))
        run(todo.stale, 0, None)
    for name, through in todo.missing.items():
        run((name,), through, name)
    recorded = store.topic_versions()
    for name, definition in topics.items():
        fp = fingerprint(definition)
        if recorded.get(name) != (fp, todo.newest):
            store.set_topic_version(name, fp, todo.newest, now)
    if written:
        log.info("scored %d stored articles for %s", written,
                 ", ".join([*todo.stale, *todo.missing]))
    return Rescored(todo.stale, written)
