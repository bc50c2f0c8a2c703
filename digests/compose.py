"""Build a topic's digest from stored articles: group by story, pick, merge, rank, cap. Pure.

Ranking blends three signals, each in 0..1, into ``DigestItem.score``::

    score = 0.5 * relevance + 0.3 * recency + 0.2 * corroboration

- relevance: the story's highest topic score (how squarely it is about the topic);
- recency: ``0.5 ** (age / half_life)`` of the story's latest article, with the half-life half the
  window, so a story from the window's start weighs a quarter of a fresh one;
- corroboration: ``1 - 1 / n`` for ``n`` distinct publishers (1 -> 0, 2 -> 0.5, 4 -> 0.75), so
  a story many outlets carry rises, with diminishing returns.

Ties go to the newer story, then the lower story id, so the order is stable.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from digests.errors import UsageError
from digests.models import Digest, DigestItem, SourceLink, StoredArticle

WEIGHT_RELEVANCE = 0.5
WEIGHT_RECENCY = 0.3
WEIGHT_CORROBORATION = 0.2
MAX_KEY_FACTS = 5  # per story, after merging its articles' facts
FALLBACK_SUMMARY_CHARS = 400  # when no article of a story has a summary, the body's start

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Story:
    """One story's articles and its rank; its item is built only if it makes the cut."""

    story_id: int
    articles: tuple[StoredArticle, ...]
    latest: datetime
    score: float


def build_digest(
    topic: str,
    articles: Sequence[StoredArticle],
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    window: str,
    max_items: int = 10,
    description: str = "",
    color: str = "",
    exclude_story_ids: Collection[int] = (),
    updated_story_ids: Collection[int] = (),
    archive_url: str | None = None,
) -> Digest:
    """The digest of ``topic`` over ``[since, until]``, ranked, capped at ``max_items``.

    A story belongs to the digest when one of its articles is a member of the topic and one of
    them was published in the window; every given article of that story becomes a source.
    Stories in ``exclude_story_ids`` (already delivered) are left out unless they are also in
    ``updated_story_ids`` (they gained sources since), which marks them ``updated``.
    """
    since, until, now = _aware(since, "since"), _aware(until, "until"), _aware(now, "now")
    if since >= until:
        raise UsageError(f"bad digest window: since {since.isoformat()} is not before until")
    if max_items < 1:
        raise UsageError(f"bad max_items {max_items}: must be at least 1")
    updated = frozenset(updated_story_ids)
    excluded = frozenset(exclude_story_ids) - updated
    ranked = sorted(
        (
            story
            for story in _stories(topic, articles, since, until, now)
            if story.story_id not in excluded
        ),
        key=lambda story: (-story.score, -story.latest.timestamp(), story.story_id),
    )
    return Digest(
        topic=topic,
        since=since,
        until=until,
        items=tuple(_item(topic, story, story.story_id in updated) for story in ranked[:max_items]),
        window=window,
        description=description,
        more=max(0, len(ranked) - max_items),
        color=color,
        archive_url=archive_url,
        generated_at=now,
    )


def _stories(
    topic: str, articles: Iterable[StoredArticle], since: datetime, until: datetime, now: datetime
) -> list[_Story]:
    """The stories in the digest, each with its score (see the module docstring)."""
    by_story: dict[int, list[StoredArticle]] = {}
    for article in articles:
        by_story.setdefault(article.story_id, []).append(article)
    half_life = (until - since) / 2
    stories = []
    for story_id, members in by_story.items():
        if not any(a.in_topic(topic) for a in members):
            continue
        published = [_utc(a.published) for a in members]
        if not any(since <= moment <= until for moment in published):
            continue
        latest = max(published)
        relevance = max(a.topic_score(topic) for a in members)
        recency = 0.5 ** (max(timedelta(0), now - latest) / half_life)
        corroboration = 1.0 - 1.0 / len({_publisher(a.source, a.url) for a in members})
        score = (
            WEIGHT_RELEVANCE * relevance
            + WEIGHT_RECENCY * recency
            + WEIGHT_CORROBORATION * corroboration
        )
        stories.append(_Story(story_id, tuple(members), latest, round(score, 6)))
    return stories


def _best_key(topic: str, article: StoredArticle) -> tuple[float, int, float, int]:
    """Sort key, best first: topic score, then most informative summary, then earliest."""
    informative = len({w.casefold() for w in _WORD.findall(article.summary)})
    return (
        -article.topic_score(topic),
        -informative,
        _utc(article.published).timestamp(),
        article.id,
    )


def _item(topic: str, story: _Story, updated: bool) -> DigestItem:
    """The story as a digest item, told by its best article."""
    articles = sorted(story.articles, key=lambda a: _best_key(topic, a))
    best = articles[0]
    return DigestItem(
        story_id=story.story_id,
        title=_clean(best.title) or best.url,
        url=best.url,
        summary=_summary(articles),
        sources=_sources(articles),
        published=story.latest,
        score=story.score,
        key_facts=_key_facts(articles),
        updated=updated,
    )


def _summary(articles: Sequence[StoredArticle]) -> str:
    """The best article's summary; failing any summary, the start of the best body."""
    for article in articles:
        if article.summary.strip():
            return _clean(article.summary)
    body = _clean(articles[0].body)
    if len(body) <= FALLBACK_SUMMARY_CHARS:
        return body
    cut = body.rfind(" ", 0, FALLBACK_SUMMARY_CHARS)
    return body[: cut if cut > 0 else FALLBACK_SUMMARY_CHARS].rstrip(" ,;:") + "…"


def _key_facts(articles: Sequence[StoredArticle]) -> tuple[str, ...]:
    """Facts of every article, best article's first, deduplicated ignoring case and spacing."""
    seen: set[str] = set()
    facts: list[str] = []
    for article in articles:
        for fact in article.key_facts:
            text = _clean(fact)
            key = text.casefold()
            if text and key not in seen:
                seen.add(key)
                facts.append(text)
    return tuple(facts[:MAX_KEY_FACTS])


def _sources(articles: Iterable[StoredArticle]) -> tuple[SourceLink, ...]:
    """One link per distinct URL, oldest first (who broke the story leads)."""
    links: list[SourceLink] = []
    seen: set[str] = set()
    for article in sorted(articles, key=lambda a: (_utc(a.published), a.id)):
        key = article.url.strip()
        if key in seen:
            continue
        seen.add(key)
        links.append(SourceLink(title=_clean(article.title), url=key, source=article.source))
    return tuple(links)


def _publisher(source: str, url: str) -> str:
    """Who published it: the source name, else the link's host."""
    return source.strip().casefold() or urlsplit(url).netloc.casefold() or url


def _clean(text: str) -> str:
    return " ".join(text.split())


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time (which the store should never hand out) is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise UsageError(f"bad {name} {moment.isoformat()}: needs a time zone (use UTC)")
    return moment.astimezone(UTC)
