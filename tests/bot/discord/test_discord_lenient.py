"""The Discord senders against servers that are not Discord byte for byte: JSON answered as
``application/json; charset=utf-8`` (aiohttp's ``web.json_response``), a success whose body is
not a message, 429s without ``Via`` or with the wait only in the body or only in a header, and
the spacing of one channel's messages (``delivery.min_interval_seconds``)."""

from __future__ import annotations

import itertools
import logging
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import discord
import pytest

from bot.senders.discord import (
    MAX_ATTEMPTS,
    MIN_INTERVAL,
    DiscordBotSender,
    DiscordWebhookSender,
    retry_after,
)
from bot.types import Target
from digests.errors import DeliveryError
from digests.settings import Settings
from tests.bot.discord.conftest import HOOK, HOOK_ID, make_digest, story, twenty_story_digest
from tests.fakes.discord_api import FakeDiscordApi, Request, part_numbers

CHANNEL = Target(name="desk", platform="discord", channel_id="1400000000000000042")
CHARSET_JSON = "application/json; charset=utf-8"


@pytest.fixture
def webhook_sender(api: FakeDiscordApi, session: aiohttp.ClientSession) -> DiscordWebhookSender:
    return DiscordWebhookSender(session, api_url=api.api_url, timeout=10, min_interval=0)


def gaps(requests: list[Request]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(requests)]


# --- answers that are not exactly Discord's ------------------------------------------------------


async def test_json_with_a_charset_is_read(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    """discord.py reads only ``application/json`` exactly: anything after it made the answer a
    string, the send a TypeError, the message 'not sent' and the window posted again."""
    api.json_content_type = CHARSET_JSON
    ids = await webhook_sender.send(HOOK, twenty_story_digest())
    messages = api.webhook_messages(HOOK_ID)
    assert len(messages) > 1
    assert ids == [m.id for m in messages]
    assert part_numbers(messages) == list(range(1, len(messages) + 1))  # each once, in order
    assert {r.status for r in api.requests_to("webhook")} == {200}


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [('{"id": "m-1"}', "text/plain", "m-1"), ('{"id": 42}', "application/json", "42"),
     ('{"id": "7", "channel_id": "1"}', "application/json; charset=latin-1", "7")],
)
async def test_an_answer_with_only_an_id_is_enough(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender, body: str, content_type: str,
    expected: str,
) -> None:
    api.unreadable_answer_next(1, body=body, content_type=content_type, route="webhook")
    assert await webhook_sender.send(HOOK, make_digest((story(1),))) == [expected]


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [(200, "ok", "text/plain"), (200, '{"ok": true}', "application/json"),
     (201, "<html><body>Created</body></html>", "text/html"), (204, "", ""),
     (200, '{"id": null}', CHARSET_JSON), (200, "\xff\xfe not utf-8", "text/plain")],
)
async def test_a_success_without_a_message_counts_as_posted(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender, caplog: pytest.LogCaptureFixture,
    status: int, body: str, content_type: str,
) -> None:
    """Sending it again would post it twice: it is recorded as ``unknown:<part ref>``."""
    api.unreadable_answer_next(1, status=status, body=body, content_type=content_type,
                               route="webhook")
    [part] = webhook_sender.parts(HOOK, make_digest((story(1),)))
    with caplog.at_level(logging.WARNING, logger="bot.senders.discord"):
        message_id = await webhook_sender.send_part(HOOK, part, ref="7:0")
    assert message_id == "unknown:7:0"
    assert len(api.webhook_messages()) == 1
    assert [r.status for r in api.requests_to("webhook")] == [status]
    assert "without a message id" in caplog.text


async def test_a_part_answered_without_an_id_does_not_stop_the_digest(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    api.unreadable_answer_next(1, body="accepted", route="webhook", after=1)
    ids = await webhook_sender.send(HOOK, twenty_story_digest())
    messages = api.webhook_messages()
    assert part_numbers(messages) == list(range(1, len(messages) + 1))
    assert ids == [messages[0].id, "unknown:1", *(m.id for m in messages[2:])]


async def test_an_error_answer_that_is_not_json_is_reported(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    api.unreadable_answer_next(1, status=404, body="<h1>Not Found</h1>\n",
                               content_type="text/html", route="webhook")
    with pytest.raises(DeliveryError) as caught:
        await webhook_sender.send(HOOK, make_digest((story(1),)))
    assert caught.value.permanent
    assert caught.value.reason == "HTTP 404 <h1>Not Found</h1>"


# --- 429s -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("via", "in_json", "in_headers", "content_type", "waits"),
    [
        (False, True, False, "application/json", 0.3),  # retry_after in the body only
        (False, False, True, "application/json", 1.0),  # Retry-After: 1 (whole seconds)
        (True, True, True, CHARSET_JSON, 0.3),  # discord.py: TypeError on data['retry_after']
        (False, True, True, "text/plain", 0.3),  # JSON body labelled as text
    ],
)
async def test_429_is_waited_and_sent_again_once(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender, via: bool, in_json: bool,
    in_headers: bool, content_type: str, waits: float,
) -> None:
    api.json_content_type = content_type
    api.rate_limit_next(1, retry_after=0.3, route="webhook", via=via, in_json=in_json,
                        in_headers=in_headers)
    started = time.monotonic()
    ids = await webhook_sender.send(HOOK, make_digest((story(1),)))
    assert time.monotonic() - started >= waits
    assert [r.status for r in api.requests_to("webhook")] == [429, 200]
    assert ids == [m.id for m in api.webhook_messages()] and len(ids) == 1


async def test_429_again_and_again_gives_up_after_a_few_requests(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    api.rate_limit_next(MAX_ATTEMPTS, retry_after=0.01, route="webhook", via=False)
    with pytest.raises(DeliveryError) as caught:
        await webhook_sender.send(HOOK, make_digest((story(1),)))
    assert not caught.value.permanent and "429" in caught.value.reason
    assert len(api.requests_to("webhook")) == MAX_ATTEMPTS
    api.rate_limit_next(MAX_ATTEMPTS - 1, retry_after=0.01, route="webhook", via=False)
    assert len(await webhook_sender.send(HOOK, make_digest((story(1),)))) == 1


def test_retry_after_is_read_from_body_then_headers() -> None:
    assert retry_after({"Retry-After": "9"}, {"retry_after": 0.25}) == 0.25
    assert retry_after({"Retry-After": "3"}, "not json") == 3.0
    assert retry_after({"Retry-After": "soon", "X-RateLimit-Reset-After": "1.5"}, None) == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after({"Retry-After": later}, None) or 0) <= 30
    for nothing in ({"retry_after": -1}, {"retry_after": "nan"}, {"retry_after": True}, {}):
        assert retry_after({}, nothing) is None


async def test_bot_429_without_via_is_waited_too(
    api: FakeDiscordApi, client: discord.Client
) -> None:
    api.rate_limit_next(1, retry_after=0.3, route="channel", via=False)
    started = time.monotonic()
    ids = await DiscordBotSender(client, min_interval=0).send(CHANNEL, make_digest((story(1),)))
    assert time.monotonic() - started >= 0.3
    assert [r.status for r in api.requests_to("channel")] == [429, 200]
    assert ids == [m.id for m in api.channel_messages()] and len(ids) == 1


async def test_bot_429_without_any_wait_is_a_transient_error(
    api: FakeDiscordApi, client: discord.Client
) -> None:
    api.rate_limit_next(1, route="channel", via=False, in_json=False, in_headers=False)
    with pytest.raises(DeliveryError) as caught:
        await DiscordBotSender(client, min_interval=0).send(CHANNEL, make_digest((story(1),)))
    assert not caught.value.permanent and "429" in caught.value.reason
    assert api.channel_messages() == []


# --- spacing ------------------------------------------------------------------------------------


def test_default_spacing_is_the_configured_default() -> None:
    assert Settings().delivery.min_interval_seconds == MIN_INTERVAL


async def test_webhook_messages_are_spaced_per_channel(
    api: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    sender = DiscordWebhookSender(session, api_url=api.api_url, timeout=10, min_interval=0.2)
    await sender.send(HOOK, twenty_story_digest())
    [part] = sender.parts(HOOK, make_digest((story(1),)))
    await sender.send_part(HOOK, part, ref="1:0")  # the next digest keeps the spacing too
    await sender.notify(HOOK, "and a notice")
    requests = api.requests_to("webhook")
    assert len(requests) > 3
    assert min(gaps(requests)) >= 0.2


async def test_another_webhook_is_not_held_back(
    api: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    sender = DiscordWebhookSender(session, api_url=api.api_url, timeout=10, min_interval=5)
    other = Target(name="other", platform="discord", webhook=api.webhook_url(99, "t"))
    started = time.monotonic()
    await sender.notify(HOOK, "one")
    await sender.notify(other, "two")
    assert time.monotonic() - started < 2
    assert len(api.webhook_messages()) == 2


async def test_bot_messages_are_spaced_per_channel(
    api: FakeDiscordApi, client: discord.Client
) -> None:
    await DiscordBotSender(client, min_interval=0.2).send(CHANNEL, twenty_story_digest())
    requests = api.requests_to("channel")
    assert len(requests) > 1
    assert min(gaps(requests)) >= 0.2


async def test_a_spent_rate_limit_bucket_holds_the_next_post(
    api: FakeDiscordApi, webhook_sender: DiscordWebhookSender
) -> None:
    """Discord says ``X-RateLimit-Remaining: 0`` before it would answer 429: wait first."""
    api.spend_bucket_next(1, reset_after=0.6, route="webhook")
    await webhook_sender.send(HOOK, twenty_story_digest())
    requests = api.requests_to("webhook")
    assert [r.status for r in requests] == [200] * len(requests)
    first, *rest = gaps(requests)
    assert first >= 0.6
    assert rest and all(gap < 0.6 for gap in rest)  # only the next post waited
