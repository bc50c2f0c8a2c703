"""The reusable fake Slack Web API itself: thread mode for sync tests, per-method faults."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlackApi


def test_thread_mode_serves_a_sync_client_and_queues_faults_per_method() -> None:
    with FakeSlackApi(token="xoxb-1").running_in_thread() as api:
        api.error_next("channel_not_found").rate_limit_next(1, method="auth.test")
        client = WebClient(token="xoxb-1", base_url=api.api_url)
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C1", text="first")
        assert info.value.response["error"] == "channel_not_found"
        assert client.chat_postMessage(channel="C1", text="second")["ts"]
        with pytest.raises(SlackApiError):
            client.auth_test()  # the 429 queued for auth.test (no retry handler here)
        assert client.auth_test()["user_id"] == api.bot_user_id
        assert client.conversations_info(channel="C9")["channel"]["id"] == "C9"
        with pytest.raises(SlackApiError) as info:
            WebClient(token="xoxb-wrong", base_url=api.api_url).auth_test()
        assert info.value.response["error"] == "invalid_auth"
        too_many = [{"type": "divider"}] * 51
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C1", text="x", blocks=too_many)
        assert info.value.response["error"] == "invalid_blocks"
        meta = {"event_type": "digestbot_delivery", "event_payload": {"ref": "7:0"}}
        client.chat_postMessage(channel="C1", text="tagged", metadata=meta)
        client.chat_postMessage(channel="C2", text="elsewhere")
        history = client.conversations_history(channel="C1", include_all_metadata=True)
        assert [m["text"] for m in history["messages"]] == ["tagged", "second"]
        assert history["messages"][0]["metadata"] == meta
    assert [m["text"] for m in api.messages] == ["second", "tagged", "elsewhere"]
    assert [c.status for c in api.calls_to("auth.test")] == [429, 200, 200]
