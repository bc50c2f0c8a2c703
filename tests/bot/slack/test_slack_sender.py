"""SlackSender against the fake Web API: limits, retries, pacing, error mapping, injection."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from bot.senders import Sender
from bot.senders.slack import SlackSender, make_slack_client
from bot.slack_app import send_reply
from bot.types import Reply, Target
from digests.errors import DeliveryError
from digests.models import Digest, DigestItem, SourceLink
from digests.queries import topic_digest
from tests.bot.slack.conftest import BOT_TOKEN, NOW
from tests.fakes.slack_api import FakeSlackApi, block_kit_problem

TARGET = Target(name="desk", platform="slack", channel_id="C0DESK")


def sender_for(api: FakeSlackApi, min_interval: float = 0.0, **retries: Any) -> SlackSender:
    client = make_slack_client(BOT_TOKEN, base_url=api.api_url, backoff=0.05, **retries)
    return SlackSender(client, min_interval=min_interval)


def big_digest(stories: int = 60, summary_words: int = 120) -> Digest:
    items = tuple(
        DigestItem(
            story_id=i,
            title=f"Story {i}: ports and borders",
            url=f"https://news.example/{i}",
            summary=" ".join(f"word{i}-{w}" for w in range(summary_words)) + ".",
            sources=(SourceLink(f"Story {i}", f"https://news.example/{i}", "Example"),),
            published=NOW - timedelta(minutes=i),
            score=1.0 - i / 1000,
        )
        for i in range(stories)
    )
    return Digest(topic="migration", since=NOW - timedelta(hours=24), until=NOW, items=items)


def test_slack_sender_is_a_sender(api_url: str = "http://127.0.0.1:9/") -> None:
    sender: Sender = SlackSender(make_slack_client(BOT_TOKEN, base_url=api_url))
    assert sender.platform == "slack"  # type: ignore[attr-defined]


async def test_digest_from_the_store_arrives_within_limits(app: App, api: FakeSlackApi) -> None:
    digest = topic_digest(app.store, app.settings, "migration", now=NOW)
    ids = await sender_for(api).send(TARGET, digest)
    assert len(ids) == len(api.messages) == 1
    [message] = api.messages
    assert message["channel"] == "C0DESK"
    assert message["unfurl_links"] is False and message["unfurl_media"] is False
    assert block_kit_problem(message) is None
    assert "Migration" in message["blocks"][0]["text"]["text"]
    assert ids[0].startswith("17")


async def test_long_digest_is_split_and_every_message_is_within_limits(
    api: FakeSlackApi,
) -> None:
    digest = big_digest()
    ids = await sender_for(api).send(TARGET, digest)
    assert len(ids) == len(api.messages) > 1
    assert len(set(ids)) == len(ids)
    seen: list[int] = []
    for message in api.messages:
        assert block_kit_problem(message) is None
        assert len(message["blocks"]) <= 50
        assert len(message["text"]) <= 4000
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
                title = re.match(r"\*<https://news\.example/(\d+)\|", block["text"]["text"])
                if title:
                    seen.append(int(title.group(1)))
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
    assert seen == list(range(60))  # every story once, in order, none cut


async def test_rate_limited_post_is_retried_after_retry_after_and_posted_once(
    api: FakeSlackApi,
) -> None:
    api.rate_limit_next(1, retry_after=1)
    started = time.monotonic()
    ids = await sender_for(api).send(TARGET, big_digest(stories=1, summary_words=10))
    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    assert len(ids) == 1
    assert len(api.messages) == 1
    statuses = [c.status for c in api.calls_to("chat.postMessage")]
    assert statuses == [429, 200]


async def test_server_error_is_retried_and_posted_once(api: FakeSlackApi) -> None:
    api.server_error_next(1, status=500)
    ids = await sender_for(api).send(TARGET, big_digest(stories=1, summary_words=10))
    assert len(ids) == len(api.messages) == 1
    assert [c.status for c in api.calls_to("chat.postMessage")] == [500, 200]


async def test_server_errors_past_the_cap_are_a_temporary_failure(api: FakeSlackApi) -> None:
    api.server_error_next(3, status=503)
    with pytest.raises(DeliveryError) as info:
        await sender_for(api, server_error_retries=2).send(TARGET, big_digest(1, 10))
    assert info.value.permanent is False
    assert len(api.calls_to("chat.postMessage")) == 3
    assert api.messages == []


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "invalid_auth", "is_archived",
              "account_inactive", "token_revoked"],
)
async def test_permanent_errors(api: FakeSlackApi, error: str) -> None:
    api.error_next(error)
    with pytest.raises(DeliveryError) as info:
        await sender_for(api).send(TARGET, big_digest(1, 10))
    assert info.value.permanent is True
    assert info.value.reason == error
    assert len(api.calls_to("chat.postMessage")) == 1  # not retried


async def test_other_errors_are_temporary(api: FakeSlackApi) -> None:
    api.error_next("fatal_error")
    with pytest.raises(DeliveryError) as info:
        await sender_for(api).send(TARGET, big_digest(1, 10))
    assert info.value.permanent is False


async def test_rate_limit_without_retries_left_is_temporary(api: FakeSlackApi) -> None:
    api.rate_limit_next(1, retry_after=0)
    with pytest.raises(DeliveryError) as info:
        await sender_for(api, rate_limit_retries=0).send(TARGET, big_digest(1, 10))
    assert info.value.permanent is False
    assert info.value.reason == "ratelimited"


async def test_unreachable_api_is_temporary() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_slack_client(BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/",
                               connection_retries=0)
    with pytest.raises(DeliveryError) as info:
        await SlackSender(client).send(TARGET, big_digest(1, 10))
    assert info.value.permanent is False
    assert "network error" in info.value.reason


async def test_target_without_channel_id_is_permanent(api: FakeSlackApi) -> None:
    with pytest.raises(DeliveryError) as info:
        await sender_for(api).send(Target(name="x", platform="slack"), big_digest(1, 10))
    assert info.value.permanent is True
    assert api.calls == []


async def test_posts_to_one_channel_are_paced(api: FakeSlackApi) -> None:
    sender = sender_for(api, min_interval=0.3)
    await sender.send(TARGET, big_digest(1, 10))
    await sender.send(TARGET, big_digest(1, 10))
    await sender.send(Target(name="other", platform="slack", channel_id="C0OTHER"),
                      big_digest(1, 10))
    first, second, other = api.calls_to("chat.postMessage")
    assert second.at - first.at >= 0.29
    assert other.at - second.at < 0.29  # another channel does not wait


async def test_injection_in_article_text_pings_no_one(app: App, api: FakeSlackApi) -> None:
    digest = topic_digest(app.store, app.settings, "migration", now=NOW)
    assert any("<!channel>" in item.title for item in digest.items)  # the hostile article
    await sender_for(api).send(TARGET, digest)
    posted = json.dumps(api.messages, ensure_ascii=False)
    for marker in ("<!channel", "<!here", "<@U123", "<http://evil", "<@"):
        assert marker not in posted
    assert all(m.startswith("<!date^") for m in re.findall(r"<![^>]*", posted))
    assert "&lt;!channel&gt;" in posted and "&lt;@U123&gt;" in posted


async def test_notify_posts_plain_escaped_text(api: FakeSlackApi) -> None:
    ts = await sender_for(api).notify(TARGET, "Feed https://x.example/a_b failing <!channel>")
    [message] = api.messages
    assert ts.startswith("17")
    assert message["mrkdwn"] is False
    assert message["text"] == "Feed https://x.example/a_b failing &lt;!channel&gt;"


async def test_digest_longer_than_five_followups_goes_through_chat_post(
    api: FakeSlackApi,
) -> None:
    digest = big_digest()
    responded: list[dict[str, Any]] = []

    async def respond(**payload: Any) -> None:
        responded.append(payload)

    reply = Reply(text="migration", ephemeral=False, digest=digest)
    await send_reply(reply, respond, sender=sender_for(api), channel_id="C0TEST", pause=0)
    assert len(api.messages) > 5
    assert {m["channel"] for m in api.messages} == {"C0TEST"}
    assert responded == []


async def test_long_digest_in_a_channel_without_the_bot_tells_the_asker(
    api: FakeSlackApi,
) -> None:
    api.error_next("not_in_channel")
    responded: list[dict[str, Any]] = []

    async def respond(**payload: Any) -> None:
        responded.append(payload)

    reply = Reply(text="migration", ephemeral=False, digest=big_digest())
    await send_reply(reply, respond, sender=sender_for(api), channel_id="C0TEST", pause=0)
    [notice] = responded
    assert notice["response_type"] == "ephemeral"
    assert "Invite the bot" in notice["text"]
