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
    """What ``rescore_changed`` did: the topics scored again, over how many articles."""

    topics: tuple[str, ...] = ()
    articles: int = 0


def stale_topics(store: Store, topics: Mapping[str, TopicDefinition]) -> list[str]:
    """Configured topics whose stored scores were computed with another definition (or never);
    a store without any recorded version adopts the topics it has scores for."""
    recorded = store.topic_versions()
    if not recorded:
        recorded = {t: fingerprint(topics[t]) for t in store.scored_topics() if t in topics}
    return [name for name, d in topics.items() if recorded.get(name) != fingerprint(d)]


def rescore_changed(
    store: Store,
    topics: Mapping[str, TopicDefinition],
    now: datetime,
    *,
    progress: Callable[[int], None] | None = None,
) -> Rescored:
    """Score the stale topics over every stored article and record their definitions; the
    up-to-date ones are recorded too (so a later change is seen). Safe to stop at any point:
    a topic's version is recorded only after all its articles are scored."""
    stale = stale_topics(store, topics)
    subset = {name: topics[name] for name in stale}
    done = 0
    if subset:
        log.info("scoring stored articles for changed topics: %s", ", ".join(stale))
        after = 0
        while batch := store.article_texts(after, BATCH):
            scores = [
                (article_id, score)
                for article_id, title, body in batch
                for score in classify(title, body, subset)
            ]
            store.replace_topic_scores(scores, stale)
            after, done = batch[-1][0], done + len(batch)
            if progress:
                progress(done)
    recorded = store.topic_versions()
    for name, definition in topics.items():
        if recorded.get(name) != (fp := fingerprint(definition)):
            store.set_topic_version(name, fp, now)
    if subset:
        log.info("scored %d stored articles for %s", done, ", ".join(stale))
    return Rescored(tuple(stale), done)
