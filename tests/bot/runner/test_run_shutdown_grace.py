"""``delivery.shutdown_grace``: SIGTERM while a Discord webhook POST is in flight and the
platform answers slowly. With a grace longer than the answer takes, the message is recorded as
sent and never posted again; with the default (5 s) and a slower answer, the delivery is cut,
left ``claimed``, and the next start posts it again (the documented duplicate).

Both runs go without ``-v``: the start and stop lines must still show, at INFO, and nothing
else of the project's INFO chatter.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from bot.runner import AFTER_DRAIN
from digests.settings import load_settings
from digests.timewindow import parse_duration
from tests.bot.runner.test_run_discord_e2e import (
    BOT_TOKEN,
    HOOK_ID,
    DiscordBot,
    _delivered_ids,
    _pending,
    _rss,
    _settled,
)
from tests.bot.runner.test_run_e2e import PYTHON, ROOT, _wait
from tests.fakes.discord_api import FakeDiscordApi

START_LINE = "level=INFO logger=bot.runner.lifecycle digestbot running:"
STOP_LINE = "level=INFO logger=bot.runner.lifecycle digestbot stopped worker="


@pytest.fixture
def feed(httpserver: HTTPServer) -> str:
    """Two stories: one digest of one message, and nothing left for the later slots."""
    if not PYTHON.exists():
        pytest.skip(f"no virtualenv python at {PYTHON}")
    httpserver.expect_request("/feed.xml").respond_with_data(
        _rss(2), content_type="application/rss+xml")
    return str(httpserver.url_for("/feed.xml"))


@pytest.fixture
def fake() -> Iterator[FakeDiscordApi]:
    with FakeDiscordApi(bot_token=BOT_TOKEN).running_in_thread() as api:
        yield api


class QuietBot(DiscordBot):
    """A webhook channel, run without ``-v``."""

    def __init__(self, tmp: Path, feed_url: str, api: FakeDiscordApi,
                 grace: str | None) -> None:
        super().__init__(tmp, feed_url, api, {"webhook": api.webhook_url(HOOK_ID, "hook-token")},
                         token=None)
        config = json.loads(self.config.read_text())
        if grace is not None:
            config["delivery"]["shutdown_grace"] = grace
        self.config.write_text(json.dumps(config))

    def start(self) -> None:
        self.runs += 1
        log = (self.tmp / f"run{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [str(PYTHON), "-m", "bot", "run", "--config", str(self.config)],
            cwd=self.tmp, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        _wait(lambda: self.health() == 200, 30, "healthz never answered", self)


def _sigterm_mid_post(bot: QuietBot, api: FakeDiscordApi, delay: float) -> tuple[int, float]:
    """Start; SIGTERM once the message is created on the fake but not answered yet."""
    api.delay = delay
    bot.start()
    _wait(lambda: len(api.webhook_messages(HOOK_ID)) >= 1, 40, "nothing posted", bot)
    return bot.terminate()


def test_grace_longer_than_the_answer_records_the_message_and_never_reposts(
    tmp_path: Path, feed: str, fake: FakeDiscordApi
) -> None:
    api = fake
    bot = QuietBot(tmp_path, feed, api, grace="20s")
    try:
        code, took = _sigterm_mid_post(bot, api, delay=3.0)
        assert code == 0, bot.log()[-2000:]
        assert 2.0 < took < 3.0 + 4.0 + 2.0, (took, bot.log()[-2000:])  # it waited, no more
        assert _pending(bot.db) == [], "the delivery was cut despite the grace"
        [message] = api.webhook_messages(HOOK_ID)
        api.delay = 0.0
        bot.start()
        time.sleep(4.5)  # resolve_pending ran at start, and two more slots came and went
        assert api.webhook_messages(HOOK_ID) == [message], "posted again after the restart"
        assert _settled(bot.db)
        code, _ = bot.terminate()
        assert code == 0
    finally:
        bot.stop_quietly()
    text = bot.log()
    assert "interrupted by shutdown" not in text and "Traceback" not in text
    assert "shutdown_grace=20s" in text
    assert text.count(START_LINE) == 2 and text.count(STOP_LINE) == 2, text[-3000:]
    assert "digestbot running" not in "\n".join(
        line for line in text.splitlines() if "level=WARNING" in line)
    assert "level=INFO logger=bot.scheduler" not in text  # no -v: only the lifecycle lines


def test_the_default_grace_cuts_a_slower_answer_and_the_next_start_reposts_it(
    tmp_path: Path, feed: str, fake: FakeDiscordApi
) -> None:
    api = fake
    bot = QuietBot(tmp_path, feed, api, grace=None)
    try:
        code, took = _sigterm_mid_post(bot, api, delay=8.0)
        assert code == 0, bot.log()[-2000:]
        assert 4.5 < took < 5.0 + 4.0 + 1.0, (took, bot.log()[-2000:])
        [(delivery_id, recorded)] = _pending(bot.db)  # left claimed, no part recorded
        assert recorded == ()
        api.delay = 0.0
        bot.start()
        _wait(lambda: _settled(bot.db), 30, "window lost after SIGTERM", bot)
        first, second = api.webhook_messages(HOOK_ID)  # the documented duplicate
        assert first.embeds == second.embeds
        assert _delivered_ids(bot.db, delivery_id) == (second.id,)
        code, _ = bot.terminate()
        assert code == 0
    finally:
        bot.stop_quietly()
    text = bot.log()
    assert "jobs still running after 5s (delivery.shutdown_grace): cancelled" in text
    assert "Traceback" not in text


def test_config_check_refuses_a_shutdown_grace_over_5_minutes(tmp_path: Path) -> None:
    config = tmp_path / "digestbot.yaml"
    config.write_text("delivery:\n  shutdown_grace: 6m\n")
    done = subprocess.run(
        [str(PYTHON), "-m", "bot", "config", "check", "--config", str(config)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if "shutdown_grace" in ln]
    assert line.startswith(f"{config}:2:") and "at most 5m" in line, done.stderr



def test_compose_gives_the_shipped_config_its_whole_stop_budget() -> None:
    """Docker must not SIGKILL a worker that is still inside its stop budget."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    period = parse_duration(compose["x-bot"]["stop_grace_period"]).total_seconds()
    settings = load_settings(ROOT / "config" / "digestbot.yaml")
    assert period > settings.delivery.shutdown_grace_seconds + AFTER_DRAIN
