"""``digestbot post --channel NAME --json`` to a Discord webhook whose server is not Discord byte
for byte: every part is posted once and reported delivered, and parts are spaced."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digests.store import Store
from tests.bot.delivery.helpers import add_story, long_text
from tests.cli.harness import Run, run_main
from tests.fakes.discord_api import FakeDiscordApi, part_numbers

HOOK_ID = 1300000000000000001
STORIES = 12


@pytest.fixture
def api(restore_route_base: None) -> Iterator[FakeDiscordApi]:
    with FakeDiscordApi().running_in_thread() as fake:
        yield fake


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A database with ``STORIES`` long security stories from the last hour."""
    url = f"sqlite:///{tmp_path / 'data' / 'digestbot.db'}"
    (tmp_path / "data").mkdir()
    now = datetime.now(UTC)
    with Store.open(url) as store:
        for i in range(STORIES):
            add_story(store, f"Cyberattack {i} on the port", summary=long_text(i),
                      published=now - timedelta(minutes=30 + i), fetched_at=now)
    return url


@pytest.fixture
def post(
    api: FakeDiscordApi, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """``post(min_interval)``: ``digestbot post --channel hook --json`` in this process."""
    for name in ("DISCORD_BOT_TOKEN", "DIGESTBOT_CONFIG", "DIGESTBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_API_URL", api.api_url)

    def run(min_interval: float = 0) -> Run:
        config = tmp_path / "digestbot.yaml"
        config.write_text(json.dumps({
            "archive_dir": str(tmp_path / "archive"),
            "delivery": {"min_interval_seconds": min_interval},
            "channels": {"hook": {"platform": "discord", "webhook": api.webhook_url(HOOK_ID),
                                  "topics": ["security"], "max_stories": STORIES}},
        }))
        return run_main(capsys, "post", "--channel", "hook", "--json", "--config", str(config),
                        "--db", db_url)

    return run


def delivered_ids(run: Run) -> list[str]:
    assert run.code == 0, run.err
    result = run.json()
    assert result["failed"] == [] and result["skipped"] == []
    return [d["message_id"] for d in result["delivered"]]


def test_json_with_a_charset_is_posted_once_and_reported(
    api: FakeDiscordApi, post: Any
) -> None:
    api.json_content_type = "application/json; charset=utf-8"  # aiohttp's web.json_response
    ids = delivered_ids(post())
    messages = api.webhook_messages(HOOK_ID)
    assert len(messages) >= 2
    assert part_numbers(messages) == list(range(1, len(messages) + 1))
    assert ids == [m.id for m in messages]


def test_a_success_without_a_message_is_not_posted_again(
    api: FakeDiscordApi, post: Any
) -> None:
    api.unreadable_answer_next(1, body="ok", route="webhook", after=1)
    ids = delivered_ids(post())
    messages = api.webhook_messages(HOOK_ID)
    assert part_numbers(messages) == list(range(1, len(messages) + 1))
    assert ids[0] == messages[0].id and ids[2:] == [m.id for m in messages[2:]]
    assert ids[1].startswith("unknown:") and ids[1].endswith(":1")  # unknown:<delivery>:<part>
    again = post().json()  # the stories count as delivered to the channel: nothing to post
    assert again["delivered"] == [] and "no new stories" in again["skipped"][0]["reason"]
    assert len(api.webhook_messages(HOOK_ID)) == len(messages)


def test_429_without_via_is_waited_and_the_part_posted_once(
    api: FakeDiscordApi, post: Any
) -> None:
    api.rate_limit_next(1, retry_after=0.3, route="webhook", via=False, after=1)
    ids = delivered_ids(post())
    messages = api.webhook_messages(HOOK_ID)
    assert part_numbers(messages) == list(range(1, len(messages) + 1))
    assert ids == [m.id for m in messages]
    statuses = [r.status for r in api.requests_to("webhook")]
    assert statuses == [200, 429] + [200] * (len(messages) - 1)


def test_parts_are_spaced_by_min_interval(api: FakeDiscordApi, post: Any) -> None:
    delivered_ids(post(min_interval=0.3))
    requests = api.requests_to("webhook")
    assert len(requests) >= 2
    assert all(b.at - a.at >= 0.3 for a, b in itertools.pairwise(requests))


@pytest.mark.parametrize(("status", "ending"), [
    (500, "run post again to finish it"), (404, "will not work until fixed"),
])
def test_a_failed_post_ends_with_one_line_saying_so(
    api: FakeDiscordApi, post: Any, status: int, ending: str
) -> None:
    api.error_next(status, n=20, route="webhook")
    failed = post()
    assert failed.code == 2
    [line] = [ln for ln in failed.err.splitlines() if ln.startswith("digestbot:")]
    assert line.startswith("digestbot: could not post to hook (security): ")
    assert line.endswith(ending)
    assert failed.json()["failed"][0]["channel"] == "hook"
