"""digests.rescore on a real store (SQLite and PostgreSQL): stored articles are scored again
for the topics whose definition changed, and only for those."""

from __future__ import annotations

from datetime import UTC, datetime

from digests.models import TopicScore
from digests.rescore import BATCH, fingerprint, rescore_changed, stale_topics
from digests.store import Store
from digests.topics import TopicDefinition
from tests.store.builders import make_article

NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
PORTS = TopicDefinition(description="Ports.", terms={"port": 1.0, "dock": 1.0, "strike": 0.5})
SPORT = TopicDefinition(description="Sport.", terms={"football": 1.0, "match": 1.0})


def _store_articles(store: Store, n: int, first: int = 0) -> list[int]:
    items = [
        make_article(f"Dock strike day {i}", f"Dock workers at the port went on strike, day {i}.",
                     topics={"sport": 0.1} if i else {"sport": 0.9})
        for i in range(first, first + n)
    ]
    return [o.article_id for o in store.add_articles(items)]


def _scores(store: Store, ids: list[int], topic: str) -> list[TopicScore | None]:
    out = []
    for article in store.get_articles(ids):
        out.append(next((t for t in article.topics if t.topic == topic), None))
    return out


def test_a_new_topic_is_scored_over_every_stored_article(store: Store) -> None:
    ids = _store_articles(store, BATCH + 3)  # more than one batch
    store.set_topic_version("sport", fingerprint(SPORT), store.max_article_id(), NOW)
    before = _scores(store, ids[:2], "sport")

    done = rescore_changed(store, {"ports": PORTS, "sport": SPORT}, NOW)

    assert done.topics == ("ports",) and done.articles == BATCH + 3
    ports = _scores(store, ids, "ports")
    assert all(s is not None and s.member for s in ports)
    assert _scores(store, ids[:2], "sport") == before  # untouched: its definition is the same
    newest = store.max_article_id()
    assert store.topic_versions() == {
        "ports": (fingerprint(PORTS), newest), "sport": (fingerprint(SPORT), newest)
    }
    assert rescore_changed(store, {"ports": PORTS, "sport": SPORT}, NOW).articles == 0


def test_an_edited_topic_replaces_its_scores(store: Store) -> None:
    ids = _store_articles(store, 3)
    rescore_changed(store, {"ports": PORTS}, NOW)
    narrower = PORTS.model_copy(update={"terms": {"harbour": 1.0}})
    assert stale_topics(store, {"ports": narrower}) == ["ports"]
    done = rescore_changed(store, {"ports": narrower}, NOW)
    assert done.topics == ("ports",)
    assert [s.member if s else None for s in _scores(store, ids, "ports")] == [False] * 3
    # The description and colour do not change what a topic matches.
    reworded = narrower.model_copy(update={"description": "Harbours.", "color": "#000000"})
    assert stale_topics(store, {"ports": reworded}) == []


def test_a_store_from_before_adopts_the_topics_it_has_scores_for(store: Store) -> None:
    ids = _store_articles(store, 2)
    assert store.topic_versions() == {}
    assert stale_topics(store, {"sport": SPORT, "ports": PORTS}) == ["ports"]
    done = rescore_changed(store, {"sport": SPORT, "ports": PORTS}, NOW)
    assert done.topics == ("ports",)
    assert [s.score if s else None for s in _scores(store, ids, "sport")] == [0.9, 0.1]
    assert set(store.topic_versions()) == {"sport", "ports"}


def test_an_empty_store_records_the_versions(store: Store) -> None:
    done = rescore_changed(store, {"ports": PORTS}, NOW)
    assert (done.topics, done.articles) == (("ports",), 0)
    assert store.topic_versions() == {"ports": (fingerprint(PORTS), 0)}


def test_articles_stored_meanwhile_without_the_topic_are_scored_for_it(store: Store) -> None:
    """A topic left out of the config for a while (or a cron ingest with another config):
    the articles stored meanwhile have no score for it; the next run fills in those only."""
    ids = _store_articles(store, 2)
    rescore_changed(store, {"ports": PORTS, "sport": SPORT}, NOW)
    later = _store_articles(store, 3, first=10)  # with a sport score only (another config)
    assert _scores(store, later, "ports") == [None] * 3
    done = rescore_changed(store, {"ports": PORTS, "sport": SPORT}, NOW)
    assert done.topics == () and done.articles == 3
    assert all(s is not None and s.member for s in _scores(store, ids + later, "ports"))
    assert rescore_changed(store, {"ports": PORTS, "sport": SPORT}, NOW).articles == 0
