"""Slash-command latency over real HTTP: how fast Slack gets its ack, and how fast the answer
follows through response_url, per command.

Run by hand: ``.venv/bin/python bench/slack_commands.py``.

Uses the bot's aiohttp server with the Slack routes, a SQLite store holding the sample article
and the ask test articles, and the fake Slack Web API from tests/fakes (answers auth.test and
receives the follow-ups).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import make_app  # noqa: E402
from bot.senders.slack import make_slack_client  # noqa: E402
from bot.slack_app import add_slack_routes, make_slack_app  # noqa: E402
from digests.models import Article  # noqa: E402
from digests.pipeline import store_articles  # noqa: E402
from digests.settings import Secrets, Settings  # noqa: E402
from digests.sources.files import read_file  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
ROUNDS = 20
COMMANDS = {
    "digest": "digest migration 7d",
    "ask": "ask How many people were deported?",
    "search": "search border deportations",
    "topics": "topics",
    "subscribe": "subscribe security weekdays 09:30",
    "help": "bogus input",
}


def _articles(now: datetime) -> list[Article]:
    files = [ROOT / "config" / "samples" / "noem-colombia-visit.txt",
             *sorted((ROOT / "tests" / "ask" / "data" / "articles").glob("*.txt"))]
    found = []
    for i, path in enumerate(f for f in files if f.exists()):
        found += [replace(a, published=now - timedelta(hours=1 + i)) for a in read_file(path)]
    return found


def _answered(api: FakeSlackApi, key: str) -> Callable[[], bool]:
    return lambda: bool(api.responses_to(key))


async def main() -> None:
    now = datetime.now(UTC)
    folder = Path(tempfile.mkdtemp())
    settings = Settings(database=f"sqlite:///{folder / 'bench.db'}")
    app = make_app(settings, secrets=Secrets(slack_bot_token=TOKEN, slack_signing_secret=SECRET))
    articles = _articles(now)
    store_articles(app.store, articles, settings.topics, now)
    async with FakeSlackApi(token=TOKEN) as api:
        bolt = make_slack_app(app, client=make_slack_client(TOKEN, base_url=api.api_url))
        web_app = web.Application()
        add_slack_routes(web_app, bolt)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        acks: dict[str, list[float]] = {k: [] for k in COMMANDS}
        answers: dict[str, list[float]] = {k: [] for k in COMMANDS}
        async with aiohttp.ClientSession() as session:
            n = 0
            for _ in range(ROUNDS):
                for name, text in COMMANDS.items():
                    n += 1
                    key = f"b{n}"
                    body = urlencode({"team_id": "T1", "channel_id": "C1", "user_id": "U1",
                                      "command": "/news", "text": text, "trigger_id": key,
                                      "response_url": api.response_url(key)})
                    ts = int(time.time())
                    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(),
                                           hashlib.sha256).hexdigest()
                    started = time.perf_counter()
                    async with session.post(url, data=body, headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig,
                    }) as resp:
                        await resp.read()
                        assert resp.status == 200
                    acks[name].append(time.perf_counter() - started)
                    await api.wait_for(_answered(api, key))
                    answers[name].append(time.perf_counter() - started)
        await runner.cleanup()
    app.close()
    print(f"{len(articles)} stored articles, {ROUNDS} rounds of each command")
    print(f"{'command':<10} {'ack p50':>9} {'ack max':>9} {'answer p50':>11} {'answer p95':>11}")
    for name in COMMANDS:
        a, r = sorted(acks[name]), sorted(answers[name])
        p95 = r[int(0.95 * (len(r) - 1))]
        print(f"{name:<10} {statistics.median(a) * 1000:8.1f}ms {a[-1] * 1000:8.1f}ms "
              f"{statistics.median(r) * 1000:10.1f}ms {p95 * 1000:10.1f}ms")


if __name__ == "__main__":
    asyncio.run(main())
