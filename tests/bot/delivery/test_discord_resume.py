"""Discord digests resume part by part, through the real delivery code and the real Discord
senders against the fake Discord API (SQLite and PostgreSQL ledgers).

The bound (README, "Delivery guarantees"): parts the ledger records are never sent again; the
bot's part in flight at a crash is sent again with the same nonce, which Discord answers with
the message it already created -- every part exactly once; through a webhook (no nonce) that
one part may appear twice, and nothing else does.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from bot.app import App
from bot.delivery import DeliveryOutcome, deliver_subscription, post_now, resolve_pending
from bot.delivery_progress import Progress
from bot.senders import Sender
from bot.senders.discord import part_nonce, use_api_url
from bot.senders.registry import make_senders
from bot.types import Target
from digests.settings import Secrets
from digests.store import Store, Subscription
from tests.bot.delivery.helpers import (
    NOW,
    WORDS,
    add_story,
    crash_mid_part,
    long_text,
    settings_with,
)
from tests.fakes.discord_api import FakeDiscordApi, part_numbers

BOT_TOKEN = "bot-token-for-tests"
CHANNEL_ID = "1400000000000000077"
HOOK_ID = 1300000000000000001
@pytest.fixture
def restore_route_base() -> Iterator[None]:
    saved = Route.BASE
    yield
    Route.BASE = saved


@pytest.fixture
async def api(restore_route_base: None) -> AsyncIterator[FakeDiscordApi]:
    async with FakeDiscordApi(bot_token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
def app(store: Store, tmp_path: Path, api: FakeDiscordApi) -> App:
    channels = {
        "desk": {"platform": "discord", "channel": CHANNEL_ID, "topics": ["security"]},
        "hook": {"platform": "discord", "webhook": api.webhook_url(HOOK_ID, "tok"),
                 "topics": ["security"]},
    }
    settings = settings_with(channels, archive_dir=str(tmp_path / "archive"),
                             delivery={"min_interval_seconds": 0})
    ticks = itertools.count()
    return App(settings=settings, secrets=Secrets(discord_bot_token=BOT_TOKEN), store=store,
               clock=lambda: NOW + timedelta(milliseconds=next(ticks)))


@pytest.fixture
async def senders(
    app: App, api: FakeDiscordApi, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[dict[str, Sender]]:
    """The senders as ``digestbot run`` wires them: webhook session and a logged-in bot."""
    monkeypatch.setenv("DISCORD_API_URL", api.api_url)
    use_api_url()
    client = discord.Client(intents=discord.Intents.none())
    await client.http.static_login(BOT_TOKEN)
    async with aiohttp.ClientSession() as session:
        yield make_senders(app, session=session, discord_client=client)
    await client.close()


def _subscribe(store: Store, channel: str) -> Subscription:
    return store.add_subscription(Subscription(
        id=None, channel_key=channel, platform="discord", channel_id="", topic="security",
        schedule="daily 08:00", options={"max_stories": 24}, created_at=NOW,
    ))


@pytest.fixture
def stories(store: Store) -> None:
    """24 long stories: a digest of several Discord messages."""
    for i in range(24):
        add_story(store, f"Cyberattack {i} on the {WORDS[i % len(WORDS)]}", summary=long_text(i))




def _recorded(store: Store, outcome: DeliveryOutcome) -> tuple[str, ...]:
    """The part ids the ledger row of ``outcome`` records as sent."""
    assert outcome.delivery_id is not None
    row = store.get_delivery(outcome.delivery_id)
    assert row is not None
    return Progress.decode(row.message_ids).sent


async def _crash_mid_part(
    app: App, sub: Subscription, senders: dict[str, Sender], api: FakeDiscordApi
) -> int:
    """Kill a delivery while part 1 is created on Discord but not yet answered."""
    row_id, progress = await crash_mid_part(app, sub, senders, api, lambda: len(api.messages))
    assert progress.sent == (api.messages[0].id,)  # part 0 recorded, part 1 not
    return row_id


async def test_bot_crash_mid_part_resumes_every_part_exactly_once(
    app: App, store: Store, stories: None, senders: dict[str, Sender], api: FakeDiscordApi,
) -> None:
    sub = _subscribe(store, "desk")
    delivery_id = await _crash_mid_part(app, sub, senders, api)
    [outcome] = await resolve_pending(app, senders, worker="host:1")  # same id: a restart
    assert outcome.status == "delivered"
    messages = api.channel_messages(CHANNEL_ID)
    parts = len(messages)
    assert parts >= 3
    assert part_numbers(messages) == list(range(1, parts + 1))  # each part once, in order
    assert outcome.message_ids == tuple(m.id for m in messages)
    assert len(outcome.story_ids) == 24
    # Part 1 was created by the request in flight at the crash (never answered) and sent
    # again after it with the same nonce: Discord answered with that message.
    target = Target(name="desk", platform="discord", channel_id=CHANNEL_ID)
    expected = [part_nonce(target, f"{delivery_id}:{i}") for i in range(parts)]
    assert [m.nonce for m in messages] == expected
    assert [r.body["nonce"] for r in api.requests_to("channel")] == expected  # answered ones
    assert store.get_delivery(delivery_id).status == "delivered"  # type: ignore[union-attr]


async def test_bot_send_failing_after_part_k_resumes_without_duplicates(
    app: App, store: Store, stories: None, senders: dict[str, Sender], api: FakeDiscordApi,
) -> None:
    """Part 2 is created but answered 503: the row fails with parts 0-1 recorded; the retry
    sends part 2 again (same nonce: the existing message) and the rest once."""
    sub = _subscribe(store, "desk")
    api.lose_answer_next(1, status=503, route="channel", after=2)
    failed = await deliver_subscription(app, sub, NOW, senders)
    assert failed.status == "failed" and "503" in (failed.error or "")
    recorded = _recorded(store, failed)
    assert recorded == tuple(m.id for m in api.channel_messages()[:2])
    assert len(api.channel_messages()) == 3  # part 2 exists, unrecorded
    retried = await deliver_subscription(app, sub, NOW, senders)
    assert retried.status == "delivered" and retried.delivery_id == failed.delivery_id
    messages = api.channel_messages(CHANNEL_ID)
    assert part_numbers(messages) == list(range(1, len(messages) + 1))
    assert retried.message_ids == tuple(m.id for m in messages)
    assert retried.message_ids[:2] == recorded


async def test_webhook_crash_mid_part_repeats_only_the_part_in_flight(
    app: App, store: Store, stories: None, senders: dict[str, Sender], api: FakeDiscordApi,
) -> None:
    sub = _subscribe(store, "hook")
    await _crash_mid_part(app, sub, senders, api)
    [outcome] = await resolve_pending(app, senders, worker="host:1")
    assert outcome.status == "delivered"
    messages = api.webhook_messages(HOOK_ID)
    parts = len(outcome.message_ids)
    assert parts >= 3
    # Part 0 (recorded) never again; part 1 (in flight) twice; every later part once.
    assert part_numbers(messages) == [1, 2, *range(2, parts + 1)]
    assert outcome.message_ids == (messages[0].id, *(m.id for m in messages[2:]))


async def test_webhook_send_failing_after_part_k_resumes_after_recorded_parts(
    app: App, store: Store, stories: None, senders: dict[str, Sender], api: FakeDiscordApi,
) -> None:
    sub = _subscribe(store, "hook")
    # Refused before creating, and too long to wait for within the message's budget.
    api.rate_limit_next(1, route="webhook", retry_after=3600, after=2)
    failed = await deliver_subscription(app, sub, NOW, senders)
    assert failed.status == "failed" and len(_recorded(store, failed)) == 2
    retried = await deliver_subscription(app, sub, NOW, senders)
    assert retried.status == "delivered"
    messages = api.webhook_messages(HOOK_ID)
    assert part_numbers(messages) == list(range(1, len(messages) + 1))
    assert retried.message_ids == tuple(m.id for m in messages)


async def test_two_digests_due_together_for_one_channel_do_not_interleave(
    app: App, store: Store, stories: None, senders: dict[str, Sender], api: FakeDiscordApi,
) -> None:
    """Security and drugs digests due at the same minute in one channel: each digest's parts
    arrive together, one digest after the other (per-channel lock in delivery)."""
    for i in range(24):
        add_story(store, f"Cocaine seizure {i} at the {WORDS[i % len(WORDS)]}", topic="drugs",
                  summary=long_text(100 + i))
    subs = [
        store.add_subscription(Subscription(
            id=None, channel_key="desk", platform="discord", channel_id="", topic=topic,
            schedule="daily 08:00", options={"max_stories": 24}, created_at=NOW,
        ))
        for topic in ("security", "drugs")
    ]
    api.delay = 0.05  # each answer takes a while, so unlocked sends would interleave
    outcomes = await asyncio.gather(
        *(deliver_subscription(app, sub, NOW, senders) for sub in subs)
    )
    assert [o.status for o in outcomes] == ["delivered", "delivered"]
    messages = api.channel_messages(CHANNEL_ID)
    sizes = [len(o.message_ids) for o in outcomes]
    assert min(sizes) >= 2
    numbers = part_numbers(messages)
    first = sizes[0] if messages[0].id == outcomes[0].message_ids[0] else sizes[1]
    assert numbers == [*range(1, first + 1), *range(1, len(messages) - first + 1)]


def _dead_worker() -> str:
    """A worker id of this host whose process has ended (a ``post`` killed with -9)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(hours=7)])
async def test_the_next_post_finishes_a_killed_post_without_resending_its_parts(
    app: App, store: Store, stories: None, senders: dict[str, Sender], api: FakeDiscordApi,
    later: timedelta,
) -> None:
    """``digestbot post`` killed mid-digest left its window claimed by a dead process: the
    next ``post`` (a minute later, or after the grace period) finishes it. The recorded part
    is not sent again, the one in flight at most once more (a webhook has no nonce), and the
    new window has nothing left to say."""
    api.delay = 0.5
    task = asyncio.create_task(
        post_now(app, "hook", topic="security", senders=senders, worker=_dead_worker())
    )
    await api.wait_for(lambda: len(api.messages) >= 2, timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    api.delay = 0.0
    [row] = store.pending_deliveries(NOW + timedelta(minutes=1))
    assert len(Progress.decode(row.message_ids).sent) == 1
    app.clock = lambda: NOW + later
    result = await post_now(app, "hook", topic="security", senders=senders)
    assert not result.failed
    finished = store.get_delivery(row.id)
    assert finished is not None and finished.status == "delivered"
    parts = len(Progress.decode(finished.message_ids).sent)
    messages = api.webhook_messages(HOOK_ID)
    # The killed window: part 1 once, part 2 (in flight) twice, the rest once; then the new
    # window, with the stories the killed one did not hold (the digest holds 10 of 24).
    killed = part_numbers(messages[: parts + 1])
    assert killed == [1, 2, *range(2, parts + 1)]
    resumed, fresh = messages[: parts + 1], messages[parts + 1 :]
    assert fresh and part_numbers(fresh) == list(range(1, len(fresh) + 1))
    assert not _titles(resumed) & _titles(fresh)
    assert not result.failed and len(result.delivered) == parts + len(fresh)


def _titles(messages: list[Any]) -> set[str]:
    return {str(e.get("title")) for m in messages for e in m.embeds}
