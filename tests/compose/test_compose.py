"""build_digest: grouping by story, the best article, merged facts and sources, ranking, cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from digests.compose import build_digest
from digests.errors import UsageError
from digests.models import Digest, StoredArticle, TopicScore

NOW = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)
_ids = count(1)


def article(
    story: int,
    *,
    score: float = 0.8,
    hours_ago: float = 1,
    source: str = "Example News",
    title: str = "",
    summary: str = "A summary.",
    facts: tuple[str, ...] = (),
    member: bool = True,
    url: str = "",
    body: str = "Body text.",
) -> StoredArticle:
    n = next(_ids)
    return StoredArticle(
        id=n,
        title=title or f"Story {story} article {n}",
        url=url or f"https://example.org/{n}",
        body=body,
        source=source,
        published=NOW - timedelta(hours=hours_ago),
        fetched_at=NOW,
        story_id=story,
        summary=summary,
        key_facts=facts,
        topics=(TopicScore("security", score, member), TopicScore("drugs", 0.1, False)),
    )


def digest(articles: list[StoredArticle], **kwargs: Any) -> Digest:
    return build_digest(
        "security", articles, since=SINCE, until=NOW, now=NOW, window="24h", **kwargs
    )


def test_same_story_articles_become_one_item() -> None:
    early = article(
        1, score=0.6, hours_ago=5, source="Wire", title="First report", facts=("Ten hurt.",)
    )
    best = article(
        1,
        score=0.9,
        hours_ago=3,
        source="Paper",
        title="Best report",
        summary="Best summary.",
        facts=("ten  HURT.", "Port closed."),
    )
    late = article(
        1, score=0.7, hours_ago=1, source="Radio", facts=("Port closed.", "Talks planned.")
    )
    d = digest([late, best, early])
    assert len(d.items) == 1
    item = d.items[0]
    assert (item.story_id, item.title, item.url, item.summary) == (
        1,
        "Best report",
        best.url,
        "Best summary.",
    )
    assert [s.url for s in item.sources] == [early.url, best.url, late.url]  # by published
    assert [s.source for s in item.sources] == ["Wire", "Paper", "Radio"]
    assert item.published == late.published
    assert item.key_facts == ("ten HURT.", "Port closed.", "Talks planned.")  # best first, deduped


def test_best_article_ties_broken_by_summary_then_age() -> None:
    terse = article(1, score=0.8, hours_ago=2, title="Terse", summary="Short.")
    rich = article(
        1, score=0.8, hours_ago=1, title="Rich", summary="Many distinct words tell much more here."
    )
    assert digest([terse, rich]).items[0].title == "Rich"
    older = article(2, score=0.8, hours_ago=4, title="Older", summary="Same words.")
    newer = article(2, score=0.8, hours_ago=2, title="Newer", summary="Same words.")
    assert digest([newer, older]).items[0].title == "Older"


def test_duplicate_links_are_one_source() -> None:
    a = article(1, url="https://example.org/same", hours_ago=2)
    b = article(1, url="https://example.org/same", hours_ago=1)
    assert len(digest([a, b]).items[0].sources) == 1


def test_only_topic_stories_in_the_window() -> None:
    off_topic = article(1, member=False, score=0.2)
    too_old = article(2, hours_ago=30)
    old_then_new = [
        article(3, hours_ago=40, source="Old"),
        article(3, hours_ago=2, member=False, source="New"),
    ]
    d = digest([off_topic, too_old, *old_then_new])
    assert [i.story_id for i in d.items] == [3]
    assert [s.source for s in d.items[0].sources] == ["Old", "New"]  # the whole story comes along


def test_ranking_blends_relevance_recency_and_sources() -> None:
    relevant = article(1, score=0.95, hours_ago=2)
    weak = article(2, score=0.45, hours_ago=2)
    assert [i.story_id for i in digest([weak, relevant]).items] == [1, 2]

    fresh = article(3, score=0.7, hours_ago=1)
    stale = article(4, score=0.7, hours_ago=20)
    assert [i.story_id for i in digest([stale, fresh]).items] == [3, 4]

    lone = article(5, score=0.7, hours_ago=3)
    covered = [article(6, score=0.7, hours_ago=3, source=s) for s in ("A", "B", "C")]
    assert [i.story_id for i in digest([lone, *covered]).items] == [6, 5]

    # 0.5 * 0.8 + 0.3 * 0.5 ** (12h / 12h) + 0.2 * (1 - 1/2)
    pair = [
        article(7, score=0.8, hours_ago=12, source="A"),
        article(7, score=0.4, hours_ago=12, source="B"),
    ]
    assert digest(pair).items[0].score == pytest.approx(0.4 + 0.15 + 0.1)


def test_same_publisher_twice_is_not_corroboration() -> None:
    twice = [article(1, source="Wire", hours_ago=2), article(1, source="wire", hours_ago=2)]
    once = [article(2, source="Wire", hours_ago=2)]
    items = digest([*twice, *once]).items
    assert items[0].score == items[1].score


def test_exclude_and_updated() -> None:
    arts = [article(1), article(2), article(3)]
    d = digest(arts, exclude_story_ids={1, 2}, updated_story_ids={2})
    assert sorted((i.story_id, i.updated) for i in d.items) == [(2, True), (3, False)]


def test_cap_counts_the_rest() -> None:
    arts = [article(n, score=0.5 + n / 100) for n in range(1, 16)]
    d = digest(arts, max_items=10)
    assert len(d.items) == 10 and d.more == 5
    assert [i.story_id for i in d.items] == list(range(15, 5, -1))
    assert digest(arts, max_items=20).more == 0


def test_digest_carries_its_frame() -> None:
    d = digest([], description="War and crime", color="#C0392B", archive_url="https://x.example/a")
    assert d.empty and d.more == 0 and d.items == ()
    assert (d.topic, d.since, d.until, d.window, d.generated_at) == (
        "security",
        SINCE,
        NOW,
        "24h",
        NOW,
    )
    assert (d.description, d.color, d.archive_url) == (
        "War and crime",
        "#C0392B",
        "https://x.example/a",
    )


def test_missing_summary_falls_back_to_body() -> None:
    body = "Word " * 200
    item = digest([article(1, summary="", body=body)]).items[0]
    assert (
        item.summary.startswith("Word Word")
        and item.summary.endswith("…")
        and len(item.summary) <= 401
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": NOW, "until": SINCE}, "not before until"),
        ({"since": SINCE.replace(tzinfo=None)}, "needs a time zone"),
        ({"max_items": 0}, "must be at least 1"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"since": SINCE, "until": NOW, "now": NOW, "window": "24h", **kwargs}
    with pytest.raises(UsageError, match=message):
        build_digest("security", [], **args)  # type: ignore[arg-type]
