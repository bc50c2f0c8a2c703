"""One sender per platform behind one tiny seam, so delivery never knows which platform it feeds."""

from __future__ import annotations

from typing import Protocol

from bot.types import Target
from digests.models import Digest


class Sender(Protocol):
    """Posts to one platform; raises ``DeliveryError(permanent=...)`` when it cannot."""

    async def send(self, target: Target, digest: Digest) -> list[str]:
        """Post ``digest`` (split as the platform needs); the posted message ids, in order."""
        ...

    async def notify(self, target: Target, text: str) -> str:
        """Post a plain notice (feed-health alerts and the like); the message id."""
        ...
