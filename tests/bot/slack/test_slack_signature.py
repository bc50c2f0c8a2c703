"""``POST /slack/events`` checks the signature before it reads the body: raw HTTP requests to
the bot's real aiohttp server, unsigned, badly signed, stale, with a malformed timestamp or a
signed body that is not a Slack payload. The contract: an unsigned or stale request gets 401, a
signed unreadable body 400, and nothing gets a 500 (or a traceback in the log)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

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


@pytest.mark.parametrize("text", ["search payload", "ask what payload did the rocket carry"])
async def test_a_command_whose_text_says_payload_is_answered(
    slash: SlashClient, text: str
) -> None:
    """Bolt reads any form body containing "payload" as an interactivity payload and finds
    none (an empty body): such a command is parsed here and still answered."""
    result = await slash.send(text)
    assert result.status == 200
    [message] = await slash.followups(result)
    assert message["text"]


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


# --- signed, readable, but not of the shape Slack sends: 400 (or 404), never a 500 ----------


def form_payload(payload: object) -> str:
    """An interactivity request as Slack posts it: a form whose ``payload`` field is JSON."""
    return urlencode({"payload": json.dumps(payload)})


def command_fields(**changes: object) -> dict[str, object]:
    """A slash command's fields as Slack sends them, with ``changes`` (None: left out)."""
    fields: dict[str, object] = {
        "token": "t", "team_id": "T0001", "channel_id": "C0TEST", "user_id": "U0ASKER",
        "command": "/news", "text": "topics", "api_app_id": "A0APP",
        "response_url": "https://hooks.slack.com/commands/T0001/1/x", "trigger_id": "1.2.3",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


ACTION: dict[str, object] = {"action_id": "a1", "block_id": "b1", "type": "button", "value": "v"}
BLOCK_ACTIONS: dict[str, object] = {
    "type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "api_app_id": "A0APP",
    "container": {"type": "message"}, "actions": [ACTION],
}
EVENT: dict[str, object] = {
    "type": "event_callback", "team_id": "T1", "api_app_id": "A0APP",
    "event": {"type": "app_mention", "user": "U1", "channel": "C1", "text": "hi"},
}

MALFORMED = [
    pytest.param(form_payload({**BLOCK_ACTIONS, "user": "U1"}), FORM,
                 "'user' is a string, not an object", id="user-a-string"),
    pytest.param(form_payload({**BLOCK_ACTIONS, "actions": {"0": ACTION}}), FORM,
                 "'actions' is an object, not a list", id="actions-not-a-list"),
    pytest.param(form_payload({**BLOCK_ACTIONS, "actions": []}), FORM,
                 "block_actions without actions", id="actions-empty"),
    pytest.param(form_payload({**BLOCK_ACTIONS, "actions": ["a1"]}), FORM,
                 "'actions' holds something that is not an object", id="actions-of-strings"),
    pytest.param(form_payload({**BLOCK_ACTIONS, "container": "message"}), FORM,
                 "'container' is a string, not an object", id="container-a-string"),
    pytest.param(form_payload({"type": "view_submission", "user": {"id": "U1"}, "view": "v"}),
                 FORM, "'view' is a string, not an object", id="view-a-string"),
    pytest.param(form_payload({"type": "block_suggestion", "user": {"id": "U1"},
                               "action_id": ["a1"]}), FORM,
                 "'action_id' is a list, not a string", id="suggestion-action-id-a-list"),
    pytest.param(json.dumps({**EVENT, "event": "app_mention"}), JSON,
                 "'event' is a string, not an object", id="event-a-string"),
    pytest.param(json.dumps({**EVENT, "event": {"user": "U1", "text": "hi"}}), JSON,
                 "event_callback without an event type", id="event-without-type"),
    pytest.param(form_payload({"type": ["block_actions"]}), FORM,
                 "no command and no type: not a Slack payload", id="type-a-list"),
    pytest.param(json.dumps({"hello": "world"}), JSON,
                 "no command and no type: not a Slack payload", id="neither-command-nor-type"),
    pytest.param(json.dumps(command_fields(text=["digest", "security"])), JSON,
                 "slash command: 'text' is a list, not a string", id="command-text-a-list"),
    pytest.param(json.dumps(command_fields(user_id={"id": "U1"})), JSON,
                 "slash command: 'user_id' is an object, not a string", id="command-user-object"),
    pytest.param(form_payload(command_fields(channel_id=7)), FORM,
                 "slash command: 'channel_id' is a number, not a string",
                 id="command-in-payload-field"),
    pytest.param(urlencode(command_fields(response_url=None)), FORM,
                 "slash command: no 'response_url'", id="command-without-response-url"),
    pytest.param(urlencode(command_fields(response_url="javascript:x")), FORM,
                 "slash command: 'response_url' is not an http(s) URL",
                 id="command-response-url-not-http"),
    pytest.param(urlencode(command_fields(type="block_actions", actions="")), FORM,
                 "slash command: unexpected field 'type'", id="command-with-a-type"),
    pytest.param(urlencode(command_fields(view="v", command="/other")), FORM,
                 "slash command: unexpected field 'view'", id="command-with-a-view"),
    pytest.param(json.dumps({"type": "url_verification", "challenge": ["x"]}), JSON,
                 "url_verification: 'challenge' is a list, not a string",
                 id="challenge-a-list"),
]


@pytest.mark.parametrize(("body", "content_type", "reason"), MALFORMED)
async def test_signed_payload_with_wrong_nested_types_gets_400(
    poster: Poster, api: FakeSlackApi, errors: pytest.LogCaptureFixture,
    body: str, content_type: str, reason: str,
) -> None:
    result = await poster.post(body, content_type=content_type, signed=True)
    assert result.status == 400, result.body
    assert json.loads(result.body) == {"error": "bad request", "reason": reason}
    await asyncio.sleep(0.05)  # a follow-up, had one been started, would be on its way
    assert api.responses == [] and api.calls == []
    assert error_records(errors) == []
    assert [r.getMessage() for r in errors.records] == [
        f"refused a signed Slack request: {reason}"
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        pytest.param(form_payload(BLOCK_ACTIONS), FORM, "block_actions", id="block-actions"),
        pytest.param(json.dumps(EVENT), JSON, "event_callback", id="event"),
        pytest.param(form_payload({"type": "shortcut", "callback_id": "c", "user": {"id": "U"},
                                   "team": None}), FORM, "shortcut", id="shortcut"),
    ],
)
async def test_well_formed_request_the_app_does_not_serve_gets_404(
    poster: Poster, api: FakeSlackApi, errors: pytest.LogCaptureFixture,
    body: str, content_type: str, kind: str,
) -> None:
    """As Bolt answers a request no listener takes, in one log line instead of a snippet."""
    result = await poster.post(body, content_type=content_type, signed=True)
    assert result.status == 404
    assert json.loads(result.body) == {"error": "unhandled request"}
    assert api.calls == []
    assert [(r.levelno, r.getMessage()) for r in errors.records] == [
        (logging.WARNING,
         f"ignored a signed Slack request: this app has no handler for {kind!r} requests")
    ]


async def test_signed_ssl_check_is_still_answered(poster: Poster) -> None:
    result = await poster.post("ssl_check=1&token=t", content_type=FORM, signed=True)
    assert result.status == 200


async def test_no_field_of_any_type_makes_a_signed_request_a_500(
    poster: Poster, api: FakeSlackApi, errors: pytest.LogCaptureFixture
) -> None:
    """Every field Bolt or the handlers read, in every kind of body, set to every JSON type:
    each answer is 200, 400 or 404, and nothing is logged at ERROR (a traceback)."""
    keys = ("command", "text", "user_id", "channel_id", "response_url", "type", "user", "team",
            "channel", "enterprise", "container", "view", "message", "event", "actions",
            "action_id", "callback_id", "authorizations", "function", "challenge", "ssl_check",
            "is_enterprise_install", "is_ext_shared_channel", "previous_message", "item")
    values: tuple[object, ...] = ("", "x", "1", [], ["x"], [{}], {}, {"id": 1}, None, 5, True)
    bases: list[dict[str, object]] = [
        command_fields(response_url=api.response_url("fuzz"), text="help"),
        BLOCK_ACTIONS, EVENT, {"type": "view_submission", "view": {"callback_id": "c"}},
        {"type": "block_suggestion", "action_id": "a"}, {"type": "url_verification"},
    ]
    statuses: set[int] = set()
    for base in bases:
        for key in keys:
            for value in values:
                body = json.dumps({**base, key: value})
                result = await poster.post(body, content_type=JSON, signed=True)
                assert result.status in (200, 400, 404), (body, result)
                statuses.add(result.status)
    assert statuses == {200, 400, 404}
    await asyncio.sleep(0.2)  # follow-ups of the commands that were answered
    assert error_records(errors) == []


async def test_a_follow_up_that_cannot_be_sent_is_one_warning_line(
    poster: Poster, errors: pytest.LogCaptureFixture
) -> None:
    """The asker's response_url unreachable (Slack down, a proxy refusing): one warning with
    the reason, no traceback at ERROR."""
    form = urlencode({
        "command": "/news", "text": "topics", "user_id": "U1", "channel_id": "C1",
        "team_id": "T1", "response_url": "http://127.0.0.1:9/respond/nowhere",
    })
    result = await poster.post(form, content_type=FORM, signed=True)
    assert result.status == 200
    for _ in range(100):
        failed = [r for r in errors.records if "slack reply failed" in r.getMessage()]
        if failed:
            break
        await asyncio.sleep(0.05)
    [record] = failed
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "\n" not in record.getMessage()
    assert error_records(errors) == []
