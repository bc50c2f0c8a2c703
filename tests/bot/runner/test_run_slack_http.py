"""``POST /slack/events`` of a real ``digestbot run`` without a bot token: with
``SLACK_SIGNING_SECRET`` alone slash commands are verified and answered at ``response_url``;
with no secret at all every request is refused with 401, as the contract says of unsigned ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.bot.runner.test_run_e2e import PYTHON, _free_port
from tests.bot.slack.conftest import sign
from tests.fakes.slack_api import FakeSlackApi

SECRET = "test-signing-secret"
Start = Callable[..., AsyncIterator[str]]


async def _healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if proc.poll() is not None:
                raise AssertionError(f"digestbot run exited:\n{log.read_text()[-3000:]}")
            try:
                async with session.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"healthz never answered:\n{log.read_text()[-3000:]}")


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token="xoxb-unused") as fake:
        yield fake


async def _run_bot(tmp: Path, api: FakeSlackApi, secret: str | None) -> AsyncIterator[str]:
    port = _free_port()
    config = tmp / "digestbot.yaml"
    config.write_text(json.dumps({"sources": [], "archive_dir": str(tmp / "archive")}))
    env = {**os.environ, "PORT": str(port), "SLACK_API_URL": api.api_url,
           "DIGESTBOT_DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}", "PYTHONUNBUFFERED": "1"}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET",
                 "DISCORD_BOT_TOKEN"):
        env.pop(name, None)
    if secret is not None:
        env["SLACK_SIGNING_SECRET"] = secret
    log = tmp / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(PYTHON), "-m", "bot", "run", "--config", str(config)],
                                cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        await _healthy(base, proc, log)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


async def _slash(base: str, api: FakeSlackApi, text: str, *, secret: str | None,
                 key: str) -> int:
    body = urlencode({"command": "/news", "text": text, "team_id": "T1", "channel_id": "C1",
                      "user_id": "U1", "response_url": api.response_url(key),
                      "trigger_id": "1.2.3", "api_app_id": "A1"})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if secret is not None:
        now = int(time.time())
        headers["X-Slack-Request-Timestamp"] = str(now)
        headers["X-Slack-Signature"] = sign(body, now, secret)
    url = f"{base}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(
        url, data=body, headers=headers
    ) as resp:
        return resp.status


async def test_signing_secret_alone_answers_commands_at_response_url(
    tmp_path: Path, api: FakeSlackApi
) -> None:
    async for base in _run_bot(tmp_path, api, SECRET):
        assert await _slash(base, api, "help", secret=None, key="unsigned") == 401
        assert await _slash(base, api, "help", secret="wrong-secret", key="forged") == 401
        assert await _slash(base, api, "help", secret=SECRET, key="signed") == 200
        await api.wait_for(lambda: bool(api.responses_to("signed")))
        answer = api.responses_to("signed")[0]
        assert "/news digest" in answer["text"]
        assert answer["response_type"] == "ephemeral"
        assert await _slash(base, api, "topics", secret=SECRET, key="topics") == 200
        await api.wait_for(lambda: bool(api.responses_to("topics")))
        assert "security" in api.responses_to("topics")[0]["text"]
    assert not api.responses_to("unsigned") and not api.responses_to("forged")


async def test_without_a_signing_secret_every_request_is_refused(
    tmp_path: Path, api: FakeSlackApi
) -> None:
    async for base in _run_bot(tmp_path, api, None):
        assert await _slash(base, api, "help", secret=None, key="unsigned") == 401
        assert await _slash(base, api, "help", secret=SECRET, key="signed") == 401
    assert not api.responses_to("signed")
