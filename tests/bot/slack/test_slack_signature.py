"""``POST /slack/events`` checks the signature before it reads the body: raw HTTP requests to
the bot's real aiohttp server, unsigned, badly signed, stale, with a malformed timestamp or a
signed body that is not a Slack payload. The contract: an unsigned or stale request gets 401, a
signed unreadable body 400, and nothing gets a 500 (or a traceback in the log)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.slack_app import verify_signature
from tests.bot.slack.conftest import SIGNING_SECRET, SlashClient
from tests.fakes.slack_api import FakeSlackApi

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def signature(body: bytes | str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature; ``timestamp`` as it goes in the header (any string)."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Raw:
    status: int
    body: str


@dataclass
class Poster:
    """Posts arbitrary bytes and headers to ``/slack/events``."""

    url: str
    session: aiohttp.ClientSession

    async def post(
        self,
        body: bytes | str,
        *,
        content_type: str = JSON,
        timestamp: str | None = None,
        signed: bool = False,
        sign_as: str | None = None,
    ) -> Raw:
        """``signed``: a correct signature for ``timestamp`` (now when not given);
        ``timestamp`` alone: that header with a wrong signature."""
        raw = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type}
        if signed or timestamp is not None:
            stamp = timestamp if timestamp is not None else str(int(time.time()))
            headers["X-Slack-Request-Timestamp"] = stamp
            headers["X-Slack-Signature"] = (
                signature(raw, sign_as or stamp) if signed else "v0=" + "0" * 64
            )
        async with self.session.post(self.url, data=raw, headers=headers) as resp:
            return Raw(resp.status, await resp.text())


@pytest.fixture
async def poster(server: str) -> AsyncIterator[Poster]:
    async with aiohttp.ClientSession() as session:
        yield Poster(f"{server}/slack/events", session)


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Log records at ERROR and above (a 500's traceback from aiohttp or Bolt lands here)."""
    caplog.set_level(logging.WARNING)
    return caplog


def error_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


UNSIGNED = [
    pytest.param("nope{", JSON, id="json-not-json"),
    pytest.param("payload=%7Bbad", FORM, id="form-payload-not-json"),
    pytest.param("[1]", JSON, id="json-list"),
    pytest.param(b"\xff\xfe{", JSON, id="not-utf8"),
    pytest.param("", FORM, id="empty"),
    pytest.param('{"type": "url_verification", "challenge": "x"}', JSON,
                 id="url-verification-unsigned"),
]


@pytest.mark.parametrize(("body", "content_type"), UNSIGNED)
async def test_unsigned_body_of_any_shape_gets_401(
    poster: Poster, api: FakeSlackApi, errors: pytest.LogCaptureFixture,
    body: bytes | str, content_type: str,
) -> None:
    result = await poster.post(body, content_type=content_type)
    assert result.status == 401
    assert json.loads(result.body) == {"error": "invalid request"}
    assert api.responses == [] and api.calls == []
    assert error_records(errors) == []


@pytest.mark.parametrize("body", ["nope{", "payload=%7Bbad", "token=x&command=%2Fnews"])
async def test_wrongly_signed_body_gets_401(
    poster: Poster, errors: pytest.LogCaptureFixture, body: str
) -> None:
    result = await poster.post(body, content_type=FORM, timestamp=str(int(time.time())))
    assert result.status == 401
    assert error_records(errors) == []


@pytest.mark.parametrize("stamp", ["abc", "1e3", "", " 1700000000", "-1", "1.5", "0x10",
                                   "\u0661\u0667\u0660\u0660", "9" * 5000])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
async def test_timestamp_that_is_not_whole_seconds_gets_401(
    poster: Poster, errors: pytest.LogCaptureFixture, stamp: str, signed: bool
) -> None:
    """Signed too: an HMAC over ``v0:abc:body`` is still no Slack request."""
    result = await poster.post("token=x&command=%2Fnews&text=topics", content_type=FORM,
                               timestamp=stamp, signed=signed, sign_as=stamp)
    assert result.status == 401
    assert error_records(errors) == []


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86400])
async def test_stale_or_future_timestamp_gets_401(poster: Poster, offset: int) -> None:
    stamp = str(int(time.time()) + offset)
    result = await poster.post("token=x&command=%2Fnews&text=topics", content_type=FORM,
                               timestamp=stamp, signed=True)
    assert result.status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("nope{", JSON, id="json-not-json"),
        pytest.param("{", FORM, id="brace-form"),
        pytest.param("payload=%7Bbad", FORM, id="form-payload-not-json"),
        pytest.param("[1]", JSON, id="json-list"),
        pytest.param("null", JSON, id="json-null"),
        pytest.param('{"team": 5}', JSON, id="json-wrong-field-type"),
        pytest.param(b"\xff\xfe{", JSON, id="not-utf8"),
    ],
)
async def test_signed_body_that_is_not_a_slack_payload_gets_400(
    poster: Poster, api: FakeSlackApi, errors: pytest.LogCaptureFixture,
    body: bytes | str, content_type: str,
) -> None:
    result = await poster.post(body, content_type=content_type, signed=True)
    assert result.status == 400
    assert json.loads(result.body) == {"error": "bad request"}
    assert api.responses == []
    assert error_records(errors) == []


async def test_signed_url_verification_still_answers_the_challenge(poster: Poster) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"})
    result = await poster.post(body, signed=True)
    assert result.status == 200
    assert json.loads(result.body) == {"challenge": challenge}


async def test_signed_slash_command_within_the_window_is_answered(slash: SlashClient) -> None:
    result = await slash.send("topics", age=290)  # 4m50s old: still inside the 5 minutes
    assert result.status == 200
    [message] = await slash.followups(result)
    assert "Topics:" in message["text"]


async def test_get_is_405(server: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(
        f"{server}/slack/events"
    ) as resp:
        assert resp.status == 405


def test_verify_signature_never_raises() -> None:
    secret = SIGNING_SECRET.encode()
    now = 1_700_000_000.0
    good = signature(b"a=1", "1700000000")
    assert verify_signature(secret, "1700000000", good, b"a=1", now=now)
    assert not verify_signature(secret, "1700000000", good, b"a=2", now=now)
    assert not verify_signature(secret, "1700000000", good, b"a=1", now=now + 301)
    assert verify_signature(secret, "1700000000", good, b"a=1", now=now - 300)
    for stamp in (None, "", "abc", "1e3", "1700000000.0", "+1700000000", "9" * 5000):
        assert not verify_signature(secret, stamp, good, b"a=1", now=now)
    for sig in (None, "", "v0=", "v0=\u00e9\u2603", good.upper()):
        assert not verify_signature(secret, "1700000000", sig, b"a=1", now=now)
