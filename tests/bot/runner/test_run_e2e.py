"""``digestbot run`` end to end, as a subprocess: a local feed server, the Slack fake, a
subscription firing every 2 s. The digest arrives once, a restart does not post it again, a
``kill -9`` in the middle of a delivery loses no window and duplicates nothing beyond the
documented bound, and SIGTERM exits 0 within 10 s.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pytest_httpserver import HTTPServer

from digests.store import Store
from tests.bot.delivery.helpers import HistorySlackApi

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv" / "bin" / "python"
WORDS = ("harbour", "ministry", "satellite", "railway", "pipeline", "embassy", "refinery",
         "airbase", "reactor", "telecom", "treasury", "shipyard", "customs", "archive")


def _rss(n: int) -> str:
    now = datetime.now(UTC)
    items = []
    for i in range(n):
        rnd = random.Random(i)
        place = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}"
        body = " ".join(
            f"Military hackers linked to a foreign intelligence service attacked the {place} "
            f"networks in incident {i}-{k} number {rnd.randrange(10**6)}, defence officials said."
            for k in range(4)
        )
        items.append(
            f"<item><title>Cyberattack {i} on the {escape(place)} blamed on military hackers"
            f"</title><link>https://news.example/{i}</link><guid>g{i}</guid>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=30 + i))}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>'
            f"<link>https://news.example/</link>{''.join(items)}</channel></rss>")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bot:
    """One ``digestbot run`` subprocess and what it needs to start again."""

    def __init__(self, tmp: Path, feed_url: str, slack_url: str, items: int) -> None:
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'bot.db'}"
        self.port = _free_port()
        self.config = tmp / "digestbot.yaml"
        self.config.write_text(json.dumps({
            "archive_dir": str(tmp / "archive"),
            "fetch": {"allow_private_addresses": True},
            "poll": {"interval": "30m", "jitter": "0"},
            "delivery": {"min_interval_seconds": 0},
            "sources": [{"url": feed_url}],
            "channels": {"desk": {"platform": "slack", "channel": "C1", "topics": ["security"],
                                  "schedule": "every 2s", "max_stories": items}},
        }))
        self.env = {**os.environ, "DIGESTBOT_DATABASE_URL": self.db, "SLACK_API_URL": slack_url,
                    "SLACK_BOT_TOKEN": "xoxb-test", "PORT": str(self.port),
                    "PYTHONUNBUFFERED": "1"}
        self.env.pop("SLACK_SIGNING_SECRET", None)
        self.env.pop("SLACK_APP_TOKEN", None)
        self.env.pop("DISCORD_BOT_TOKEN", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = (self.tmp / f"run{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [str(PYTHON), "-m", "bot", "run", "--config", str(self.config), "-v"],
            cwd=self.tmp, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        _wait(lambda: self.health() == 200, 30, "healthz never answered", self)

    def health(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return int(r.status)
        except OSError:
            return None

    def terminate(self) -> tuple[int, float]:
        assert self.proc is not None
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        return code, time.monotonic() - start

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)  # reaped: its pid is gone, as after a real crash

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("run*.log")))

    def stop_quietly(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _wait(predicate: object, timeout: float, what: str, bot: Bot | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}\n{bot.log()[-3000:] if bot else ''}")


def _claimed_windows(db: str) -> list[tuple[str, str, int]]:
    """(window, status, recorded ids) of the ledger rows still mid-send."""
    with Store.open(db) as store:
        rows = store.pending_deliveries(datetime.now(UTC) + timedelta(days=1))
    return [(r.window_key, r.status, len(r.message_ids)) for r in rows]


@pytest.fixture
def world(tmp_path: Path, httpserver: HTTPServer) -> Iterator[tuple[Bot, HistorySlackApi]]:
    if not PYTHON.exists():
        pytest.skip(f"no virtualenv python at {PYTHON}")
    items = 30
    httpserver.expect_request("/feed.xml").respond_with_data(
        _rss(items), content_type="application/rss+xml")
    api = HistorySlackApi()
    with api.running_in_thread():
        bot = Bot(tmp_path, httpserver.url_for("/feed.xml"), api.api_url, items)
        try:
            yield bot, api
        finally:
            bot.stop_quietly()


def _settled(db: str) -> bool:
    """Stories were delivered and no ledger row is mid-send."""
    with Store.open(db) as store:
        claimed = store.pending_deliveries(datetime.now(UTC) + timedelta(days=1))
        return not claimed and bool(store.delivered_story_ids("desk", "security"))


def test_digest_arrives_once_and_not_again_after_restart(
    world: tuple[Bot, HistorySlackApi],
) -> None:
    bot, api = world
    bot.start()
    _wait(lambda: _settled(bot.db), 30, "digest never delivered", bot)
    refs = api.refs()
    delivery = refs[0].split(":")[0]
    assert refs == [f"{delivery}:{i}" for i in range(len(refs))]  # one digest, each part once
    time.sleep(4.5)  # two more slots: nothing new, nothing posted
    assert api.refs() == refs
    code, took = bot.terminate()
    assert code == 0 and took < 10, bot.log()[-2000:]
    bot.start()
    time.sleep(4.5)
    assert api.refs() == refs, "posted again after a restart"
    code, took = bot.terminate()
    assert code == 0 and took < 10
    assert "Traceback" not in bot.log()


def test_kill_9_mid_delivery_loses_nothing_and_duplicates_nothing(
    world: tuple[Bot, HistorySlackApi],
) -> None:
    bot, api = world
    api.delay = 1.5  # every post is accepted at once but answered 1.5 s later
    bot.start()
    _wait(lambda: len(api.posted) >= 2, 40, "no second part posted", bot)
    bot.kill()  # part 0 recorded, part 1 accepted by Slack but not recorded
    pending = _claimed_windows(bot.db)
    assert len(pending) == 1 and pending[0][2] == 2, pending  # plan + part 0
    api.delay = 0.0
    bot.start()
    _wait(lambda: _settled(bot.db), 30, "window lost after kill -9", bot)
    refs = api.refs()
    delivery = refs[0].split(":")[0]
    # Verified through conversations.history: every part exactly once, in order.
    assert refs == [f"{delivery}:{i}" for i in range(len(refs))], refs
    assert len(refs) >= 2
    time.sleep(2.5)
    assert api.refs() == refs
    code, took = bot.terminate()
    assert code == 0 and took < 10
    assert f"part {delivery}:1 was already posted" in bot.log()


def test_sigterm_mid_delivery_exits_in_time_and_next_start_finishes_once(
    world: tuple[Bot, HistorySlackApi],
) -> None:
    bot, api = world
    api.delay = 4.0  # slower than the shutdown drain: the send cannot finish in time
    bot.start()
    _wait(lambda: len(api.posted) >= 1, 40, "nothing posted", bot)
    code, took = bot.terminate()
    assert code == 0 and took < 10, (code, took, bot.log()[-2000:])
    api.delay = 0.0
    bot.start()
    _wait(lambda: _settled(bot.db), 30, "window lost after SIGTERM", bot)
    refs = api.refs()
    delivery = refs[0].split(":")[0]
    assert refs == [f"{delivery}:{i}" for i in range(len(refs))], refs
    code, _ = bot.terminate()
    assert code == 0
