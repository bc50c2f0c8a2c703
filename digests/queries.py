"""Read paths over the store shared by the CLI, chat commands and the scheduler.

Thin glue: load from the store, then call the pure core (compose, ask). Kept in one place so
``digestbot digest`` and ``/news digest`` can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from digests.ask import Answer, ask
from digests.compose import build_digest
from digests.llm import compose_answer
from digests.models import Digest
from digests.settings import Settings
from digests.store import Store
from digests.timewindow import parse_window


def topic_digest(
    store: Store,
    settings: Settings,
    topic: str,
    *,
    now: datetime,
    window: str | None = None,
    max_items: int | None = None,
    min_score: float | None = None,
    exclude_story_ids: Collection[int] = (),
    updated_story_ids: Collection[int] = (),
    archive_url: str | None = None,
) -> Digest:
    """The digest of ``topic`` over the last ``window`` (default: the config's digest window)."""
    definition = settings.topic(topic)
    window = window or settings.digest.window
    since = now - parse_window(window)
    articles = store.articles_in_window(
        since,
        now,
        topic=topic,
        min_score=settings.digest.min_score if min_score is None else min_score,
    )
    return build_digest(
        topic,
        articles,
        since=since,
        until=now,
        now=now,
        window=window,
        max_items=max_items or settings.digest.max_stories,
        description=definition.description,
        color=definition.color or "",
        exclude_story_ids=exclude_story_ids,
        updated_story_ids=updated_story_ids,
        archive_url=archive_url,
    )


def answer_question(
    store: Store,
    settings: Settings,
    question: str,
    *,
    topic: str | None = None,
    since: datetime | None = None,
    llm_api_key: str | None = None,
) -> Answer:
    """The extractive answer; reworded by the configured LLM when enabled, citing its sources.

    The LLM may only use the retrieved sentences; when it fails, times out or cites nothing,
    the extractive answer stands.
    """
    result = ask(question, store, topic=topic, since=since)
    llm = settings.llm
    if not llm.enabled or result.empty:
        return result
    composed = compose_answer(
        question,
        result.sources,
        base_url=llm.base_url,
        model=llm.model,
        api_key=llm_api_key,
        timeout=llm.timeout,
    )
    if composed is None:
        return result
    return replace(result, answer=composed)
