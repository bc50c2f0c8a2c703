"""Delivery through the ledger: each (channel, subscription, window) is posted once."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.app import App
from bot.delivery import deliver_subscription, post_now
from bot.senders import Sender
from bot.senders.console import ConsoleSender
from bot.senders.registry import make_senders
from digests.errors import UsageError
from digests.store import Store, Subscription
from tests.bot.delivery.helpers import NOW, HistorySlackApi, add_story

SLOT = NOW  # "daily 08:00" slot


def _texts(api: HistorySlackApi) -> str:
    return "\n".join(str(m.get("text")) + str(m.get("blocks")) for m in api.posted)


def _ledger(store: Store, delivery_id: int | None) -> str:
    assert delivery_id is not None
    row = store.get_delivery(delivery_id)
    assert row is not None
    return row.status


# --- post_now ---------------------------------------------------------------------------------


async def test_post_now_console_prints_markdown_archives_and_records(
    app: App, store: Store, senders: dict[str, Sender], console_out: io.StringIO
) -> None:
    add_story(store, "Cyberattack hits ministry")
    result = await post_now(app, "console", senders=senders)
    out = result.to_json()
    assert [d["topic"] for d in out["delivered"]] == ["security"]
    assert out["delivered"][0]["message_id"].startswith("console:")
    assert out["skipped"] == [{"channel": "console", "topic": "migration",
                               "reason": "no new stories for migration in the last 24h"}]
    assert "Cyberattack hits ministry" in console_out.getvalue()
    files = sorted(p.suffix for p in app.archive_dir.glob("security/*"))
    assert files == [".html", ".md"]
    assert [d.topic for d in store.list_digests()] == ["security"]
    again = await post_now(app, "console", topic="security", senders=senders)
    assert again.delivered == () and again.skipped[0].reason.startswith("no new stories")


async def test_post_now_unknown_channel_lists_known(app: App, senders: dict[str, Sender]) -> None:
    with pytest.raises(UsageError, match=r"unknown channel 'nope' \(known: console, desk, ops\)"):
        await post_now(app, "nope", senders=senders)


async def test_post_now_slack_without_token_is_skipped(
    make_test_app: Callable[..., App], store: Store
) -> None:
    app = make_test_app(token=None)
    add_story(store, "Cyberattack hits ministry")
    result = await post_now(app, "desk", senders=make_senders(app))
    assert result.to_json()["skipped"] == [
        {"channel": "desk", "topic": "security", "reason": "SLACK_BOT_TOKEN is not set"}
    ]


async def test_post_now_slack_posts_with_delivery_metadata(
    app: App, store: Store, senders: dict[str, Sender], slack_api: HistorySlackApi
) -> None:
    add_story(store, "Cyberattack hits ministry")
    result = await post_now(app, "desk", senders=senders)
    assert [d.message_id for d in result.delivered] == [m["ts"] for m in slack_api.posted]
    assert slack_api.posted[0]["channel"] == "C1"
    assert slack_api.refs()[0].endswith(":0")
    assert store.delivered_story_ids("desk", "security")


async def test_post_now_discord_webhook(
    make_test_app: Callable[..., App], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from tests.fakes.discord_api import FakeDiscordApi

    async with FakeDiscordApi() as api:
        monkeypatch.setenv("DISCORD_API_URL", api.api_url)
        app = make_test_app({"beat": {"platform": "discord", "topics": ["security"],
                                      "webhook": api.webhook_url(123, "tok")}}, token=None)
        add_story(store, "Cyberattack hits ministry")
        async with aiohttp.ClientSession() as session:
            result = await post_now(app, "beat", senders=make_senders(app, session=session))
        assert len(result.delivered) == 1 and not result.failed
        assert len(api.messages) == 1
        assert result.delivered[0].message_id == api.messages[0].id
        assert api.messages[0].target == "123"


# --- the ledger ---------------------------------------------------------------------------------


async def test_same_slot_twice_posts_once(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    add_story(store, "Cyberattack hits ministry")
    first = await deliver_subscription(app, sub, SLOT, senders)
    second = await deliver_subscription(app, sub, SLOT, senders)
    assert (first.status, second.status) == ("delivered", "already")
    assert len(slack_api.posted) == 1
    assert _ledger(store, first.delivery_id) == "delivered"


async def test_concurrent_tasks_post_once(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    add_story(store, "Cyberattack hits ministry")
    outcomes = await asyncio.gather(
        *(deliver_subscription(app, sub, SLOT, senders, worker=f"w{i}") for i in range(4))
    )
    assert sorted(o.status for o in outcomes) == ["already"] * 3 + ["delivered"]
    assert len(slack_api.posted) == 1


async def test_failed_send_is_not_delivered_and_is_retried(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    story = add_story(store, "Cyberattack hits ministry")
    slack_api.error_next("fatal_error")  # transient: not one of Slack's permanent errors
    failed = await deliver_subscription(app, sub, SLOT, senders)
    assert failed.status == "failed" and failed.error == "fatal_error"
    assert _ledger(store, failed.delivery_id) == "failed"
    assert store.delivered_story_ids("desk", "security") == set()
    assert slack_api.posted == []
    retried = await deliver_subscription(app, sub, SLOT, senders)
    assert retried.status == "delivered" and retried.delivery_id == failed.delivery_id
    assert store.delivered_story_ids("desk", "security") == {story}
    assert len(slack_api.posted) == 1


async def test_attempts_are_capped(
    make_test_app: Callable[..., App], store: Store, sub: Subscription,
    slack_api: HistorySlackApi, console_out: io.StringIO,
) -> None:
    app = make_test_app(delivery={"min_interval_seconds": 0, "max_attempts": 2})
    senders = make_senders(app, console=ConsoleSender(lambda: console_out))
    add_story(store, "Cyberattack hits ministry")
    slack_api.error_next("fatal_error", 5)
    statuses = [(await deliver_subscription(app, sub, SLOT, senders)).status for _ in range(4)]
    assert statuses == ["failed", "failed", "permanent", "already"]
    assert len(slack_api.calls_to("chat.postMessage")) == 2


async def test_permanent_error_recorded_and_admin_told(
    make_test_app: Callable[..., App], store: Store, sub: Subscription,
    slack_api: HistorySlackApi, console_out: io.StringIO,
) -> None:
    from tests.bot.delivery.conftest import CHANNELS

    app = make_test_app(CHANNELS, admin_channel="ops")
    senders = make_senders(app, console=ConsoleSender(lambda: console_out))
    add_story(store, "Cyberattack hits ministry")
    slack_api.error_next("channel_not_found")
    outcome = await deliver_subscription(app, sub, SLOT, senders)
    assert outcome.status == "permanent" and outcome.error == "channel_not_found"
    assert _ledger(store, outcome.delivery_id) == "dead"
    [stored] = store.list_subscriptions("desk")
    assert stored.last_error == "channel_not_found"
    assert "[notice] Digest delivery to desk (security) failed" in console_out.getvalue()
    assert (await deliver_subscription(app, sub, SLOT, senders)).status == "already"
    assert len(slack_api.calls_to("chat.postMessage")) == 1


async def test_only_stories_not_yet_delivered(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    add_story(store, "Cyberattack hits ministry")
    await deliver_subscription(app, sub, SLOT, senders)
    add_story(store, "Army repels insurgent attack", published=NOW + timedelta(hours=3))
    later = await deliver_subscription(app, sub, SLOT + timedelta(days=1), senders)
    assert later.status == "delivered" and len(later.story_ids) == 1
    second = str(slack_api.posted[1].get("blocks"))
    assert "Army repels insurgent attack" in second and "Cyberattack" not in second


async def test_empty_window_recorded_without_a_message(
    app: App, store: Store, sub: Subscription, senders: dict[str, Sender],
    slack_api: HistorySlackApi,
) -> None:
    outcome = await deliver_subscription(app, sub, SLOT, senders)
    assert outcome.status == "empty" and outcome.message_ids == ()
    assert _ledger(store, outcome.delivery_id) == "delivered"
    assert slack_api.posted == []
    loud = store.add_subscription(Subscription(
        id=None, channel_key="desk", platform="slack", channel_id="C1", topic="migration",
        schedule="daily 08:00", options={"post_empty": True}, created_at=NOW))
    shown = await deliver_subscription(app, loud, SLOT, senders)
    assert shown.status == "delivered" and "There is no news for migration" in _texts(slack_api)


async def test_filters_cap_and_more_line(
    app: App, store: Store, senders: dict[str, Sender], slack_api: HistorySlackApi
) -> None:
    sub = store.add_subscription(Subscription(
        id=None, channel_key="desk", platform="slack", channel_id="C1", topic="security",
        schedule="daily 08:00", created_at=NOW,
        options={"max_stories": 2,
                 "filters": {"include": ["cyberattack", "/insurg\\w+/"], "exclude": ["opinion"],
                             "min_score": 0.5}},
    ))
    add_story(store, "Cyberattack hits ministry")
    add_story(store, "Second cyberattack on a port")
    add_story(store, "Insurgents seize a town")
    add_story(store, "Opinion: the cyberattack era")  # excluded
    add_story(store, "Weather turns cold")  # not included
    add_story(store, "Weak cyberattack link", score=0.3)  # under min_score
    outcome = await deliver_subscription(app, sub, SLOT, senders)
    assert outcome.status == "delivered" and len(outcome.story_ids) == 2 and outcome.more == 1
    text = _texts(slack_api)
    assert "Opinion" not in text and "Weather" not in text and "Weak" not in text
    assert "1 more" in text


async def test_public_url_links_the_archived_digest(
    make_test_app: Callable[..., App], store: Store, sub: Subscription,
    slack_api: HistorySlackApi, console_out: io.StringIO,
) -> None:
    app = make_test_app(public_url="https://news.example.org")
    senders = make_senders(app, console=ConsoleSender(lambda: console_out))
    add_story(store, "Cyberattack hits ministry")
    outcome = await deliver_subscription(app, sub, SLOT, senders)
    link = f"https://news.example.org/digests/security/{outcome.archive_id}"
    assert link in _texts(slack_api)
    archived = store.get_digest(outcome.archive_id or 0)
    assert archived is not None and archived.channel_key == "desk"
