"""Scale-out on the real PostgreSQL: three ``digestbot run`` workers share one database.

50 local feeds and 20 subscriptions (10 Slack channels on the fake Web API, 10 Discord webhooks
on the fake Discord API, each ``every 10s``). Shown, in one run of about a minute and a half:

- three workers started at once on an empty database all come up (the schema upgrade races
  too, under the store's advisory lock);
- every feed is fetched at most once per poll interval, though three workers poll it (the
  store leases each due feed to one worker: ``FOR UPDATE SKIP LOCKED``), and none is starved;
- a worker killed with SIGKILL while it holds feed leases mid-fetch does not block them for
  longer than the lease: the others take them over once it expires, and not before;
- every digest window is claimed once in the ledger, every window of every subscription has a
  row (none lost), and the messages on the fakes are exactly the ledger's: no part posted
  twice, none posted that the ledger does not know (beyond the one part a killed worker may
  have had in flight).
"""

from __future__ import annotations

import inspect
import json
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from bot.delivery_progress import Progress
from bot.scheduler import DigestScheduler
from digests.store.schema import deliveries, feeds
from tests.fakes.discord_api import FakeDiscordApi
from tests.fakes.slack_api import FakeSlackApi
from tests.scale.feed_server import CountingFeedServer
from tests.scale.workers import START_TIMEOUT, Worker, wait_until, worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

FEEDS = 50
SLACK_CHANNELS = 10
WEBHOOKS = 10
WORKERS = 3
INTERVAL = 10.0  # poll.interval
LEASE = 15.0  # poll.lease
SCHEDULE_EVERY = 10.0  # "every 10s"
HANG = 5.0  # feed answers take this long while the test looks for a worker to kill
STEADY = 30.0  # seconds of undisturbed running before the kill
# How often each worker's scheduler runs the poll (the runner uses the scheduler's default).
POLL_TICK = float(inspect.signature(DigestScheduler).parameters["poll_every"].default)
SLACK_IDS = [f"C{n:04d}" for n in range(SLACK_CHANNELS)]
WEBHOOK_IDS = [1300000000000000100 + n for n in range(WEBHOOKS)]
CLOCK_SLACK = 0.5  # seconds: DB times come from the workers' clocks, hits from the server's


@pytest.fixture
def pg_database(pg_admin: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own (dropped afterwards, even if in use)."""
    name = f"scale_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield pg_admin.url.set(database=name).render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def engine(pg_database: str) -> Iterator[Engine]:
    """The test's own connections to that database (no pool: nothing lingers)."""
    engine = sa.create_engine(pg_database, poolclass=NullPool)
    yield engine
    engine.dispose()


def write_config(path: Path, server: CountingFeedServer) -> Path:
    """The workers' config (JSON is YAML): the feeds, one topic, 20 scheduled channels."""
    channels: dict[str, dict[str, Any]] = {}
    for channel_id in SLACK_IDS:
        channels[f"slack-{channel_id}"] = {
            "platform": "slack", "channel": channel_id, "topics": ["quokkas"],
            "schedule": "every 10s", "max_stories": 5,
        }
    for webhook_id in WEBHOOK_IDS:
        channels[f"hook-{webhook_id}"] = {
            "platform": "discord", "webhook": FakeDiscordApi.webhook_url(webhook_id, "tok"),
            "topics": ["quokkas"], "schedule": "every 10s", "max_stories": 5,
        }
    config = {
        "archive_dir": str(path.parent / "archive"),
        "poll": {"interval": "10s", "jitter": "0", "lease": "15s", "failure_threshold": 100},
        "delivery": {"min_interval_seconds": 0, "misfire_grace": "1h"},
        "topics": {"quokkas": {"description": "Quokka sightings and counts",
                               "terms": {"quokka": 3, "quokkas": 3}}},
        "sources": [{"url": server.url(i), "name": f"Quokka watch {i}"} for i in range(FEEDS)],
        "channels": channels,
    }
    path.write_text(json.dumps(config, indent=1))
    return path


def feed_index(url: str) -> int:
    return int(url.rsplit("/", 1)[1].removesuffix(".xml"))


# --- the phases -------------------------------------------------------------------------------


def check_pacing(server: CountingFeedServer, until: float) -> None:
    """Every feed fetched again and again, but never twice within one interval."""
    for i in range(FEEDS):
        hits = server.hits_of(i, until=until)
        assert len(hits) >= 2, f"feed {i} fetched {len(hits)} times in the steady phase"
        gaps = [b - a for a, b in pairwise(hits)]
        assert min(gaps) >= INTERVAL - CLOCK_SLACK, (
            f"feed {i} fetched twice within one {INTERVAL:g}s interval: gaps {gaps}")
        assert max(gaps) <= INTERVAL + POLL_TICK + 5, f"feed {i} starved: gaps {gaps}"


@dataclass(frozen=True)
class Lease:
    url: str
    until: datetime


def leases_of(engine: Engine, owner: str) -> list[Lease]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(feeds.c.url, feeds.c.lease_until).where(feeds.c.lease_owner == owner)
        ).all()
    return [Lease(r.url, r.lease_until) for r in rows]


def find_victim(engine: Engine, workers: list[Worker], timeout: float) -> Worker:
    """A worker that holds feed leases right now (mid-fetch, since answers hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            owners = conn.execute(
                sa.select(feeds.c.lease_owner).distinct().where(
                    feeds.c.lease_owner.is_not(None), feeds.c.lease_until > datetime.now(UTC))
            ).scalars().all()
        pids = {str(owner).rpartition(":")[2] for owner in owners}
        for worker in workers:
            if str(worker.pid) in pids:
                return worker
        time.sleep(0.1)
    raise AssertionError(f"no worker held a feed lease within {timeout:g}s")


def taken_over(engine: Engine, owner: str, held: list[Lease]) -> bool:
    """Every feed the dead worker held was polled by another worker after its lease."""
    with engine.connect() as conn:
        rows = {r.url: r for r in conn.execute(
            sa.select(feeds.c.url, feeds.c.lease_owner, feeds.c.last_polled).where(
                feeds.c.url.in_([h.url for h in held])))}
    return all(
        rows[h.url].lease_owner != owner and rows[h.url].last_polled is not None
        and rows[h.url].last_polled >= h.until
        for h in held
    )


# --- the ledger against the fakes -------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: int
    channel_key: str
    window_key: str
    status: str
    worker: str
    sent: tuple[str, ...]


def ledger(engine: Engine) -> list[Row]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(deliveries)).all()
    keys = Counter((r.channel_key, r.sub_key, r.window_key) for r in rows)
    assert max(keys.values()) == 1, "a window has two ledger rows"
    return [Row(r.id, r.channel_key, r.window_key, r.status, r.worker,
                Progress.decode(r.message_ids or ()).sent) for r in rows]


def check_windows(rows: list[Row]) -> None:
    """Each subscription has a row for every 10 s slot from its first to its last: none lost."""
    by_channel: dict[str, list[datetime]] = {}
    for row in rows:
        by_channel.setdefault(row.channel_key, []).append(datetime.fromisoformat(row.window_key))
    assert len(by_channel) == SLACK_CHANNELS + WEBHOOKS, sorted(by_channel)
    for channel, slots in by_channel.items():
        slots.sort()
        gaps = {b - a for a, b in pairwise(slots)}
        assert len(slots) >= 4, f"{channel}: only {len(slots)} windows"
        assert gaps == {timedelta(seconds=SCHEDULE_EVERY)}, f"{channel}: window gaps {gaps}"


def check_slack(rows: list[Row], slack: FakeSlackApi, victim: str) -> int:
    """Each part on the fake (tagged ``<ledger row id>:<part>``) once, exactly as recorded."""
    posted = [c.params for c in slack.calls_to("chat.postMessage") if c.error is None]
    refs = Counter(str(p["metadata"]["event_payload"]["ref"]) for p in posted)
    assert refs and max(refs.values()) == 1, [r for r, n in refs.items() if n > 1]
    channel_of = {str(p["metadata"]["event_payload"]["ref"]): p["channel"] for p in posted}
    seen: set[str] = set()
    for row in (r for r in rows if r.channel_key.startswith("slack-")):
        recorded = {f"{row.id}:{k}" for k in range(len(row.sent))}
        on_fake = {ref for ref in refs if ref.split(":")[0] == str(row.id)}
        seen |= on_fake
        assert all(channel_of[ref] == row.channel_key.removeprefix("slack-") for ref in on_fake)
        if row.status == "claimed" and row.worker == victim:  # died mid-send: one part at most
            assert recorded <= on_fake and len(on_fake - recorded) <= 1, (row, on_fake)
        else:
            assert row.status in ("delivered", "failed", "dead"), row
            assert on_fake == recorded, (row, sorted(on_fake))
    assert seen == set(refs), f"messages no ledger row knows: {sorted(set(refs) - seen)}"
    for channel_id in SLACK_IDS:
        assert any(p["channel"] == channel_id for p in posted), f"nothing posted to {channel_id}"
    return len(posted)


def check_discord(rows: list[Row], discord: FakeDiscordApi, victim: str) -> int:
    """The webhook messages on the fake are the ledger's message ids, each once."""
    total = 0
    for webhook_id in WEBHOOK_IDS:
        on_fake = [m.id for m in discord.webhook_messages(webhook_id)]
        assert on_fake, f"nothing posted to webhook {webhook_id}"
        assert len(on_fake) == len(set(on_fake))
        mine = [r for r in rows if r.channel_key == f"hook-{webhook_id}"]
        recorded = {mid for r in mine for mid in r.sent}
        assert recorded <= set(on_fake), f"webhook {webhook_id}: ledger ids not on the fake"
        if not any(r.status == "claimed" and r.worker == victim for r in mine):
            assert set(on_fake) == recorded, f"webhook {webhook_id}: unrecorded messages"
        total += len(on_fake)
    return total


# --- the test ---------------------------------------------------------------------------------


def test_three_workers_share_feeds_and_windows_and_survive_a_kill(
    tmp_path: Path, pg_database: str, engine: Engine
) -> None:
    workers: list[Worker] = []
    with (
        CountingFeedServer(FEEDS, bucket=SCHEDULE_EVERY).running() as server,
        FakeSlackApi().running_in_thread() as slack,
        FakeDiscordApi().running_in_thread() as discord,
    ):
        config = write_config(tmp_path / "digestbot.yaml", server)
        env = worker_env(
            DIGESTBOT_DATABASE_URL=pg_database, SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="x",
            DISCORD_API_URL=discord.api_url,
        )
        workers = [Worker(f"worker{n}", config, tmp_path, env) for n in range(WORKERS)]
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                wait_until(worker.healthy, START_TIMEOUT, f"{worker.name} /healthz")

            # 1. Steady state: three workers, every feed once per interval.
            time.sleep(STEADY)
            check_pacing(server, until=time.time())

            # 2. Catch a worker holding leases mid-fetch, SIGKILL it.
            server.hang = HANG
            victim = find_victim(engine, workers, timeout=POLL_TICK + INTERVAL + 5)
            owner = f"{socket.gethostname()}:{victim.pid}"  # as bot.delivery.worker_id()
            victim.kill()
            killed_at = time.time()
            server.hang = 0.0
            held = leases_of(engine, owner)
            assert held, "the killed worker held no lease when it died"
            survivors = [w for w in workers if w is not victim]

            # 3. The others take its feeds over once the lease expired, not before.
            wait_until(lambda: taken_over(engine, owner, held), LEASE + POLL_TICK + 15,
                       f"feeds of the killed worker not taken over: {[h.url for h in held]}",
                       every=0.5)
            for lease in held:
                after = server.hits_of(feed_index(lease.url), since=killed_at)
                assert after, f"{lease.url} never fetched again"
                assert after[0] >= lease.until.timestamp() - CLOCK_SLACK, (
                    f"{lease.url} fetched {lease.until.timestamp() - after[0]:.1f}s before its "
                    "lease expired")
            time.sleep(2)  # let windows in flight finish before the stop
            codes = {w.name: w.terminate() for w in survivors}
        finally:
            for worker in workers:
                worker.ensure_dead()
        logs = {w.name: w.log() for w in workers}
        assert codes == {w.name: 0 for w in survivors}, {n: logs[n][-2000:] for n in codes}
        assert not any("Traceback" in logs[w.name] for w in survivors), logs

        # 4. Every window exactly once, and the fakes hold exactly what the ledger says.
        rows = ledger(engine)
        check_windows(rows)
        slack_messages = check_slack(rows, slack, owner)
        discord_messages = check_discord(rows, discord, owner)
        assert slack_messages >= SLACK_CHANNELS and discord_messages >= WEBHOOKS
        hits = [len(server.hits_of(i)) for i in range(FEEDS)]
        print(  # the figures, shown with -s
            f"\nscale-out: {len(rows)} ledger rows ({Counter(r.status for r in rows)}), "
            f"{slack_messages} Slack + {discord_messages} Discord messages, feed fetches "
            f"{sum(hits)} (per feed {min(hits)}-{max(hits)}), killed worker held "
            f"{len(held)} leases"
        )

