"""A fake of Discord's HTTP API for tests: a real aiohttp server on 127.0.0.1, a free port.

Point discord.py at it (``discord.http.Route.BASE = api.api_url``, or ``DISCORD_API_URL``) and
the code under test talks HTTP to it exactly as to Discord. It answers JSON with
``Content-Type: application/json`` and nothing after it (discord.py decodes nothing else; set
``json_content_type`` to answer as a server that is not Discord byte for byte would, e.g.
``"application/json; charset=utf-8"`` like aiohttp's ``web.json_response``), and:

- ``GET /users/@me``, ``GET /oauth2/applications/@me``: the bot user and its application
  (what ``Client.login`` / ``http.static_login`` ask for);
- ``POST /webhooks/{id}/{token}``: a webhook execution (a message object with ``?wait=true``,
  else 204); with ``id == api.application_id`` it is an interaction follow-up;
- ``POST /channels/{id}/messages``: a bot message (needs ``Authorization: Bot <token>``);
- ``POST /interactions/{id}/{token}/callback``: an interaction response (defer, message,
  autocomplete choices), recorded in ``callbacks``;
- ``PATCH``/``DELETE /webhooks/{app}/{token}/messages/@original``: edit/delete the original
  interaction response;
- ``PUT /applications/{app}/commands`` and ``.../guilds/{guild}/commands``: command sync,
  recorded in ``syncs``.

Every message posted is checked against Discord's limits (``message_problems``): a message
over them gets 400 "Invalid Form Body" (code 50035) and is not stored, as Discord would.

Nonces, as Discord handles them on ``POST /channels/{id}/messages``: a ``nonce`` is an integer
or a string of at most 25 characters (else 400, code 50035). With ``enforce_nonce: true``, a
nonce the same author (the bot token) used within ``nonce_window`` seconds -- in any channel --
creates nothing: the answer is the message created for it the first time, or 404 "Unknown
Message" (code 10008) if that message has been deleted since (``delete_message``). Webhook
executions take no nonce.

Builder methods queue faults for the next N matching requests (``route`` is ``"webhook"``,
``"channel"``, ``"callback"``, ``"followup"``, ``"sync"`` or ``"any"``)::

    async with FakeDiscordApi() as api:                  # in an async test
        api.rate_limit_next(1, retry_after=0.05)         # 429 + retry_after (with a Via header)
        api.rate_limit_next(1, via=False, in_headers=False)  # retry_after in the JSON body only
        api.error_next(404, code=10015, message="Unknown Webhook")
        api.lose_answer_next(1, status=500)              # message created, answer lost
        api.unreadable_answer_next(1, body="ok")         # message created, 200 "ok" (text/plain)
        api.spend_bucket_next(1, reset_after=0.3)        # answered as usual, bucket now empty
        api.delay = 1.0                                  # answer 1 s after creating
        ...
        assert len(api.messages) == 1

    with FakeDiscordApi().running_in_thread() as api:    # in a sync test (its own event loop)
        ...

``api.webhook_url(id, token)`` is a webhook URL as Discord shows it (on discord.com; the code
under test re-bases it onto ``DISCORD_API_URL``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from aiohttp import web

from tests.fakes._server import FakeServer

API_PREFIX = "/api/v10"
EPHEMERAL = 64  # message flag
MAX_NONCE = 25  # characters of a string nonce
UNKNOWN_MESSAGE = 10008
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR = 256

RouteKind = Literal["webhook", "followup", "channel", "callback", "original", "sync", "user",
                    "application", "unknown"]
FaultRoute = Literal["webhook", "followup", "channel", "callback", "sync", "any"]


@dataclass(frozen=True)
class Request:
    """One request as the fake saw it, and the status it answered."""

    method: str
    path: str  # without the /api/v10 prefix
    route: RouteKind
    query: dict[str, str]
    body: Any  # the decoded JSON body, or None
    authorization: str | None
    status: int
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Message:
    """A message the fake created: by webhook, interaction follow-up or bot."""

    id: str
    route: Literal["webhook", "followup", "channel"]
    target: str  # webhook id, interaction token or channel id
    payload: dict[str, Any]  # the JSON body as sent
    author: str = ""  # the bot token's Authorization header, or the webhook id

    @property
    def nonce(self) -> str | None:
        nonce = self.payload.get("nonce")
        return None if nonce is None else str(nonce)

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)


@dataclass
class _Fault:
    route: FaultRoute
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    after: int = 0  # let this many matching requests through first
    created: bool = False  # create the message anyway, then answer with the fault
    raw: bytes | None = None  # answer this body (with ``content_type``) instead of JSON
    # status 0 (with ``created``): the usual answer, plus ``headers``
    content_type: str = ""


@dataclass
class FakeDiscordApi(FakeServer):
    """The fake server; see the module docstring. ``bot_token``: when set, bot routes with
    another token get 401. ``delay``: seconds a message-creating request waits *after* the
    message is stored before it is answered (a client killed in that gap has had its message
    created without learning its id). ``nonce_window``: seconds a nonce is remembered.
    ``json_content_type``: the Content-Type of every JSON answer."""

    label: ClassVar[str] = "fake Discord API"

    bot_token: str | None = None
    application_id: int = 1100000000000000001
    bot_user_id: int = 1100000000000000002
    delay: float = 0.0
    nonce_window: float = 300.0
    json_content_type: str = "application/json"
    requests: list[Request] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    deleted: list[Message] = field(default_factory=list)
    _faults: deque[_Fault] = field(default_factory=deque)
    _nonces: dict[tuple[str, str], tuple[Message, float]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1200000000000000001))

    # --- builder -------------------------------------------------------------------------------

    def rate_limit_next(
        self,
        n: int = 1,
        *,
        retry_after: float = 0.05,
        route: FaultRoute = "any",
        is_global: bool = False,
        via: bool = True,
        in_json: bool = True,
        in_headers: bool = True,
        after: int = 0,
    ) -> FakeDiscordApi:
        """The next ``n`` matching requests (after ``after`` normal ones) get 429 with
        ``retry_after`` in JSON and headers. ``via=False`` leaves out the ``Via`` header:
        discord.py then takes it as a Cloudflare ban and does not retry. ``in_json=False``
        leaves ``retry_after`` out of the body, ``in_headers=False`` leaves out
        ``Retry-After`` (whole seconds, at least 1) and the ``X-RateLimit-*`` headers."""
        headers: dict[str, str] = {}
        if in_headers:
            headers.update({
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(retry_after),
                "X-RateLimit-Bucket": "fakebucket",
                "X-RateLimit-Scope": "shared" if not is_global else "global",
            })
            if is_global:
                headers["X-RateLimit-Global"] = "true"
        if via:
            headers["Via"] = "1.1 google"
        body: dict[str, Any] = {"message": "You are being rate limited.", "global": is_global,
                                "code": 0}
        if in_json:
            body["retry_after"] = retry_after
        for _ in range(n):
            self._faults.append(_Fault(route, 429, body, headers, after))
        return self

    def error_next(
        self,
        status: int,
        *,
        code: int = 0,
        message: str | None = None,
        n: int = 1,
        route: FaultRoute = "any",
        after: int = 0,
    ) -> FakeDiscordApi:
        """The next ``n`` matching requests (after ``after`` normal ones) get ``status`` with
        Discord's error JSON, e.g. ``error_next(404, code=10015, message="Unknown Webhook")``."""
        body = {"message": message or f"{status}: error", "code": code}
        for _ in range(n):
            self._faults.append(_Fault(route, status, body, {}, after))
        return self

    def lose_answer_next(
        self, n: int = 1, *, status: int = 500, route: FaultRoute = "any", after: int = 0
    ) -> FakeDiscordApi:
        """The next ``n`` matching message posts (after ``after`` normal ones) create their
        message but are answered ``status``: a response lost after Discord acted on it."""
        body = {"message": f"{status}: Internal Server Error", "code": 0}
        for _ in range(n):
            self._faults.append(_Fault(route, status, body, {}, after, created=True))
        return self

    def unreadable_answer_next(
        self,
        n: int = 1,
        *,
        body: str = "ok",
        content_type: str = "text/plain",
        status: int = 200,
        route: FaultRoute = "any",
        after: int = 0,
    ) -> FakeDiscordApi:
        """The next ``n`` matching message posts (after ``after`` normal ones) create their
        message but are answered ``status`` with ``body`` as ``content_type``: a success
        that does not describe the message (no JSON, or JSON without an ``id``)."""
        for _ in range(n):
            self._faults.append(_Fault(route, status, {}, {}, after, created=True,
                                       raw=body.encode(), content_type=content_type))
        return self

    def spend_bucket_next(
        self, n: int = 1, *, reset_after: float = 0.3, route: FaultRoute = "any", after: int = 0
    ) -> FakeDiscordApi:
        """The next ``n`` matching message posts (after ``after`` normal ones) are answered as
        usual, saying the rate-limit bucket is spent: ``X-RateLimit-Remaining: 0`` and
        ``X-RateLimit-Reset-After: reset_after`` (what Discord says before it would 429)."""
        headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset-After": str(reset_after),
                   "X-RateLimit-Bucket": "fakebucket"}
        for _ in range(n):
            self._faults.append(_Fault(route, 0, {}, headers, after, created=True))
        return self

    def delete_message(self, message_id: str) -> Message:
        """Delete a message (as a moderator would); its nonce still answers 404 10008."""
        [message] = [m for m in self.messages if m.id == message_id]
        self.messages.remove(message)
        self.deleted.append(message)
        return message

    # --- routes (the lifecycle is FakeServer's) ----------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", API_PREFIX + "/{path:.*}", self._handle)

    # --- addresses and records -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The value for ``DISCORD_API_URL`` / ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @staticmethod
    def webhook_url(webhook_id: int = 1300000000000000001, token: str = "hook-token") -> str:
        """A webhook URL as Discord shows it; the sender re-bases it onto ``api_url``."""
        return f"https://discord.com/api/webhooks/{webhook_id}/{token}"

    def requests_to(self, route: RouteKind) -> list[Request]:
        return [r for r in self.requests if r.route == route]

    def webhook_messages(self, webhook_id: int | str | None = None) -> list[Message]:
        return [m for m in self.messages if m.route == "webhook"
                and (webhook_id is None or m.target == str(webhook_id))]

    def channel_messages(self, channel_id: int | str | None = None) -> list[Message]:
        return [m for m in self.messages if m.route == "channel"
                and (channel_id is None or m.target == str(channel_id))]

    def followups(self, token: str | None = None) -> list[Message]:
        """Interaction follow-ups (``POST /webhooks/{application id}/{token}``), in order."""
        return [m for m in self.messages if m.route == "followup"
                and (token is None or m.target == token)]

    def callbacks(self, token: str | None = None) -> list[dict[str, Any]]:
        """Bodies of interaction responses (``{"type": 5, "data": {"flags": 64}}`` ...)."""
        return [r.body for r in self.requests_to("callback") if r.status < 300
                and (token is None or r.path.strip("/").split("/")[2] == token)]

    @property
    def syncs(self) -> list[Request]:
        """Command syncs that succeeded (``PUT .../commands``)."""
        return [r for r in self.requests_to("sync") if r.status < 300]

    # --- handlers ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        route = self._route_of(request.method, path)
        body: Any = None
        if request.can_read_body and request.content_type == "application/json":
            body = await request.json()
        auth = request.headers.get("Authorization")
        fault = self._take_fault(route)
        if fault is not None and not fault.created:
            return self._answer(request, path, route, body, fault.status, fault.body,
                                fault.headers)
        if route in ("channel", "sync", "user", "application") and not self._authorized(auth):
            return self._answer(request, path, route, body, 401,
                                {"message": "401: Unauthorized", "code": 0})
        status, answer = self._dispatch(request, path, route, body)
        if self.delay and route in ("webhook", "followup", "channel"):
            await asyncio.sleep(self.delay)
        if fault is not None and fault.status == 0:  # the usual answer, with more headers
            return self._answer(request, path, route, body, status, answer, fault.headers)
        if fault is not None:  # created: the message exists, the answer says otherwise
            return self._answer(request, path, route, body, fault.status, fault.body,
                                fault.headers, raw=fault.raw, content_type=fault.content_type)
        return self._answer(request, path, route, body, status, answer)

    def _route_of(self, method: str, path: str) -> RouteKind:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return "user"
        if method == "GET" and path == "/oauth2/applications/@me":
            return "application"
        if parts[0] == "webhooks" and len(parts) == 3 and method == "POST":
            return "followup" if parts[1] == str(self.application_id) else "webhook"
        if parts[0] == "webhooks" and parts[-2:] == ["messages", "@original"]:
            return "original"
        if parts[0] == "channels" and parts[2:] == ["messages"] and method == "POST":
            return "channel"
        if parts[0] == "interactions" and parts[-1] == "callback" and method == "POST":
            return "callback"
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            return "sync"
        return "unknown"

    def _authorized(self, auth: str | None) -> bool:
        if not auth or not auth.startswith("Bot "):
            return False
        return self.bot_token is None or auth == f"Bot {self.bot_token}"

    def _take_fault(self, route: RouteKind) -> _Fault | None:
        if route in ("user", "application"):
            return None
        for fault in self._faults:
            if fault.route in ("any", route):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                self._faults.remove(fault)
                return fault
        return None

    def _dispatch(
        self, request: web.Request, path: str, route: RouteKind, body: Any
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        match route:
            case "user":
                return 200, self._user()
            case "application":
                return 200, self._application()
            case "webhook" | "followup" | "channel":
                return self._create_message(request, route, parts, body)
            case "original":
                if request.method == "DELETE":
                    return 204, None
                return 200, self._message_object("1400000000000000001", body or {},
                                                 webhook_id=parts[1])
            case "callback":
                return self._callback(request, parts, body)
            case "sync":
                return 200, self._sync(parts, body)
            case _:
                return 404, {"message": "404: Not Found", "code": 0}

    def _create_message(
        self, request: web.Request, route: RouteKind, parts: list[str], body: Any
    ) -> tuple[int, Any]:
        payload = body if isinstance(body, dict) else {}
        problems = message_problems(payload)
        nonce_problem = _nonce_problem(payload.get("nonce"))
        if route == "channel" and nonce_problem:
            problems.append(nonce_problem)
        if problems:
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}
        target = parts[2] if route == "followup" else parts[1]
        author = request.headers.get("Authorization", "") if route == "channel" else target
        key: tuple[str, str] | None = None
        if route == "channel" and payload.get("nonce") is not None:
            key = (author, str(payload["nonce"]))
        if key is not None and payload.get("enforce_nonce") is True:
            earlier = self._nonces.get(key)
            if earlier is not None and time.monotonic() - earlier[1] <= self.nonce_window:
                return self._existing(earlier[0])
        message_id = str(next(self._ids))
        message = Message(message_id, route, target, payload, author)  # type: ignore[arg-type]
        self.messages.append(message)
        if key is not None:
            self._nonces[key] = (message, time.monotonic())
        if route == "webhook" and request.query.get("wait", "").lower() not in ("1", "true"):
            return 204, None
        return 200, self._created(message)

    def _existing(self, message: Message) -> tuple[int, Any]:
        """Discord's answer to a repeated enforced nonce: the first message, or 404 if gone."""
        if message in self.deleted:
            return 404, {"message": "Unknown Message", "code": UNKNOWN_MESSAGE}
        return 200, self._created(message)

    def _created(self, message: Message) -> dict[str, Any]:
        channel = message.target if message.route == "channel" else "1400000000000000001"
        webhook_id = {"channel": None, "followup": str(self.application_id)}.get(
            message.route, message.target)
        answer = self._message_object(channel, message.payload, webhook_id=webhook_id,
                                      message_id=message.id)
        if message.nonce is not None:
            answer["nonce"] = message.payload["nonce"]
        return answer

    def _callback(self, request: web.Request, parts: list[str], body: Any) -> tuple[int, Any]:
        if request.query.get("with_response") not in ("1", "true"):
            return 204, None
        kind = int((body or {}).get("type", 0))
        flags = int(((body or {}).get("data") or {}).get("flags") or 0)
        interaction = {
            "id": parts[1],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        return 200, {"interaction": interaction, "resource": {"type": kind}}

    def _sync(self, parts: list[str], body: Any) -> list[dict[str, Any]]:
        guild = parts[3] if len(parts) == 5 else None
        synced = []
        for command in body if isinstance(body, list) else []:
            synced.append({**command, "id": str(next(self._ids)),
                           "application_id": str(self.application_id), "version": "1",
                           **({"guild_id": guild} if guild else {})})
        return synced

    def _answer(
        self,
        request: web.Request,
        path: str,
        route: RouteKind,
        body: Any,
        status: int,
        answer: Any,
        headers: dict[str, str] | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = "",
    ) -> web.Response:
        self.requests.append(Request(request.method, path, route, dict(request.query), body,
                                     request.headers.get("Authorization"), status))
        if raw is not None:
            return web.Response(status=status, body=raw,
                                headers={**(headers or {}), "Content-Type": content_type})
        if status == 204:
            return web.Response(status=204, headers=headers)
        # By default exactly "application/json": discord.py decodes nothing else (no
        # "; charset="); ``json_content_type`` answers as other servers do.
        return web.Response(status=status, body=json.dumps(answer).encode(),
                            headers={**(headers or {}), "Content-Type": self.json_content_type})

    # --- payloads ------------------------------------------------------------------------------

    def _user(self) -> dict[str, Any]:
        return {"id": str(self.bot_user_id), "username": "digestbot", "discriminator": "0",
                "global_name": None, "avatar": None, "bot": True, "flags": 0,
                "mfa_enabled": False, "verified": True}

    def _application(self) -> dict[str, Any]:
        owner = {"id": "1100000000000000009", "username": "owner", "discriminator": "0",
                 "avatar": None}
        return {"id": str(self.application_id), "name": "digestbot", "description": "",
                "icon": None, "bot_public": False, "bot_require_code_grant": False,
                "owner": owner, "verify_key": "0" * 64, "flags": 0, "team": None}

    def _message_object(
        self,
        channel_id: str,
        payload: dict[str, Any],
        *,
        webhook_id: str | None = None,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        author = {"id": webhook_id or str(self.bot_user_id), "username": "digestbot",
                  "discriminator": "0000" if webhook_id else "0", "avatar": None, "bot": True}
        message: dict[str, Any] = {
            "id": message_id or str(next(self._ids)),
            "type": 0,
            "channel_id": channel_id,
            "author": author,
            "content": payload.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": [],
            "pinned": False,
            "flags": int(payload.get("flags") or 0),
        }
        if webhook_id:
            message["webhook_id"] = webhook_id
        return message


_PART_OF = re.compile(r"\((\d+)/(\d+)\)")


def part_numbers(messages: list[Message]) -> list[int]:
    """Each digest message's part number, from the "(k/n)" its first line carries."""
    numbers = []
    for m in messages:
        match = _PART_OF.search(m.content.splitlines()[0])
        assert match, m.content[:200]
        numbers.append(int(match.group(1)))
    return numbers


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward the 6000 per message (UTF-16 code units, as Discord)."""
    parts = [embed.get("title") or "", embed.get("description") or "",
             (embed.get("footer") or {}).get("text") or "",
             (embed.get("author") or {}).get("name") or ""]
    for f in embed.get("fields") or []:
        parts += [f.get("name") or "", f.get("value") or ""]
    return sum(_size(p) for p in parts)


def message_problems(payload: dict[str, Any]) -> list[str]:
    """Every way ``payload`` breaks Discord's message and embed limits (empty: it is fine)."""
    problems: list[str] = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if _size(content) > MAX_CONTENT:
        problems.append(f"content: {_size(content)} > {MAX_CONTENT}")
    if len(embeds) > MAX_EMBEDS:
        problems.append(f"embeds: {len(embeds)} > {MAX_EMBEDS}")
    if not content and not embeds:
        problems.append("message: empty (no content and no embeds)")
    total = 0
    for i, embed in enumerate(embeds):
        total += embed_size(embed)
        checks = [
            ("title", embed.get("title") or "", MAX_TITLE),
            ("description", embed.get("description") or "", MAX_DESCRIPTION),
            ("footer.text", (embed.get("footer") or {}).get("text") or "", MAX_FOOTER),
            ("author.name", (embed.get("author") or {}).get("name") or "", MAX_AUTHOR),
        ]
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            problems.append(f"embeds[{i}].fields: {len(fields)} > {MAX_FIELDS}")
        for j, f in enumerate(fields):
            checks.append((f"fields[{j}].name", f.get("name") or "", MAX_FIELD_NAME))
            checks.append((f"fields[{j}].value", f.get("value") or "", MAX_FIELD_VALUE))
            if not f.get("name") or not f.get("value"):
                problems.append(f"embeds[{i}].fields[{j}]: name and value are required")
        for name, text, limit in checks:
            if _size(text) > limit:
                problems.append(f"embeds[{i}].{name}: {_size(text)} > {limit}")
    if total > MAX_EMBED_TOTAL:
        problems.append(f"embeds: {total} characters > {MAX_EMBED_TOTAL}")
    return problems


def _nonce_problem(nonce: Any) -> str | None:
    """Discord takes an integer or a string of at most 25 characters as a nonce."""
    if nonce is None or (isinstance(nonce, int) and not isinstance(nonce, bool)):
        return None
    if isinstance(nonce, str) and len(nonce) <= MAX_NONCE:
        return None
    return f"nonce: must be an integer or a string of at most {MAX_NONCE} characters"


def _size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
