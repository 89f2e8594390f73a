"""How a thread's state follows from the messages in it.

A thread starts with an ``Alert``; ``Update`` and ``Cancel`` messages that reference it move
it on; ``Ack`` and ``Error`` attach to it without changing what it says. Expiry is not a
message: it is read off the clock, so it is computed when a thread is read.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class ThreadState(StrEnum):
    ACTIVE = "active"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


def state_after(current: ThreadState | None, msg_type: str) -> ThreadState:
    """The stored state once a message of ``msg_type`` joins a thread in ``current``.

    A cancelled thread stays cancelled: a late Update is kept as a fact but cannot revive
    what its issuer withdrew.
    """
    if current is ThreadState.CANCELLED:
        return current
    if msg_type == "Cancel":
        return ThreadState.CANCELLED
    if msg_type == "Update":
        return ThreadState.UPDATED
    return current if current is not None else ThreadState.ACTIVE


def state_at(stored: ThreadState, expires_at: datetime | None, now: datetime) -> ThreadState:
    """The state a reader sees at ``now``: live threads past their expiry read as expired."""
    live = stored in (ThreadState.ACTIVE, ThreadState.UPDATED)
    if live and expires_at is not None and expires_at <= now:
        return ThreadState.EXPIRED
    return stored
