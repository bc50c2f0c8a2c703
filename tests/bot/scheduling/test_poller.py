"""The poller against local feed servers and a real SQLite store, with a controlled clock."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bot.app import App, make_app
from bot.poller import Poller, PollReport, backoff, next_poll_time
from digests.settings import PollSettings, Secrets, Settings, SourceSettings

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def rss(*titles: str, title: str = "Test feed") -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://news.example/{i}</link>"
        f"<guid>https://news.example/{i}</guid>"
        f"<pubDate>Wed, 01 May 2024 10:0{i}:00 GMT</pubDate>"
        f"<description>{t}. Officials said more details would follow later in the day. "
        f"The report {i} was confirmed by two agencies.</description></item>"
        for i, t in enumerate(titles)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


FEED = rss("Port workers strike over pay", "Council approves new budget")


@dataclass
class FeedServer:
    """A feed at one path: serves ETag/304, or fails the first ``failures`` requests."""

    body: bytes = FEED
    etag: str = '"v1"'  # change it with the body
    failures: int = 0
    hits: int = 0
    conditional_hits: int = 0
    statuses: list[int] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        self.hits += 1
        if self.hits <= self.failures:
            self.statuses.append(500)
            return Response("boom", status=500)
        etag = self.etag
        if request.headers.get("If-None-Match") == etag:
            self.conditional_hits += 1
            self.statuses.append(304)
            return Response(status=304, headers={"ETag": etag})
        self.statuses.append(200)
        return Response(self.body, content_type="application/rss+xml", headers={"ETag": etag})


def settings_for(
    tmp_path: Path, urls: list[str], *, database: str | None = None, **poll: object
) -> Settings:
    options: dict[str, object] = {"interval": "10m", "jitter": "0", "max_backoff": "1h"}
    options.update(poll)
    return Settings(
        database=database or f"sqlite:///{tmp_path / 'bot.db'}",
        sources=tuple(SourceSettings(url=u, name=f"feed{i}") for i, u in enumerate(urls)),
        poll=PollSettings.model_validate(options),
    )


def open_app(apps: list[App], settings: Settings) -> App:
    app = make_app(settings, secrets=Secrets())
    apps.append(app)
    return app


async def poll_at(poller: Poller, now: datetime) -> PollReport:
    try:
        return await poller.poll_once(now)
    finally:
        await poller.aclose()


# --- pure decisions ------------------------------------------------------------------------


def test_backoff_doubles_per_failure_and_is_capped() -> None:
    interval, cap = timedelta(minutes=15), timedelta(hours=6)
    got = [backoff(interval, n, cap) for n in range(7)]
    minutes = [int(d.total_seconds() // 60) for d in got]
    assert minutes == [15, 15, 30, 60, 120, 240, 360]
    assert backoff(interval, 500, cap) == cap


def test_next_poll_time_adds_bounded_jitter() -> None:
    rng = random.Random(7)
    times = [
        next_poll_time(T0, timedelta(minutes=15), 0, max_backoff=timedelta(hours=6),
                       jitter=timedelta(seconds=30), rng=rng)
        for _ in range(50)
    ]
    assert all(T0 + timedelta(minutes=15) <= t <= T0 + timedelta(minutes=15, seconds=30)
               for t in times)
    assert len(set(times)) > 1  # actually spread out


# --- against a local feed server -------------------------------------------------------------


async def test_conditional_get_second_poll_is_a_304_and_parses_nothing(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    feed = FeedServer()
    httpserver.expect_request("/feed.xml").respond_with_handler(feed.handle)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, settings_for(tmp_path, [url]))
    poller = Poller(app, worker_id="w1")

    first = await poll_at(poller, T0)
    assert (first.claimed, first.ok, first.new) == (1, 1, 2)
    state = app.store.get_feed(url)
    assert state is not None and state.etag == '"v1"'
    assert state.next_poll == T0 + timedelta(minutes=10)
    assert state.lease_owner is None  # released

    early = await poll_at(poller, T0 + timedelta(minutes=5))
    assert early.claimed == 0 and feed.hits == 1  # not due yet: no request at all

    second = await poll_at(poller, T0 + timedelta(minutes=10))
    assert (second.not_modified, second.new, second.duplicates) == (1, 0, 0)
    assert feed.statuses == [200, 304] and feed.conditional_hits == 1
    assert app.store.count_articles() == 2
    assert poller.last_success == T0 + timedelta(minutes=10)


async def test_failing_feed_backs_off_exponentially_up_to_the_cap(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    feed = FeedServer(failures=100)
    httpserver.expect_request("/feed.xml").respond_with_handler(feed.handle)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, settings_for(tmp_path, [url], max_backoff="30m"))
    poller = Poller(app, worker_id="w1")

    now, delays = T0, []
    for _ in range(5):
        report = await poll_at(poller, now)
        assert report.failed == 1
        state = app.store.get_feed(url)
        assert state is not None and state.next_poll is not None
        delays.append(int((state.next_poll - now).total_seconds() // 60))
        now = state.next_poll
    assert delays == [10, 20, 30, 30, 30]
    state = app.store.get_feed(url)
    assert state is not None
    assert state.error_count == 5 and "500" in (state.last_error or "")
    assert feed.hits == 5


async def test_two_workers_never_fetch_the_same_feed_in_one_interval(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App], store_url: str
) -> None:
    feeds = [FeedServer(body=rss(f"Story {i} about ports", f"Story {i} about trains"))
             for i in range(4)]
    for i, feed in enumerate(feeds):
        httpserver.expect_request(f"/f{i}.xml").respond_with_handler(feed.handle)
    urls = [httpserver.url_for(f"/f{i}.xml") for i in range(4)]
    settings = settings_for(tmp_path, urls, database=store_url)
    # Two workers, two stores (engines) on one database: SQLite file or PostgreSQL.
    a = Poller(open_app(apps, settings), worker_id="worker-a")
    b = Poller(open_app(apps, settings), worker_id="worker-b")

    for minute in (0, 3, 9):
        now = T0 + timedelta(minutes=minute)
        await asyncio.gather(poll_at(a, now), poll_at(b, now))
    assert [f.hits for f in feeds] == [1, 1, 1, 1]

    now = T0 + timedelta(minutes=10)
    ra, rb = await asyncio.gather(poll_at(a, now), poll_at(b, now))
    assert ra.claimed + rb.claimed == 4
    assert [f.hits for f in feeds] == [2, 2, 2, 2]


async def test_feed_failing_five_times_gives_one_notice_and_one_recovery(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    feed = FeedServer(failures=7)
    httpserver.expect_request("/feed.xml").respond_with_handler(feed.handle)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, settings_for(tmp_path, [url]))
    notices: list[str] = []

    async def notify(text: str) -> None:
        notices.append(text)

    poller = Poller(app, worker_id="w1", notifier=notify)
    now = T0
    for _ in range(10):  # 7 failures, then 3 successes
        await poll_at(poller, now)
        state = app.store.get_feed(url)
        assert state is not None and state.next_poll is not None
        now = state.next_poll
    assert feed.statuses == [500] * 7 + [200, 304, 304]
    assert len(notices) == 2
    assert "is failing: 5 polls in a row" in notices[0] and url in notices[0]
    assert "recovered after 7 failed polls" in notices[1]


async def test_health_notice_goes_to_the_log_without_an_admin_channel(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    feed = FeedServer(failures=2)
    httpserver.expect_request("/feed.xml").respond_with_handler(feed.handle)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, settings_for(tmp_path, [url], failure_threshold=2))
    poller = Poller(app, worker_id="w1")
    now = T0
    for _ in range(3):
        await poll_at(poller, now)
        state = app.store.get_feed(url)
        assert state is not None and state.next_poll is not None
        now = state.next_poll
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.health"]
    assert len(warnings) == 2
    assert "is failing: 2 polls" in warnings[0] and "recovered" in warnings[1]


class RecordingMetrics:
    """A stand-in for bot/metrics.py's Metrics: records what the poller reports."""

    def __init__(self) -> None:
        self.fetches: list[str] = []
        self.seconds: list[float] = []
        self.articles = 0

    def fetch(self, outcome: str, seconds: float) -> None:
        self.fetches.append(outcome)
        self.seconds.append(seconds)

    def ingested(self, n: int) -> None:
        self.articles += n


async def test_metrics_get_outcomes_latency_and_ingested_count(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App]
) -> None:
    good, bad = FeedServer(), FeedServer(failures=10)
    httpserver.expect_request("/good.xml").respond_with_handler(good.handle)
    httpserver.expect_request("/bad.xml").respond_with_handler(bad.handle)
    urls = [httpserver.url_for("/good.xml"), httpserver.url_for("/bad.xml")]
    app = open_app(apps, settings_for(tmp_path, urls))
    metrics = RecordingMetrics()
    poller = Poller(app, worker_id="w1", metrics=metrics)
    await poll_at(poller, T0)
    await poll_at(poller, T0 + timedelta(minutes=10))
    assert sorted(metrics.fetches) == ["error", "error", "not_modified", "ok"]
    assert all(s >= 0 for s in metrics.seconds)
    assert metrics.articles == 2


async def test_per_host_cap_limits_concurrent_fetches(tmp_path: Path, apps: list[App]) -> None:
    in_flight = peak = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        n = request.match_info["n"]
        return web.Response(body=rss(f"Item {n} on ferries"), content_type="application/rss+xml")

    server_app = web.Application()
    server_app.router.add_get("/f{n}.xml", handler)
    server = TestServer(server_app, host="127.0.0.1")
    await server.start_server()
    try:
        urls = [str(server.make_url(f"/f{i}.xml")) for i in range(6)]
        app = open_app(apps, settings_for(tmp_path, urls, per_host=2))
        report = await poll_at(Poller(app, worker_id="w1"), T0)
    finally:
        await server.close()
    assert report.ok == 6
    assert peak == 2


async def test_local_path_sources_are_reread_each_interval(
    tmp_path: Path, apps: list[App]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.txt").write_text(
        "Harbour reopens after storm\n\nThe harbour reopened on Monday after a storm. "
        "Ferries resumed their timetable in the afternoon.\n",
        encoding="utf-8",
    )
    settings = Settings(
        database=f"sqlite:///{tmp_path / 'bot.db'}",
        sources=(SourceSettings(path=str(folder), interval="30m"),),
        poll=PollSettings(jitter="0"),
    )
    poller = Poller(open_app(apps, settings), worker_id="w1")
    first = await poll_at(poller, T0)
    assert (first.paths, first.new) == (1, 1)
    early = await poll_at(poller, T0 + timedelta(minutes=10))
    assert early.paths == 0
    again = await poll_at(poller, T0 + timedelta(minutes=30))
    assert (again.paths, again.new, again.duplicates) == (1, 0, 1)


async def test_an_item_the_feed_corrected_is_updated_on_the_next_poll(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    """The feed changes (new ETag) because one item was corrected: the poll stores the new
    text over the old one, and the log line says so."""
    feed = FeedServer()
    httpserver.expect_request("/feed.xml").respond_with_handler(feed.handle)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, settings_for(tmp_path, [url]))
    poller = Poller(app, worker_id="w1")
    assert (await poll_at(poller, T0)).new == 2
    [hit] = app.store.search("strike")
    feed.body = FEED.replace(
        b"Officials said more details would follow later in the day.",
        b"Union leaders said the strike would end on Friday after a deal on pay.",
        1,
    )
    feed.etag = '"v2"'
    assert feed.body != FEED

    with caplog.at_level("INFO", logger="bot.poller"):
        second = await poll_at(poller, T0 + timedelta(minutes=10))

    assert (second.ok, second.new, second.duplicates) == (1, 0, 2)
    assert app.store.count_articles() == 2
    updated = app.store.get_article(hit.article.id)
    assert updated is not None and "deal on pay" in updated.body
    assert [h.article.id for h in app.store.search("deal on pay")] == [hit.article.id]
    assert any("updated=1" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("status", "retry_after", "minutes"),
    [
        (429, "3600", 60),  # asked for an hour: longer than the 10-minute backoff
        (503, "30", 10),  # asked for less than the backoff: the backoff stands
        (429, "604800", 24 * 60),  # a week is capped at a day
        (503, None, 10),  # nothing asked
    ],
)
async def test_a_server_asking_for_a_pause_is_not_polled_before(
    httpserver: HTTPServer, tmp_path: Path, apps: list[App],
    status: int, retry_after: str | None, minutes: int,
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    httpserver.expect_request("/feed.xml").respond_with_data(
        "busy", status=status, headers=headers)
    url = httpserver.url_for("/feed.xml")
    app = open_app(apps, settings_for(tmp_path, [url]))
    report = await poll_at(Poller(app, worker_id="w1"), T0)
    assert report.failed == 1
    state = app.store.get_feed(url)
    assert state is not None and state.next_poll == T0 + timedelta(minutes=minutes)
    assert state.error_count == 1 and f"HTTP {status}" in (state.last_error or "")
    capped = retry_after == "604800"  # the operator sees that the server asked for longer
    assert ("(capped from 604800 s)" in (state.last_error or "")) == capped, state.last_error
