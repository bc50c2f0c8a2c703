"""How far a ledger row's send got, kept in the row itself so a restart resumes there.

While a row is ``claimed``, its ``message_ids`` list holds ``plan:<archive id>`` (the digest
being sent, archived before the first part went out) followed by the ids of the parts the
platform accepted, in order, and ``stopped:<attempt>`` for each attempt (the row's ``attempts``
at the time) that a shutdown stopped between two parts: nothing was in flight then, so the row
can be resumed at once, by any worker, without looking the next part up, and that attempt is
not counted against ``delivery.max_attempts``. ``mark_delivered`` then replaces the list with
the message ids only. Each update is one transaction, guarded by the claim (status
``claimed``, same worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digests.store import Store

PLAN = "plan:"
STOPPED = "stopped:"


@dataclass(frozen=True)
class Progress:
    """The archived digest being sent (None: not built yet), the parts already sent, and the
    attempts a shutdown stopped cleanly (between parts)."""

    plan_id: int | None = None
    sent: tuple[str, ...] = ()
    stops: tuple[int, ...] = ()

    @classmethod
    def decode(cls, message_ids: Sequence[str]) -> Progress:
        plan_id: int | None = None
        sent: list[str] = []
        stops: list[int] = []
        for mid in message_ids:
            if mid.startswith(PLAN) and mid[len(PLAN):].isdigit():
                plan_id = int(mid[len(PLAN):])
            elif mid.startswith(STOPPED) and mid[len(STOPPED):].isdigit():
                stops.append(int(mid[len(STOPPED):]))
            else:
                sent.append(mid)
        return cls(plan_id, tuple(sent), tuple(stops))

    def encode(self) -> list[str]:
        head = [f"{PLAN}{self.plan_id}"] if self.plan_id is not None else []
        return head + [f"{STOPPED}{n}" for n in self.stops] + list(self.sent)

    def add(self, message_id: str) -> Progress:
        return Progress(self.plan_id, (*self.sent, message_id), self.stops)

    def stopped(self, attempt: int) -> Progress:
        """This progress with ``attempt`` recorded as stopped by a shutdown between parts."""
        return Progress(self.plan_id, self.sent, (*self.stops, attempt))

    def stopped_in(self, attempt: int) -> bool:
        """Whether ``attempt`` ended in a clean shutdown stop (no part was in flight)."""
        return attempt in self.stops


def record_progress(store: Store, delivery_id: int, worker: str, progress: Progress) -> bool:
    """Save ``progress`` on the row if ``worker`` still holds its claim; False if it lost it."""
    return store.record_delivery_progress(delivery_id, progress.encode(), worker=worker)
