"""How a thread's state follows from the messages in it.

A thread starts with an ``Alert``; ``Update`` and ``Cancel`` messages that reference it move
it on; ``Ack`` and ``Error`` attach to it without changing what it says. Expiry is not a
message: it is read off the clock, so it is computed when a thread is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from accord.domain.alerts.cap import MessageKey
from accord.domain.identity import Role
from accord.domain.sharing import Reader, Scope, Tlp, may_read


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


# Message types CAP gives the issuer of a message, and those it gives its recipients.
ISSUER_TYPES = frozenset({"Update", "Cancel"})


@dataclass(frozen=True, slots=True)
class Referenced:
    """A held message that a new one names in ``references``, as the thread rule needs it."""

    position: int
    record_id: str
    thread_id: int
    issuer: str  # the participant that issued the thread's first message
    author: str
    scope: Scope
    key: MessageKey


def thread_to_join(
    author: str, msg_type: str, referenced: Sequence[Referenced]
) -> Referenced | None:
    """The referenced message whose thread a message by ``author`` joins, or None for a
    thread of its own.

    Only messages its author may read count: a reference to one it may not read is a
    reference to nothing, so the answer tells it nothing it could not already know. An
    ``Update`` or ``Cancel`` joins only its own issuer's thread: CAP gives recipients
    ``Ack`` and ``Error``, and another participant's Cancel must never end a thread. The
    same rule projects local writes, replicated records and a rebuild.
    """
    if msg_type == "Alert":
        return None  # a new alert starts its own thread, whatever it cites
    for held in own_first(author, referenced):
        if not may_read(Reader(Role.FOCAL_POINT, author), held.scope, held.author):
            continue
        if msg_type in ISSUER_TYPES and held.issuer != author:
            continue
        return held
    return None


def readable_by_author(author: str, referenced: Sequence[Referenced]) -> list[Referenced]:
    """The referenced messages ``author`` may read: the only ones an Ack by it
    acknowledges, or any other statement of its can be taken to be about."""
    reader = Reader(Role.FOCAL_POINT, author)
    return [held for held in referenced if may_read(reader, held.scope, held.author)]


def reply_within(reply: Scope, held: Referenced) -> bool:
    """Whether a reply (Ack, Error) under ``reply`` reaches no one the message it answers
    does not: its references name that message, so a looser reply would publish them. Not
    a looser level, and, where the message is for named participants (an audience, or
    RED), only those and its author named (a RED reply may name none: its author's own)."""
    if reply.tlp.rank < held.scope.tlp.rank:
        return False
    if not held.scope.audience and held.scope.tlp is not Tlp.RED:
        return True
    if not reply.audience:
        return reply.tlp is Tlp.RED
    return reply.audience <= held.scope.audience | {held.author}


def foreign_threads(author: str, msg_type: str, referenced: Sequence[Referenced]) -> list[str]:
    """The issuers of threads ``author`` may read but an Update or Cancel by it may not
    follow: what the issuing path refuses, rather than starting a stray thread."""
    if msg_type not in ISSUER_TYPES:
        return []
    reader = Reader(Role.FOCAL_POINT, author)
    return sorted(
        {
            held.issuer
            for held in own_first(author, referenced)
            if held.issuer != author and may_read(reader, held.scope, held.author)
        }
    )


def own_first(author: str, referenced: Sequence[Referenced]) -> list[Referenced]:
    """The messages a reference names, taking the author's own where it holds one under
    the key: keys are each author's, so another's copy of the key must not stand in the
    way of its issuer's Update or Cancel."""
    own = {held.key for held in referenced if held.author == author}
    return [held for held in referenced if held.key not in own or held.author == author]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a thread, as a reader's view of the thread is folded from."""

    msg_type: str
    status: str
    received_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ThreadView:
    """A thread as one reader sees it: folded from the messages that reader may read."""

    state: ThreadState
    status: str
    message_count: int
    updated_at: datetime
    expires_at: datetime | None


def fold(messages: Sequence[Message]) -> ThreadView | None:
    """The thread made of ``messages`` (oldest first); None when there are none.

    Each reader gets the fold of the messages they may read, so a RED Cancel never shows
    as "cancelled" on a CLEAR alert, and counts and "updated" marks tell nothing more.
    """
    if not messages:
        return None
    state: ThreadState | None = None
    expires_at = messages[0].expires_at
    for message in messages:
        state = state_after(state, message.msg_type)
        if message.msg_type in ("Alert", "Update"):
            expires_at = message.expires_at
    assert state is not None
    return ThreadView(
        state, messages[0].status, len(messages), messages[-1].received_at, expires_at
    )
