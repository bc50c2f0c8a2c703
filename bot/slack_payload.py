"""The shape of a signed Slack request, checked before Bolt sees it.

Bolt trusts the nested types of a payload: a ``user`` that is a string, ``actions`` that is not
a list or is empty, a ``view`` or ``event`` that is not an object makes its middleware or its
"unhandled request" warning raise, and the request gets a 500 with a traceback in the log. A
signature proves who sent a request, not that it is well formed, so ``POST /slack/events``
(``bot.slack_app.add_slack_routes``) asks ``check_payload`` first.

The app serves slash commands only (``config/slack-app-manifest.yaml`` declares no
interactivity and no events), plus the two requests Slack sends to any request URL
(``url_verification``, ``ssl_check``). Only those go on to Bolt, and only as Slack sends them: a
flat form of strings. Anything else is answered here: 400 when its envelope is malformed, 404
("unhandled request", as Bolt would answer) when it is well formed. A listener added for another
kind of request must be let through in ``check_payload`` too, with the shape its code relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# A slash command as Slack sends it: the fields the handlers read, all non-empty strings.
_COMMAND_FIELDS = ("command", "user_id", "channel_id", "response_url")
# Fields Bolt reads as objects or lists when a body has a ``type``; a slash command has none
# of them, and in a flat form they would be strings where Bolt expects containers.
_OTHER_KINDS = ("type", "view", "event", "actions", "payload")
# Envelope fields of other payloads (interactivity, Events API) and the type they must have.
_OBJECTS = ("user", "container", "view", "message", "event", "function", "state")
_OBJECTS_OR_NULL = ("team", "enterprise", "channel")
_LISTS = ("actions", "authorizations")
_STRINGS = ("type", "api_app_id", "token", "trigger_id", "response_url", "callback_id",
            "action_id", "block_id", "team_id", "enterprise_id")


@dataclass(frozen=True)
class Verdict:
    """What the edge does with a signed request: ``forward`` it to Bolt, refuse it as
    ``malformed`` (400) or as ``unhandled`` (404, a well-formed kind the app does not serve);
    ``reason`` is one short line for the log and the 400 body."""

    action: Literal["forward", "malformed", "unhandled"]
    kind: str
    reason: str = ""


def check_payload(body: Any) -> Verdict:
    """The verdict on Bolt's parsed body of a signed request (see the module docstring)."""
    if not isinstance(body, Mapping) or not body:
        return Verdict("malformed", "unknown", "not a Slack payload")
    if "command" in body:
        return _forward_flat("slash command", body, _COMMAND_FIELDS, forbidden=_OTHER_KINDS)
    if body.get("type") == "url_verification":
        return _forward_flat("url_verification", body, ("challenge",), forbidden=("view",))
    if "ssl_check" in body:
        return _forward_flat("ssl_check", body, ("ssl_check",), forbidden=_OTHER_KINDS)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return Verdict("malformed", "unknown", "no command and no type: not a Slack payload")
    problem = _envelope_problem(body)
    if problem:
        return Verdict("malformed", kind, problem)
    return Verdict("unhandled", kind, f"this app has no handler for {kind!r} requests")


def _forward_flat(
    kind: str, body: Mapping[str, Any], required: tuple[str, ...], *, forbidden: tuple[str, ...]
) -> Verdict:
    for key, value in body.items():
        if not isinstance(value, str):
            return Verdict("malformed", kind, f"{kind}: {key!r} is {_kind_of(value)}, not a string")
    for key in required:
        if not body.get(key):
            return Verdict("malformed", kind, f"{kind}: no {key!r}")
    for key in forbidden:
        if key in body:
            return Verdict("malformed", kind, f"{kind}: unexpected field {key!r}")
    if kind == "slash command" and not body["response_url"].lower().startswith(
        ("https://", "http://")
    ):
        return Verdict("malformed", kind, f"{kind}: 'response_url' is not an http(s) URL")
    return Verdict("forward", kind)


def _envelope_problem(body: Mapping[str, Any]) -> str:
    """The first envelope field of the wrong type, as one short line ('' when none)."""
    for key in _OBJECTS + _OBJECTS_OR_NULL:
        value = body.get(key)
        if key in body and not isinstance(value, dict) and not (
            value is None and key in _OBJECTS_OR_NULL
        ):
            return f"{key!r} is {_kind_of(value)}, not an object"
    for key in _LISTS:
        value = body.get(key)
        if key in body and not isinstance(value, list):
            return f"{key!r} is {_kind_of(value)}, not a list"
        if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
            return f"{key!r} holds something that is not an object"
    for key in _STRINGS:
        if key in body and not isinstance(body[key], str):
            return f"{key!r} is {_kind_of(body[key])}, not a string"
    if body["type"] in ("block_actions", "interactive_message") and not body.get("actions"):
        return f"{body['type']} without actions"
    event = body.get("event")
    if body["type"] == "event_callback" and not (
        isinstance(event, dict) and isinstance(event.get("type"), str)
    ):
        return "event_callback without an event type"
    return ""


def _kind_of(value: Any) -> str:
    """A JSON type's name with its article, for a reason line ('a list', 'null')."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
