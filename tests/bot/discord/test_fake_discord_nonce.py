"""The fake Discord API handles message nonces as Discord documents them: integer or string
of at most 25 characters; with ``enforce_nonce``, a nonce the same author used within the
window returns the first message (404 Unknown Message once that one is deleted)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.discord_api import FakeDiscordApi

CHANNEL = "1400000000000000042"
OTHER = "1400000000000000043"


@pytest.fixture
async def api_plain() -> AsyncIterator[FakeDiscordApi]:
    """The fake taking any bot token: each token is another author."""
    async with FakeDiscordApi() as fake:
        yield fake


async def _post(
    session: aiohttp.ClientSession, api: FakeDiscordApi, body: dict[str, Any], *,
    channel: str = CHANNEL, token: str = "t1",
) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{api.api_url}/channels/{channel}/messages", json=body,
                            headers={"Authorization": f"Bot {token}"}) as r:
        return r.status, await r.json()


async def test_enforced_nonce_returns_the_first_message(
    api_plain: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    body = {"content": "part 1", "nonce": "abc", "enforce_nonce": True}
    first = await _post(session, api_plain, body)
    again = await _post(session, api_plain, {**body, "content": "changed"})
    elsewhere = await _post(session, api_plain, body, channel=OTHER)  # same author: deduped
    assert first[0] == again[0] == elsewhere[0] == 200
    assert first[1]["id"] == again[1]["id"] == elsewhere[1]["id"]
    assert again[1]["content"] == "part 1" and again[1]["channel_id"] == CHANNEL
    assert again[1]["nonce"] == "abc"
    assert len(api_plain.messages) == 1


async def test_nonce_without_enforcement_or_from_another_author_creates(
    api_plain: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    await _post(session, api_plain, {"content": "x", "nonce": "n1"})
    await _post(session, api_plain, {"content": "x", "nonce": "n1"})
    await _post(session, api_plain, {"content": "x", "nonce": "n2", "enforce_nonce": True})
    await _post(session, api_plain, {"content": "x", "nonce": "n2", "enforce_nonce": True},
                token="t2")
    assert len(api_plain.messages) == 4


async def test_nonce_is_forgotten_after_the_window(
    api_plain: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    api_plain.nonce_window = 0.0
    body = {"content": "x", "nonce": 7, "enforce_nonce": True}
    await _post(session, api_plain, body)
    await _post(session, api_plain, body)
    assert len(api_plain.messages) == 2


async def test_deleted_message_nonce_answers_unknown_message(
    api_plain: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    body = {"content": "x", "nonce": "gone", "enforce_nonce": True}
    _, created = await _post(session, api_plain, body)
    api_plain.delete_message(created["id"])
    status, answer = await _post(session, api_plain, body)
    assert (status, answer["code"]) == (404, 10008)
    assert api_plain.messages == []


async def test_bad_nonce_is_rejected_and_nothing_is_created(
    api_plain: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    for nonce in ("x" * 26, 1.5, ["a"]):
        status, answer = await _post(session, api_plain, {"content": "x", "nonce": nonce})
        assert (status, answer["code"]) == (400, 50035)
    status, _ = await _post(session, api_plain, {"content": "x", "nonce": "x" * 25})
    assert status == 200
    assert len(api_plain.messages) == 1


async def test_lost_answer_still_creates_and_delay_holds_the_answer(
    api_plain: FakeDiscordApi, session: aiohttp.ClientSession
) -> None:
    api_plain.lose_answer_next(1, status=503, route="channel")
    status, _ = await _post(session, api_plain, {"content": "x"})
    assert status == 503 and len(api_plain.messages) == 1
    api_plain.delay = 2.0
    answer = asyncio.create_task(_post(session, api_plain, {"content": "y"}))
    await api_plain.wait_for(lambda: len(api_plain.messages) == 2)
    assert not answer.done()  # created, not yet answered: the gap a crash can fall into
    status, created = await answer
    assert status == 200 and created["id"] == api_plain.messages[1].id
