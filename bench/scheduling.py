"""Schedule evaluation cost and poll throughput, run by hand: .venv/bin/python bench/scheduling.py

Prints: microseconds per next_slot / latest_slot for each form, and one poll_once over N local
feeds (first poll: 200 + parse + store; second: all 304) on a SQLite file.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import make_app
from bot.poller import Poller
from bot.schedules import parse_schedule
from digests.settings import PollSettings, Secrets, Settings, SourceSettings

FORMS = ["daily 08:00", "weekdays 09:30", "mon,wed,fri 07:45", "every 30m", "every 10s",
         "hourly", "0 8 * * 1-5", "*/5 * * * *"]
N_FEEDS, ITEMS = 50, 20


def bench_schedules() -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    for form in FORMS:
        s = parse_schedule(form, "Europe/Berlin")
        n, t0 = 2000, time.perf_counter()
        for i in range(n):
            s.next_slot(start + timedelta(minutes=37 * i))
        nxt = (time.perf_counter() - t0) / n * 1e6
        t0 = time.perf_counter()
        for i in range(n):
            s.latest_slot(start + timedelta(minutes=37 * i))
        latest = (time.perf_counter() - t0) / n * 1e6
        print(f"{form:20s} next_slot {nxt:7.1f} us   latest_slot {latest:7.1f} us")


def feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {n} story {i}: ministers meet on port strike</title>"
        f"<link>https://bench.example/{n}/{i}</link><guid>{n}-{i}</guid>"
        f"<description>Story {i} of feed {n}. Talks continued on Tuesday. Unions said the "
        f"offer of feed {n} item {i} was not enough.</description></item>"
        for i in range(ITEMS)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{n}</title>{items}'
            "</channel></rss>").encode()


async def bench_poll() -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v"':
            return web.Response(status=304)
        n = int(request.match_info["n"])
        return web.Response(body=feed(n), content_type="application/rss+xml",
                            headers={"ETag": '"v"'})

    server_app = web.Application()
    server_app.router.add_get("/f{n}.xml", handler)
    server = TestServer(server_app, host="127.0.0.1")
    await server.start_server()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database=f"sqlite:///{Path(tmp) / 'b.db'}",
            sources=tuple(SourceSettings(url=str(server.make_url(f"/f{i}.xml")))
                          for i in range(N_FEEDS)),
            poll=PollSettings(jitter="0", per_host=8),
        )
        app = make_app(settings, secrets=Secrets())
        poller = Poller(app, worker_id="bench")
        now = datetime.now(UTC)
        for label, at in (("first (200s)", now), ("second (304s)", now + timedelta(hours=1))):
            t0 = time.perf_counter()
            report = await poller.poll_once(at)
            took = time.perf_counter() - t0
            print(f"poll_once {label}: {N_FEEDS} feeds in {took:.2f} s "
                  f"(ok={report.ok} not_modified={report.not_modified} new={report.new})")
        await poller.aclose()
        app.close()
    await server.close()


if __name__ == "__main__":
    bench_schedules()
    asyncio.run(bench_poll())
