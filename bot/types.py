"""Values shared by the shell's modules: where a digest goes, who asked, what to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from digests.models import Digest, SourceLink

Platform = Literal["slack", "discord", "console"]


@dataclass(frozen=True)
class Target:
    """Where a digest goes: a configured channel, or a chat channel that subscribed itself."""

    name: str  # config channel name, or "slack:C123" / "discord:456"
    platform: Platform
    channel_id: str | None = None
    webhook: str | None = None


@dataclass(frozen=True)
class CommandContext:
    """Who asked a chat command, and where."""

    platform: Literal["slack", "discord", "cli"]
    channel_id: str
    user_id: str
    can_manage: bool = True  # may subscribe/unsubscribe/add feeds

    @property
    def channel_key(self) -> str:
        return f"{self.platform}:{self.channel_id}"


@dataclass(frozen=True)
class Reply:
    """The platform-neutral answer to a command; each adapter renders it its own way."""

    text: str
    ephemeral: bool = True
    digest: Digest | None = None
    title: str | None = None
    sources: tuple[SourceLink, ...] = ()
