"""SIGTERM in the middle of a digest of several messages, through a Discord webhook (no nonce:
a part posted twice would show twice). With a grace longer than the answer to the part in
flight, the worker finishes that part, starts no other and exits; the next start posts the
remaining parts once each and never the first one again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.bot.runner.test_run_discord_e2e import (
    HOOK_ID,
    ITEMS,
    DiscordBot,
    _delivered_ids,
    _pending,
    _rss,
    _settled,
)
from tests.bot.runner.test_run_e2e import PYTHON, _wait
from tests.fakes.discord_api import FakeDiscordApi, part_numbers

DELAY = 3.0  # seconds the fake holds its answer to each post, after creating the message


@pytest.fixture
def feed(httpserver: HTTPServer) -> str:
    if not PYTHON.exists():
        pytest.skip(f"no virtualenv python at {PYTHON}")
    httpserver.expect_request("/feed.xml").respond_with_data(
        _rss(ITEMS), content_type="application/rss+xml")
    return str(httpserver.url_for("/feed.xml"))


@pytest.fixture
def api() -> Iterator[FakeDiscordApi]:
    with FakeDiscordApi().running_in_thread() as fake:
        yield fake


def _posts(api: FakeDiscordApi) -> int:
    return sum(1 for r in api.requests_to("webhook") if r.method == "POST")


def test_sigterm_during_part_1_posts_it_alone_and_the_next_start_posts_the_rest_once(
    tmp_path: Path, feed: str, api: FakeDiscordApi
) -> None:
    bot = DiscordBot(tmp_path, feed, api, {"webhook": api.webhook_url(HOOK_ID, "hook-token")},
                     token=None)
    config = json.loads(bot.config.read_text())
    config["delivery"]["shutdown_grace"] = "20s"
    bot.config.write_text(json.dumps(config))
    try:
        api.delay = DELAY
        bot.start()
        _wait(lambda: len(api.webhook_messages(HOOK_ID)) >= 1, 40, "nothing posted", bot)
        code, took = bot.terminate()  # part 1 is created on Discord, its answer 3 s away
        assert code == 0, bot.log()[-2000:]
        assert DELAY - 1.0 < took < DELAY + 4.0 + 2.0, (took, bot.log()[-2000:])
        [first] = api.webhook_messages(HOOK_ID)
        assert part_numbers([first]) == [1] and _posts(api) == 1
        [(delivery_id, recorded)] = _pending(bot.db)  # left claimed, part 1 recorded
        assert recorded == (first.id,)

        api.delay = 0.0
        bot.start()
        _wait(lambda: _settled(bot.db), 30, "window lost after SIGTERM", bot)
        time.sleep(2.5)  # a later slot came and went: nothing more
        messages = api.webhook_messages(HOOK_ID)
        parts = part_numbers(messages)
        total = max(parts)
        assert total >= 3
        assert parts == list(range(1, total + 1)), parts  # each part once, in order
        assert _posts(api) == total  # one POST per part: part 1 never again
        assert _delivered_ids(bot.db, delivery_id) == tuple(m.id for m in messages)
        code, _ = bot.terminate()
        assert code == 0
    finally:
        bot.stop_quietly()
    first_run = (tmp_path / "run1.log").read_text()
    assert (f"delivery {delivery_id} stopped after part 1 of {total} for shutdown; the next "
            "start resumes it") in first_run, first_run[-3000:]
    assert "jobs still running" not in first_run and "interrupted by shutdown" not in first_run
    second_run = (tmp_path / "run2.log").read_text()
    assert f"resuming delivery {delivery_id} stopped for shutdown" in second_run
    assert "resolving delivery" not in second_run and "worker died" not in second_run
    assert "Traceback" not in bot.log()
