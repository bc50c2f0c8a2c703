"""Optional protection: a shared token or basic auth, and only on the archive's own routes."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.archive_site import COOKIE, ArchiveAuth
from digests.errors import ConfigError
from tests.bot.archive.conftest import serve

TOKEN = "s3cret-token"


@pytest.fixture
async def guarded(app: App, ids: dict[str, Any]) -> AsyncIterator[str]:
    env = {"ARCHIVE_TOKEN": TOKEN, "ARCHIVE_BASIC_AUTH": "reader:pa:ss"}
    async for url in serve(app, env):
        yield url


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + b64encode(f"{user}:{password}".encode()).decode()}


async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status


async def test_open_by_default(base: str) -> None:
    assert await status_of(f"{base}/") == 200


async def test_refused_without_credentials(guarded: str, ids: dict[str, Any]) -> None:
    for path in ("/", "/digests/security", f"/digests/security/{ids['security'][0]}", "/search"):
        async with aiohttp.ClientSession() as session, session.get(f"{guarded}{path}") as resp:
            assert resp.status == 401, path
            assert resp.headers["WWW-Authenticate"].startswith("Basic ")
            body = await resp.text()
            assert "Sign-in needed" in body and "Security story" not in body
    assert await status_of(f"{guarded}/?token=wrong") == 401
    assert await status_of(f"{guarded}/", {"Authorization": "Bearer wrong"}) == 401
    assert await status_of(f"{guarded}/", basic("reader", "nope")) == 401
    assert await status_of(f"{guarded}/", {"Authorization": "Basic %%%"}) == 401


async def test_token_header_basic_and_cookie(guarded: str) -> None:
    assert await status_of(f"{guarded}/", {"Authorization": f"Bearer {TOKEN}"}) == 200
    assert await status_of(f"{guarded}/", basic("reader", "pa:ss")) == 200
    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{guarded}/?token={TOKEN}") as resp:
            assert resp.status == 200
            cookie = resp.cookies[COOKIE]
            assert cookie.value != TOKEN and cookie["httponly"]
        async with session.get(f"{guarded}/digests/security") as resp:  # a followed link
            assert resp.status == 200


async def test_other_routes_are_left_alone(guarded: str) -> None:
    assert await status_of(f"{guarded}/healthz") == 200
    assert await status_of(f"{guarded}/static/site.css") == 200


def test_bad_basic_auth_setting_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ARCHIVE_BASIC_AUTH: expected user:password"):
        ArchiveAuth.from_env({"ARCHIVE_BASIC_AUTH": "nocolon"})
    auth = ArchiveAuth.from_env({"ARCHIVE_TOKEN": TOKEN})
    assert TOKEN not in repr(auth) and auth.enabled
    assert not ArchiveAuth.from_env({}).enabled
