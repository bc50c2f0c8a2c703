"""A fake Slack Web API for tests: a real aiohttp server on 127.0.0.1, a free port.

Point ``SLACK_API_URL`` (or ``AsyncWebClient(base_url=...)``) at ``api.api_url`` and the code
under test talks HTTP to it exactly as to Slack. It records every call, answers ``auth.test``
(Bolt calls it on the first request), ``chat.postMessage``, ``chat.postEphemeral``,
``conversations.info`` and ``conversations.history`` (the messages posted to the channel, newest
first, with their ``metadata`` when ``include_all_metadata`` is set), and receives
``response_url`` follow-ups at ``api.response_url(key)``.

Builder methods queue faults for the next N calls of a method::

    async with FakeSlackApi() as api:                 # in an async test
        api.rate_limit_next(1, retry_after=1)         # 429 + Retry-After, then normal answers
        api.server_error_next(1)                      # HTTP 500
        api.error_next("channel_not_found")           # HTTP 200 {"ok": false, "error": ...}
        ...
        assert len(api.messages) == 1

    with FakeSlackApi().running_in_thread() as api:   # in a sync test (the CLI runs its own loop)
        ...

``chat.postMessage`` checks Block Kit limits as Slack would reject them (more than 50 blocks,
a header over 150 characters, a section text over 3000) and, stricter than Slack, a ``text``
over 4000 characters: such a post gets ``invalid_blocks`` / ``msg_too_long`` and is not stored.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes._server import FakeServer

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 4000


@dataclass(frozen=True)
class ApiCall:
    """One Web API request as the fake saw it and what it answered."""

    method: str
    params: dict[str, Any]  # JSON body, form fields and query merged
    token: str | None
    status: int
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)


@dataclass(frozen=True)
class ResponseCall:
    """One POST to a ``response_url`` (a slash-command follow-up)."""

    key: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    method: str
    status: int
    error: str | None = None
    retry_after: int | None = None
    after: int = 0  # matching calls to let through first


@dataclass
class FakeSlackApi(FakeServer):
    """The fake server; see the module docstring. ``token``: when set, other tokens get
    ``invalid_auth``."""

    label: ClassVar[str] = "fake Slack API"

    token: str | None = None
    team_id: str = "T0001"
    bot_user_id: str = "UBOT001"
    bot_id: str = "BBOT001"
    calls: list[ApiCall] = field(default_factory=list)
    responses: list[ResponseCall] = field(default_factory=list)
    _faults: deque[_Fault] = field(default_factory=deque)
    _posted: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # --- builder -----------------------------------------------------------------------------

    def rate_limit_next(
        self, n: int = 1, *, retry_after: int = 1, method: str = "chat.postMessage"
    ) -> FakeSlackApi:
        """The next ``n`` calls of ``method`` get HTTP 429 with ``Retry-After``."""
        for _ in range(n):
            self._faults.append(_Fault(method, 429, "ratelimited", retry_after))
        return self

    def server_error_next(
        self, n: int = 1, *, status: int = 500, method: str = "chat.postMessage"
    ) -> FakeSlackApi:
        """The next ``n`` calls of ``method`` get an HTTP 5xx."""
        for _ in range(n):
            self._faults.append(_Fault(method, status, "internal_error"))
        return self

    def error_next(
        self, error: str, n: int = 1, *, method: str = "chat.postMessage", after: int = 0
    ) -> FakeSlackApi:
        """The next ``n`` calls of ``method`` (after ``after`` that succeed) get HTTP 200
        ``{"ok": false, "error": error}``."""
        for _ in range(n):
            self._faults.append(_Fault(method, 200, error, after=after))
        return self

    # --- routes (the lifecycle is FakeServer's) ----------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)

    # --- addresses and records -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL`` (ends with a slash, like slack_sdk's default)."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "1") -> str:
        """A ``response_url`` for a slash-command request; follow-ups land in ``responses``."""
        return f"{self.base_url}/respond/{key}"

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Parameters of every ``chat.postMessage`` that succeeded, in order."""
        return [c.params for c in self.calls_to("chat.postMessage") if c.error is None]

    def responses_to(self, key: str) -> list[dict[str, Any]]:
        return [r.payload for r in self.responses if r.key == key]

    # --- handlers ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or params.get("token") or None
        fault = self._take_fault(method)
        if fault is not None:
            return self._answer(method, params, token, fault.status, fault.error,
                                retry_after=fault.retry_after)
        if token is None:
            return self._answer(method, params, token, 200, "not_authed")
        if self.token is not None and token != self.token:
            return self._answer(method, params, token, 200, "invalid_auth")
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.info": self._conversation_info,
            "conversations.history": self._history,
        }.get(method)
        if handler is None:
            return self._answer(method, params, token, 200, "unknown_method")
        error, body = handler(params)
        return self._answer(method, params, token, 200, error, body=body)

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(ResponseCall(request.match_info["key"], await _params(request)))
        return web.Response(text="ok")

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method:
                if fault.after > 0:
                    fault.after -= 1
                    return None
                self._faults.remove(fault)
                return fault
        return None

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        token: str | None,
        status: int,
        error: str | None,
        *,
        body: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> web.Response:
        self.calls.append(ApiCall(method, params, token, status, error))
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        payload = {"ok": False, "error": error} if error else {"ok": True, **(body or {})}
        return web.json_response(payload, status=status, headers=headers)

    def _auth_test(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return None, {
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "digestbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _post_message(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        channel = params.get("channel")
        if not channel:
            return "channel_not_found", {}
        problem = block_kit_problem(params)
        if problem is not None:
            return problem, {}
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        self._posted.append((str(channel), ts, params))
        return None, {"channel": channel, "ts": ts, "message": {"text": params.get("text")}}

    def _history(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """Messages posted here, newest first, ``oldest``/``limit`` honoured, one page."""
        channel = params.get("channel")
        if not channel:
            return "channel_not_found", {}
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        found = []
        for posted_channel, ts, message in reversed(self._posted):
            if posted_channel != channel or float(ts) < oldest:
                continue
            item: dict[str, Any] = {"type": "message", "ts": ts, "text": message.get("text")}
            if with_metadata and message.get("metadata"):
                item["metadata"] = message["metadata"]
            found.append(item)
        return None, {"messages": found[:limit], "has_more": len(found) > limit,
                      "response_metadata": {"next_cursor": ""}}

    def _post_ephemeral(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        if not params.get("channel") or not params.get("user"):
            return "channel_not_found", {}
        return None, {"message_ts": f"{1_700_000_000 + next(self._ts)}.000200"}

    def _conversation_info(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        channel = params.get("channel")
        if not channel:
            return "channel_not_found", {}
        return None, {"channel": {"id": channel, "name": f"chan-{channel.lower()}",
                                  "is_member": True, "is_archived": False}}


def block_kit_problem(params: dict[str, Any]) -> str | None:
    """The error Slack would give for a message over Block Kit limits, or None."""
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(str(params.get("text") or "")) > MAX_TEXT:
        return "msg_too_long"
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "header" and len(text) > MAX_HEADER:
            return "invalid_blocks"
        if kind == "section" and len(text) > MAX_SECTION:
            return "invalid_blocks"
    return None


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON body, form body and query string of a request, merged."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(dict(await request.post()))
    return params
