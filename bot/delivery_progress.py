"""How far a ledger row's send got, kept in the row itself so a restart resumes there.

While a row is ``claimed``, its ``message_ids`` list holds ``plan:<archive id>`` (the digest
being sent, archived before the first part went out) followed by the ids of the parts the
platform accepted, in order. ``mark_delivered`` then replaces it with the message ids only.
Each update is one transaction, guarded by the claim (status ``claimed``, same worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digests.store import Store

PLAN = "plan:"


@dataclass(frozen=True)
class Progress:
    """The archived digest being sent (None: not built yet) and the parts already sent."""

    plan_id: int | None = None
    sent: tuple[str, ...] = ()

    @classmethod
    def decode(cls, message_ids: Sequence[str]) -> Progress:
        plan_id: int | None = None
        sent: list[str] = []
        for mid in message_ids:
            if mid.startswith(PLAN) and mid[len(PLAN):].isdigit():
                plan_id = int(mid[len(PLAN):])
            else:
                sent.append(mid)
        return cls(plan_id, tuple(sent))

    def encode(self) -> list[str]:
        head = [f"{PLAN}{self.plan_id}"] if self.plan_id is not None else []
        return head + list(self.sent)

    def add(self, message_id: str) -> Progress:
        return Progress(self.plan_id, (*self.sent, message_id))


def record_progress(store: Store, delivery_id: int, worker: str, progress: Progress) -> bool:
    """Save ``progress`` on the row if ``worker`` still holds its claim; False if it lost it."""
    return store.record_delivery_progress(delivery_id, progress.encode(), worker=worker)
