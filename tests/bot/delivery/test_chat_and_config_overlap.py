"""A chat subscription made before the config declared the same channel and topic: the two
are keyed apart (``slack:C1`` and ``desk``), each with its own delivery record, so both
jobs would post every story. The scheduler's start drops the chat one; a story goes once."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.commands import handle_command
from bot.delivery import deliver_subscription
from bot.scheduler import DigestScheduler, job_id
from bot.senders.console import ConsoleSender
from bot.senders.registry import make_senders
from bot.types import CommandContext
from digests.settings import Secrets
from digests.store import Store, Subscription
from tests.bot.delivery.helpers import HistorySlackApi, add_story, settings_with
from tests.bot.scheduling.helpers import Clock

DESK = {"platform": "slack", "channel": "C1", "topics": ["security"],
        "schedule": "daily 08:00"}


def next_slot(hours_ahead: int = 2) -> datetime:
    """The first 08:00 UTC at least ``hours_ahead`` from now: chat subscriptions are stamped
    with the real time, so their first slot must come after it, and APScheduler (on real
    time) must not fire on its own during the test."""
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    slot = start.replace(hour=8, minute=0, second=0, microsecond=0)
    return slot if slot >= start else slot + timedelta(days=1)


def app_with(store: Store, tmp_path: Path, channels: dict[str, Any], clock: Clock) -> App:
    settings = settings_with(channels, archive_dir=str(tmp_path / "archive"),
                             delivery={"min_interval_seconds": 0})
    return App(settings=settings, secrets=Secrets(slack_bot_token="xoxb-test"), store=store,
               clock=clock)


async def test_chat_subscription_made_before_the_config_declared_it_is_dropped(
    store: Store, tmp_path: Path, slack_api: HistorySlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slot = next_slot()
    clock = Clock(slot - timedelta(hours=1))
    here = CommandContext(platform="slack", channel_id="C1", user_id="U1")
    elsewhere = CommandContext(platform="slack", channel_id="C2", user_id="U1")

    # Before: no config channel for C1; the channel subscribes from chat.
    before = app_with(store, tmp_path, {}, clock)
    for ctx, text in [(here, "subscribe security daily 08:00"),
                      (here, "subscribe drugs daily 08:00"),
                      (elsewhere, "subscribe security daily 08:00")]:
        reply = await handle_command(before, text, ctx)
        assert "now subscribed" in reply.text, reply.text

    # Then the config declares C1 with security; the scheduler starts.
    app = app_with(store, tmp_path, {"desk": DESK}, clock)
    clock.now = slot - timedelta(minutes=10)
    senders = make_senders(app, console=ConsoleSender(io.StringIO))

    async def deliver(sub: Subscription, at: datetime) -> None:
        await deliver_subscription(app, sub, at, senders)

    async def poll() -> None:
        return None

    sched = DigestScheduler(app, deliver, poll, clock, poll_every=3600, refresh_every=3600)
    with caplog.at_level(logging.INFO, logger="bot.scheduler"):
        await sched.start()
    try:
        removed = [r.getMessage() for r in caplog.records if "removed chat" in r.getMessage()]
        assert len(removed) == 1 and removed[0].startswith(
            "removed chat subscription sub:slack:C1:security (daily 08:00, by U1): config "
            "channel desk declares security for the same channel"), removed
        # Only the overlapping one went: another topic, another channel stay.
        assert {(s.channel_key, s.topic, s.source) for s in store.list_subscriptions()} == {
            ("desk", "security", "config"),
            ("slack:C1", "drugs", "chat"),
            ("slack:C2", "security", "chat"),
        }
        listing = (await handle_command(app, "subscriptions", here)).text
        assert [line.split(" - ")[0] for line in listing.splitlines()[1:]] == [
            "drugs", "security"
        ]
        assert "security - daily 08:00 (UTC, config)" in listing, listing

        # The 08:00 slot: every job runs, against the fake Slack API.
        titles = ["Ransomware hits port authority", "Botnet takes down city portal"]
        for title in titles:
            add_story(store, title, published=slot - timedelta(hours=1),
                      fetched_at=slot - timedelta(minutes=30))
        clock.now = slot + timedelta(minutes=1)
        for sub in sched.subscriptions():
            await sched.run_subscription(job_id(sub))
    finally:
        await sched.shutdown()
    in_c1 = [m for m in slack_api.posted if m["channel"] == "C1"]
    assert in_c1, "nothing was posted to C1"
    for title in titles:
        assert sum(title in str(m.get("blocks")) for m in in_c1) == 1, title
    # The other channel's own chat subscription still posts there.
    assert any(m["channel"] == "C2" for m in slack_api.posted)
