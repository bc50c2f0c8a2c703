"""Windows of one topic to one channel that are open at the same time (``digestbot post`` run
twice at once, a post while a scheduled window is failing) never post the same story twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app import App
from bot.delivery import deliver_subscription, post_now
from bot.senders import Sender
from digests.store import Store, Subscription
from tests.bot.delivery.helpers import NOW, WORDS, HistorySlackApi, add_story, long_text


def _titles(api: HistorySlackApi) -> list[str]:
    return [str(m.get("blocks")) for m in api.posted]


async def test_concurrent_posts_send_each_story_once(
    app: App, store: Store, senders: dict[str, Sender], slack_api: HistorySlackApi
) -> None:
    story = add_story(store, "Cyberattack hits ministry")
    results = await asyncio.gather(
        *(post_now(app, "desk", topic="security", senders=senders) for _ in range(3))
    )
    delivered = [r for r in results if r.delivered]
    assert len(delivered) == 1 and len(slack_api.posted) == 1
    skipped = [s.reason for r in results for s in r.skipped]
    assert skipped == ["no new stories for security in the last 24h"] * 2
    assert store.delivered_story_ids("desk", "security") == {story}


async def test_a_post_leaves_out_what_a_failing_scheduled_window_will_resend(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    """The scheduled window failed after planning (it is resumed within the grace period):
    a post meanwhile sends only the other stories, and the resumed window sends its own."""
    first = add_story(store, "Cyberattack hits ministry")
    slack_api.error_next("fatal_error")  # transient
    failed = await deliver_subscription(app, sub, NOW, senders)
    assert failed.status == "failed"
    second = add_story(store, "Army repels insurgent attack")

    posted = await post_now(app, "desk", topic="security", senders=senders)
    assert [d.topic for d in posted.delivered] == ["security"]
    resumed = await deliver_subscription(app, sub, NOW, senders)
    assert resumed.status == "delivered" and resumed.story_ids == (first,)

    texts = _titles(slack_api)
    assert len(texts) == 2
    assert "Army repels" in texts[0] and "Cyberattack" not in texts[0]
    assert "Cyberattack" in texts[1] and "Army repels" not in texts[1]
    assert store.delivered_story_ids("desk", "security") == {first, second}


async def test_a_failed_post_does_not_hold_its_stories_back(
    app: App, store: Store, senders: dict[str, Sender], slack_api: HistorySlackApi
) -> None:
    """A failed ``post`` is never resumed: the next post sends its stories."""
    add_story(store, "Cyberattack hits ministry")
    slack_api.error_next("fatal_error")
    failed = await post_now(app, "desk", topic="security", senders=senders)
    assert failed.failed and not failed.delivered
    again = await post_now(app, "desk", topic="security", senders=senders)
    assert again.delivered and "Cyberattack" in _titles(slack_api)[0]


async def test_a_post_that_failed_part_way_is_finished_by_the_next(
    make_test_app: Callable[..., App], store: Store, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    """Its sent parts are never sent again: the next post sends the rest of that digest
    first, then only what is new."""
    app = make_test_app(channels={"desk": {"platform": "slack", "channel": "C1",
                                           "topics": ["security"], "max_stories": 24}})
    for i in range(24):
        add_story(store, f"Cyberattack {i} on the {WORDS[i % len(WORDS)]}", summary=long_text(i))
    slack_api.error_next("fatal_error", after=1)  # the first part goes out, the second fails
    first = await post_now(app, "desk", topic="security", senders=senders)
    assert first.failed and len(slack_api.posted) == 1
    fresh = add_story(store, "Army repels insurgent attack")

    second = await post_now(app, "desk", topic="security", senders=senders)

    assert not second.failed
    texts = _titles(slack_api)
    parts = len(texts) - 1  # the resumed digest's remaining parts, then the new one
    assert parts >= 2 and "Army repels" in texts[-1]
    assert all("Army repels" not in t for t in texts[:-1])
    for i in range(24):  # every old story went out exactly once
        assert sum(f"Cyberattack {i} on" in t for t in texts) == 1, i
    assert fresh in store.delivered_story_ids("desk", "security")
