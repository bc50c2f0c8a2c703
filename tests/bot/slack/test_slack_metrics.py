"""Slack commands are timed into ``command_seconds``; Bolt starts without a spurious warning."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bot.app import App
from bot.metrics import Metrics
from bot.senders.slack import make_slack_client
from bot.slack_app import make_slack_app
from tests.bot.slack.conftest import BOT_TOKEN, SlashClient, serve
from tests.fakes.slack_api import FakeSlackApi


def answered(metrics: Metrics, command: str) -> float:
    """How many ``command`` answers were observed on Slack (0 when none)."""
    labels = {"platform": "slack", "command": command}
    return metrics.registry.get_sample_value("digestbot_command_seconds_count", labels) or 0.0


async def test_slash_commands_over_http_are_timed(app: App, api: FakeSlackApi) -> None:
    metrics = Metrics()
    async for base in serve(app, api, metrics=metrics):
        async with aiohttp.ClientSession() as session:
            slash = SlashClient(f"{base}/slack/events", api, session)
            await slash.followups(await slash.send("digest migration"))
            await slash.followups(await slash.send("security", command="/digest"))
            await slash.followups(await slash.send("no-such-command"))
    assert answered(metrics, "digest") == 2
    assert answered(metrics, "help") == 1  # unknown input is answered with help
    assert answered(metrics, "search") == 0
    labels = {"platform": "slack", "command": "digest"}
    total = metrics.registry.get_sample_value("digestbot_command_seconds_sum", labels)
    assert total is not None and 0 < total < 10
    assert (
        b'digestbot_command_seconds_count{command="digest",platform="slack"} 2.0'
        in metrics.render()
    )


@pytest.mark.parametrize(("env_token", "warned"), [(BOT_TOKEN, False), ("xoxb-other", True)])
def test_bolt_warns_only_about_a_different_token(
    app: App,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    env_token: str,
    warned: bool,
) -> None:
    """Bolt reads ``$SLACK_BOT_TOKEN`` itself; the same token as the client's is no news."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", env_token)
    client = make_slack_client(BOT_TOKEN, base_url="http://127.0.0.1:9/api/")
    with caplog.at_level(logging.WARNING):
        bolt = make_slack_app(app, client=client)
    assert bolt.client is client
    unused = [r for r in caplog.records if "will be unused" in r.getMessage()]
    assert bool(unused) is warned
    assert not logging.getLogger("slack_bolt.AsyncApp").filters  # nothing left behind
