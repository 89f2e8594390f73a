"""Ports of federation: stored peers and incidents, and the client that reads a peer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from accord.ledger.audit import ServedEntry
from accord.ledger.witnessing import Sighting


@dataclass(frozen=True, slots=True)
class PeerRow:
    id: int
    url: str
    verifier_key: str
    participant: str  # whose reader the peer is served as, and whose records it sends
    mirror: dict[str, Any]
    created_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str


@dataclass(frozen=True, slots=True)
class ReplicatedRecord:
    """A verified entry of a peer's log, to be stored beside local records."""

    peer_id: int
    origin_index: int
    record_id: str
    entry: bytes
    envelope: str
    kind: str
    author: str
    seq: int
    created_at: datetime
    tlp: str
    audience: list[str]
    body: str
    body_digest: str  # the digest the author signed, checked against ``body`` by the mirror
    received_at: datetime
    absent: Sighting | None = None  # this node saw the origin's tree without it
    present: Sighting | None = None  # and with it: bounds on when it was written


class PeerRepository(Protocol):
    def add(self, url: str, verifier_key: str, participant: str, now: datetime) -> int: ...
    def get(self, peer_id: int) -> PeerRow | None: ...
    def by_verifier_key(self, verifier_key: str) -> PeerRow | None: ...
    def find(self) -> list[PeerRow]: ...
    def save_mirror(self, peer_id: int, mirror: dict[str, Any]) -> None: ...
    def record_attempt(self, peer_id: int, now: datetime, error: str) -> None: ...
    def add_incident(
        self,
        peer_id: int | None,
        code: str,
        detail: str,
        evidence: Sequence[str],
        now: datetime,
    ) -> None: ...
    def incidents(self, peer_id: int | None) -> list[dict[str, Any]]: ...
    def has_incident(self, peer_id: int, code: str, evidence: Sequence[str]) -> bool: ...
    def append(self, rows: Sequence[ReplicatedRecord]) -> list[tuple[ReplicatedRecord, int]]: ...
    def taken_sequences(self, rows: Sequence[ReplicatedRecord]) -> set[tuple[str, int]]: ...
    def sightings(
        self, position: int, by: str
    ) -> tuple[Sighting | None, Sighting | None] | None: ...


class PeerClient(Protocol):
    """Reads one peer over its API, each request signed with this node's key. Failures
    to reach it or malformed answers raise ``PeerError``."""

    def checkpoint(self) -> str: ...
    def consistency(self, old_size: int, new_size: int) -> list[bytes]: ...
    def entries(self, start: int, end: int) -> list[ServedEntry]: ...
    def checkpoints(self) -> list[tuple[str, str]]: ...
    def cosign(self, line: str, size: int) -> None: ...
    def close(self) -> None: ...


PeerClients = Callable[[PeerRow], PeerClient]
