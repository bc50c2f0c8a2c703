"""SlackSender as a part sender: each part tagged in its metadata and found again in history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery import PartSender, VerifyingSender
from bot.senders.slack import EVENT_TYPE, SlackSender, make_slack_client
from bot.types import Target
from digests.errors import DeliveryError
from tests.bot.slack.conftest import BOT_TOKEN
from tests.fakes.slack_api import FakeSlackApi

TARGET = Target(name="desk", platform="slack", channel_id="C0DESK")
SINCE = datetime(2023, 11, 14, tzinfo=UTC)  # the fake API's ts start at 1700000001 (that day)


def sender_for(api: FakeSlackApi) -> SlackSender:
    return SlackSender(make_slack_client(BOT_TOKEN, base_url=api.api_url, backoff=0.05),
                       min_interval=0.0)


def test_slack_sender_resumes_part_by_part() -> None:
    sender = SlackSender(make_slack_client(BOT_TOKEN, base_url="http://127.0.0.1:9/api/"))
    assert isinstance(sender, PartSender) and isinstance(sender, VerifyingSender)


async def test_a_sent_part_is_tagged_and_found_again(api: FakeSlackApi) -> None:
    sender = sender_for(api)
    first = await sender.send_part(TARGET, {"text": "part one"}, ref="7:0")
    second = await sender.send_part(TARGET, {"text": "part two"}, ref="7:1")
    assert [m["metadata"] for m in api.messages] == [
        {"event_type": EVENT_TYPE, "event_payload": {"ref": "7:0"}},
        {"event_type": EVENT_TYPE, "event_payload": {"ref": "7:1"}},
    ]
    assert await sender.find_part(TARGET, "7:1", since=SINCE) == second
    assert await sender.find_part(TARGET, "7:0", since=SINCE) == first
    assert await sender.find_part(TARGET, "8:0", since=SINCE) is None
    assert await sender.find_part(TARGET, "7:0", since=datetime.now(UTC)) is None  # older


async def test_unreadable_history_is_a_delivery_error(api: FakeSlackApi) -> None:
    api.error_next("missing_scope", method="conversations.history")
    with pytest.raises(DeliveryError, match="cannot read history"):
        await sender_for(api).find_part(TARGET, "7:0", since=datetime.now(UTC))
