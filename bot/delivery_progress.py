"""How far a ledger row's send got, kept in the row itself so a restart resumes there.

While a row is ``claimed``, its ``message_ids`` list holds ``plan:<archive id>`` (the digest
being sent, archived before the first part went out) followed by the ids of the parts the
platform accepted, in order. ``mark_delivered`` then replaces it with the message ids only.
Each update is one transaction, guarded by the claim (status ``claimed``, same worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

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
    """Save ``progress`` on the row if ``worker`` still holds its claim; False if it lost it.

    Uses ``Store.record_delivery_progress`` when the store has it; until then, one guarded
    ``UPDATE`` of the ledger table in the store's own transaction helper.
    """
    method = getattr(store, "record_delivery_progress", None)
    if method is not None:
        return bool(method(delivery_id, progress.encode(), worker=worker))
    from digests.store.schema import deliveries

    stmt = (
        sa.update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "claimed",
            deliveries.c.worker == worker,
        )
        .values(message_ids=progress.encode())
    )
    with store._tx(write=True) as conn:  # a shim until the store has the method
        return bool(conn.execute(stmt).rowcount == 1)
