"""Test helpers for delivery: stored stories, settings, and a Slack fake with history.

``HistorySlackApi`` is the shared ``FakeSlackApi`` plus what crash tests need: it answers
``conversations.history`` (with message metadata) from the messages it accepted, and can hold
its answer to ``chat.postMessage`` for ``delay`` seconds *after* storing the message, so a
worker killed in that gap has had its part accepted without learning so.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from aiohttp import web

from bot.app import App
from bot.delivery import deliver_subscription
from bot.delivery_progress import Progress
from bot.senders import Sender
from digests.models import Article, Summary, TopicScore
from digests.settings import Settings
from digests.store import NewArticle, Store, Subscription
from tests.fakes.slack_api import FakeSlackApi

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
_n = itertools.count(1)


def add_story(
    store: Store,
    title: str,
    *,
    topic: str = "security",
    published: datetime | None = None,
    fetched_at: datetime | None = None,
    summary: str | None = None,
    score: float = 0.9,
    url: str | None = None,
) -> int:
    """Store one article that is a member of ``topic``; its story id."""
    n = next(_n)
    body = summary or f"{title}. Report number {n} on the matter, with details."
    article = Article(
        title=title,
        url=url or f"https://news.example/{n}",
        body=f"{body} Unique marker {n}-{title}.",
        source="Example News",
        published=published or NOW - timedelta(hours=1),
    )
    [outcome] = store.add_articles([
        NewArticle(
            article=article,
            topics=(TopicScore(topic, score, True, ("test",)),),
            summary=Summary(body),
            fetched_at=fetched_at or NOW - timedelta(minutes=30),
        )
    ])
    return outcome.story_id


def settings_with(channels: dict[str, Any], **extra: Any) -> Settings:
    data: dict[str, Any] = {"channels": channels, **extra}
    return Settings.model_validate(data)


@dataclass
class HistorySlackApi(FakeSlackApi):
    """``FakeSlackApi`` with ``conversations.history`` and a slow answer to posts."""

    delay: float = 0.0
    history: bool = True
    posted: list[dict[str, Any]] = field(default_factory=list)  # params + "ts", in order

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "conversations.history":
            if not self.history:
                return web.json_response({"ok": False, "error": "missing_scope"})
            messages = [{"ts": m["ts"], "text": m.get("text"), "metadata": m.get("metadata")}
                        for m in reversed(self.posted)]
            return web.json_response({"ok": True, "messages": messages, "has_more": False})
        response = await super()._api(request)
        if method == "chat.postMessage" and self.delay:
            await asyncio.sleep(self.delay)
        return response

    def _post_message(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        error, body = super()._post_message(params)
        if error is None:
            self.posted.append({**params, "ts": body["ts"]})
        return error, body

    def refs(self) -> list[str]:
        """The delivery refs (``<delivery id>:<part>``) of the accepted posts, in order."""
        out = []
        for m in self.posted:
            meta = m.get("metadata") or {}
            out.append(str((meta.get("event_payload") or {}).get("ref")))
        return out


class SlowFake(Protocol):
    """A fake platform API that can hold back its answers (Slack's and Discord's fakes)."""

    delay: float

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None: ...


async def crash_mid_part(
    app: App,
    sub: Subscription,
    senders: Mapping[str, Sender],
    api: SlowFake,
    posted: Callable[[], int],
) -> tuple[int, Progress]:
    """Run a delivery and kill it while part 1 is accepted by the platform (``posted()`` counts
    accepted messages) but not yet answered; the ledger row's id and recorded progress."""
    api.delay = 0.5
    task = asyncio.create_task(deliver_subscription(app, sub, NOW, senders, worker="host:1"))
    await api.wait_for(lambda: posted() >= 2, timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    api.delay = 0.0
    [row] = app.store.pending_deliveries(NOW + timedelta(minutes=1))
    progress = Progress.decode(row.message_ids)
    assert progress.plan_id is not None and len(progress.sent) == 1  # part 0 recorded only
    return row.id, progress


WORDS = ("harbour", "ministry", "satellite", "railway", "pipeline", "embassy", "refinery",
         "airbase", "reactor", "telecom", "treasury", "shipyard", "customs", "archive")


def long_text(i: int) -> str:
    """About 800 characters, different enough per story that none cluster together."""
    rnd = random.Random(i)
    return " ".join(
        f"The {rnd.choice(WORDS)} {rnd.choice(WORDS)} incident {i}-{k} "
        f"{rnd.randrange(10**6)} affected {rnd.choice(WORDS)} systems."
        for k in range(14)
    )
