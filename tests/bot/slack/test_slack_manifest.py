"""The shipped Slack app manifest matches what the adapter serves."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.commands import COMMAND_NAMES
from bot.slack_app import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[3] / "config" / "slack-app-manifest.yaml"


def test_manifest_declares_the_commands_scopes_and_request_url() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/news", "/digest"}
    for command in commands.values():
        assert command["url"].endswith(EVENTS_PATH)
        assert command["url"].startswith("https://")
        assert len(command["description"]) <= 100
    hint = commands["/news"]["usage_hint"]
    assert all(name in hint for name in COMMAND_NAMES)
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"commands", "chat:write"} <= set(scopes)
    assert manifest["settings"]["socket_mode_enabled"] is False
