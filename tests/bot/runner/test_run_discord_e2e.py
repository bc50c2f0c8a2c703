"""``digestbot run`` posting to Discord, as a subprocess killed with ``kill -9`` in the middle of
a digest of several messages, then started again: the window is finished, parts the ledger
recorded are not posted again, and the part in flight at the kill is posted exactly once by the
bot (its nonce) -- at most twice through a webhook (no nonce), nothing else twice.

The bot token is set but another (imaginary) worker holds the ``gateway`` lease, so the
process posts over HTTP only and never opens a gateway connection (there is none to fake).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pytest_httpserver import HTTPServer

from bot.delivery_progress import Progress
from digests.store import Store
from tests.bot.runner.test_run_e2e import PYTHON, Bot, _wait
from tests.fakes.discord_api import FakeDiscordApi, part_numbers

BOT_TOKEN = "bot-token-for-e2e"
CHANNEL_ID = "1400000000000000077"
HOOK_ID = 1300000000000000001
ITEMS = 30
VOCABULARY = (
    "harbour", "ministry", "satellite", "railway", "pipeline", "embassy", "refinery", "airbase",
    "reactor", "telecom", "treasury", "shipyard", "customs", "archive", "hospital",
    "university", "parliament", "court", "airport", "bank", "insurer", "utility", "port",
    "regulator", "broadcaster", "laboratory", "factory", "warehouse", "council", "police",
    "payroll", "backups", "servers", "laptops", "mailboxes", "passwords", "invoices",
    "contracts", "blueprints",
)


def _rss(n: int) -> str:
    """``n`` security stories, each worded differently enough to stay its own story."""
    now = datetime.now(UTC)
    items = []
    for i in range(n):
        rnd = random.Random(1000 + i)
        words = rnd.sample(VOCABULARY, 12)
        body = (f"Ransomware hackers breached the {words[0]} and {words[1]} on day {i}. "
                f"Investigators said the cyberattack encrypted {words[2]} and {words[3]}, "
                f"and stole {words[4]} from the {words[5]}. Officials at the {words[6]} said "
                f"the malware spread to the {words[7]}, {words[8]} and {words[9]}. "
                f"The {words[10]} and {words[11]} were offline for {rnd.randrange(2, 90)} hours.")
        items.append(
            f"<item><title>Ransomware attack {i} hits the {words[0]} and {words[1]}</title>"
            f"<link>https://news.example/{i}</link><guid>g{i}</guid>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=30 + i))}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>'
            f"<link>https://news.example/</link>{''.join(items)}</channel></rss>")


class DiscordBot(Bot):
    """``digestbot run`` with one Discord channel (``channel``: by id, or a webhook)."""

    def __init__(self, tmp: Path, feed_url: str, api: FakeDiscordApi, channel: dict[str, str],
                 *, token: str | None) -> None:
        super().__init__(tmp, feed_url, "http://127.0.0.1:9/unused", ITEMS)
        self.config.write_text(json.dumps({
            "archive_dir": str(tmp / "archive"),
            "fetch": {"allow_private_addresses": True},
            "poll": {"interval": "30m", "jitter": "0"},
            "delivery": {"min_interval_seconds": 0},
            "sources": [{"url": feed_url}],
            "channels": {"desk": {"platform": "discord", "topics": ["security"],
                                  "schedule": "every 2s", "max_stories": ITEMS, **channel}},
        }))
        for name in ("SLACK_API_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                     "SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN"):
            self.env.pop(name, None)
        self.env["DISCORD_API_URL"] = api.api_url
        if token:
            self.env["DISCORD_BOT_TOKEN"] = token
        with Store.open(self.db) as store:  # the gateway belongs to another worker
            store.try_acquire_lease("gateway", "elsewhere:1", datetime.now(UTC),
                                    timedelta(days=1))


@pytest.fixture
def feed(httpserver: HTTPServer) -> str:
    if not PYTHON.exists():
        pytest.skip(f"no virtualenv python at {PYTHON}")
    httpserver.expect_request("/feed.xml").respond_with_data(
        _rss(ITEMS), content_type="application/rss+xml")
    return str(httpserver.url_for("/feed.xml"))


@pytest.fixture
def api() -> Iterator[FakeDiscordApi]:
    with FakeDiscordApi(bot_token=BOT_TOKEN).running_in_thread() as fake:
        yield fake


def _pending(db: str) -> list[tuple[int, tuple[str, ...]]]:
    """(id, recorded part ids) of the ledger rows still mid-send."""
    with Store.open(db) as store:
        rows = store.pending_deliveries(datetime.now(UTC) + timedelta(days=1))
    return [(r.id, Progress.decode(r.message_ids).sent) for r in rows]


def _delivered_ids(db: str, delivery_id: int) -> tuple[str, ...]:
    with Store.open(db) as store:
        row = store.get_delivery(delivery_id)
    assert row is not None and row.status == "delivered", row
    return row.message_ids


def _settled(db: str) -> bool:
    with Store.open(db) as store:
        claimed = store.pending_deliveries(datetime.now(UTC) + timedelta(days=1))
        return not claimed and bool(store.delivered_story_ids("desk", "security"))




def _kill_mid_part(bot: DiscordBot, api: FakeDiscordApi) -> int:
    """Start, kill -9 while part 1 is created on Discord but not answered; the row's id."""
    api.delay = 1.5  # every post is created at once but answered 1.5 s later
    bot.start()
    _wait(lambda: len(api.messages) >= 2, 40, "no second part posted", bot)
    bot.kill()
    [(delivery_id, recorded)] = _pending(bot.db)
    assert recorded == (api.messages[0].id,), recorded  # part 0 recorded, part 1 not
    api.delay = 0.0
    return delivery_id


def test_bot_kill_9_mid_digest_posts_every_part_exactly_once(
    tmp_path: Path, feed: str, api: FakeDiscordApi
) -> None:
    bot = DiscordBot(tmp_path, feed, api, {"channel": CHANNEL_ID}, token=BOT_TOKEN)
    try:
        delivery_id = _kill_mid_part(bot, api)
        bot.start()
        _wait(lambda: _settled(bot.db), 30, "window lost after kill -9", bot)
        messages = api.channel_messages(CHANNEL_ID)
        parts = part_numbers(messages)
        assert len(parts) >= 3
        assert parts == list(range(1, len(parts) + 1)), parts  # each part once, in order
        assert _delivered_ids(bot.db, delivery_id) == tuple(m.id for m in messages)
        nonces = [m.nonce for m in messages]
        assert all(nonces) and len(set(nonces)) == len(nonces)
        code, took = bot.terminate()
        assert code == 0 and took < 10, bot.log()[-2000:]
    finally:
        bot.stop_quietly()
    assert "resolving delivery" in bot.log()
    assert "discord gateway connecting" not in bot.log()


def test_webhook_kill_9_mid_digest_repeats_only_the_part_in_flight(
    tmp_path: Path, feed: str, api: FakeDiscordApi
) -> None:
    webhook = {"webhook": api.webhook_url(HOOK_ID, "hook-token")}
    bot = DiscordBot(tmp_path, feed, api, webhook, token=None)
    try:
        delivery_id = _kill_mid_part(bot, api)
        bot.start()
        _wait(lambda: _settled(bot.db), 30, "window lost after kill -9", bot)
        messages = api.webhook_messages(HOOK_ID)
        parts = part_numbers(messages)
        total = max(parts)
        assert total >= 3
        # Part 1 (recorded) once; part 2 (in flight at the kill) twice; the rest once.
        assert parts == [1, 2, *range(2, total + 1)], parts
        assert _delivered_ids(bot.db, delivery_id) == (messages[0].id,
                                                       *(m.id for m in messages[2:]))
        code, _ = bot.terminate()
        assert code == 0
    finally:
        bot.stop_quietly()
