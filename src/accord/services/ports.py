"""Ports: what the use cases need from storage and the clock, as Protocols.

The SQL adapter implements them for SQLite and PostgreSQL; use cases see only these.
One ``UnitOfWork`` is one transaction: it commits when its block ends normally and rolls
back on any exception, so a use case never leaves anything half-written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from accord.domain.alerts.cap import Alert, MessageKey
from accord.domain.alerts.facts import AlertFacts
from accord.domain.alerts.threads import Referenced, ThreadState
from accord.domain.identity import NewAgency, NewParticipant, NewUser, Role
from accord.domain.senders import Registration
from accord.domain.sharing import Reader, Scope
from accord.ledger.audit import Finding
from accord.ledger.records import SignedRecord
from accord.ledger.witnessing import Sighting
from accord.services.delivery_ports import (
    DeliveryRepository,
    ResponseRepository,
    SubscriptionRepository,
)
from accord.services.federation_ports import PeerRepository
from accord.services.session_ports import SessionRepository


class Clock(Protocol):
    def now(self) -> datetime: ...


class Keys(Protocol):
    """Private keys by name: ``log`` for the node's checkpoints, participant codes for
    records. Implementations never hand the private half out."""

    def has(self, name: str) -> bool: ...
    def create(self, name: str) -> bytes: ...
    def stage(self, name: str) -> bytes: ...
    def promote(self, name: str) -> None: ...
    def sign(self, name: str, message: bytes) -> bytes: ...
    def public_key(self, name: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Account:
    """A user as the authentication step sees them."""

    user_id: int
    username: str
    role: Role
    participant: str | None

    @property
    def reader(self) -> Reader:
        return Reader(self.role, self.participant)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    position: int
    record_id: str
    author: str
    seq: int
    log_index: int


@dataclass(frozen=True, slots=True)
class LoggedRecord:
    """A stored record as consumers that follow the records read it, in position order."""

    position: int
    record_id: str
    kind: str
    author: str
    created_at: datetime  # as its author signed it
    scope: Scope
    body: str


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A signed record with its log index and what is kept beside it."""

    record: SignedRecord
    log_index: int
    received_at: datetime
    content_type: str
    original: bytes
    body: str


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as the projection holds it, with what a reader needs to render it."""

    position: int
    record_id: str
    author: str
    seq: int
    log_index: int | None  # None for a record replicated from a peer's log
    created_at: datetime  # as its author signed it
    scope: Scope
    status: str
    msg_type: str
    thread_id: int
    received_at: datetime
    body: str
    original: bytes
    content_type: str
    signature_status: str
    signature_detail: str


@dataclass(frozen=True, slots=True)
class Projection:
    """One stored alert and what its projection rows are made of."""

    record: StoredRecord
    alert: Alert
    facts: AlertFacts
    scope: Scope
    thread_id: int
    received_at: datetime
    content_digest: str
    signature: tuple[str, str]


@dataclass(frozen=True, slots=True)
class ProjectedAlert:
    """What the self-audit compares of an alert row with its signed record."""

    position: int
    record_id: str
    author: str
    scope: Scope
    thread_id: int
    # What thread states, lists and references read: (msgType, status, sender,
    # identifier, sent, expires), compared as one.
    message: tuple[str, str, str, str, datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class ThreadRow:
    thread_id: int
    state: ThreadState
    status: str
    message_count: int
    updated_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """A witness's verified cosignature of one of the node's checkpoints."""

    witness: str
    key_id: str  # hex
    cosigned_at: datetime  # the time the witness states in its cosignature
    received_at: datetime  # when this node verified and stored it
    line: str  # the cosignature/v1 signature line, without its newline


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    id: int
    size: int
    root: bytes
    note: str  # the signed note as the node signed it, without cosignatures
    signed_at: datetime
    # Read only by ``LogRepository.checkpoint_history``; empty from every other method.
    cosignatures: tuple[StoredCosignature, ...]


@dataclass(frozen=True, slots=True)
class LogAudit:
    """One self-audit of the node's log, as stored (``id`` is 0 until it is)."""

    id: int
    started_at: datetime
    finished_at: datetime
    checkpoint_size: int | None  # the checkpoint audited; None when none verified
    checkpoint_note: str | None  # its signed note, cosignatures appended
    entries_checked: int
    entries_with_findings: int
    finding_count: int  # every finding, though only the first are kept
    findings: tuple[Finding, ...]

    @property
    def is_clean(self) -> bool:
        return self.finding_count == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertQuery:
    """Filters of ``GET /api/v1/alerts``; None means "any"."""

    categories: tuple[str, ...] = ()
    tlps: tuple[str, ...] = ()
    event: str | None = None
    min_urgency_rank: int | None = None
    min_severity_rank: int | None = None
    min_certainty_rank: int | None = None
    statuses: tuple[str, ...] = ("Actual",)
    msg_types: tuple[str, ...] = ()
    sender: str | None = None
    sent_after: datetime | None = None
    sent_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None
    thread_id: int | None = None
    before_position: int | None = None
    limit: int = 50


class IdentityRepository(Protocol):
    def add_participant(self, participant: NewParticipant, now: datetime) -> dict[str, Any]: ...
    def list_participants(self) -> list[dict[str, Any]]: ...
    def participant_codes(self) -> set[str]: ...
    def add_sender(self, participant: str, sender: str, now: datetime) -> dict[str, Any]: ...
    def remove_sender(self, sender: str, now: datetime) -> int: ...
    def senders(self) -> list[tuple[str, Registration]]: ...
    def add_agency(self, agency: NewAgency, now: datetime) -> dict[str, Any]: ...
    def list_agencies(self, participant: str | None) -> list[dict[str, Any]]: ...
    def add_user(self, user: NewUser, now: datetime) -> dict[str, Any]: ...
    def list_users(self) -> list[dict[str, Any]]: ...
    def add_token(self, username: str, token_hash: str, label: str, now: datetime) -> int: ...
    def revoke_token(self, token_id: int, now: datetime) -> None: ...
    def list_tokens(self, username: str | None) -> list[dict[str, Any]]: ...
    def find_account(self, token_hash: str) -> Account | None: ...
    def set_password_hash(self, username: str, password_hash: str | None) -> int: ...
    def find_password(self, username: str) -> tuple[Account, str | None] | None: ...


class RecordRepository(Protocol):
    def claim_seqs(self, author: str, count: int) -> int: ...
    def append_many(self, rows: Sequence[NewRecord]) -> list[StoredRecord]: ...
    def of_kind(
        self, kind: str
    ) -> Iterator[tuple[StoredRecord, Scope, str, bytes, str, datetime]]: ...
    def since(self, position: int, kinds: Sequence[str], limit: int) -> list[LoggedRecord]: ...
    def scope_columns(self) -> Iterator[tuple[str, Scope, Scope | None, bytes | None]]: ...
    def restore_signed_scopes(self) -> int: ...


class AlertRepository(Protocol):
    def find_by_key(
        self, author: str, key: MessageKey
    ) -> tuple[StoredRecord, str, Scope] | None: ...
    def held_keys(self, keys: Sequence[tuple[str, MessageKey]]) -> set[tuple[str, MessageKey]]: ...
    def referenced(self, keys: Sequence[MessageKey]) -> list[Referenced]: ...
    def project(
        self,
        record: StoredRecord,
        *,
        alert: Alert,
        facts: AlertFacts,
        scope: Scope,
        thread_id: int,
        received_at: datetime,
        content_digest: str,
        signature: tuple[str, str],
    ) -> None: ...
    def project_many(self, items: Sequence[Projection]) -> None: ...
    def clear(self) -> None: ...
    def search(self, reader: Reader, query: AlertQuery) -> list[AlertRow]: ...
    def get(self, reader: Reader, record_id: str) -> AlertRow | None: ...
    def since(self, position: int, limit: int) -> list[AlertRow]: ...
    def newest_position(self) -> int: ...
    def threads(self, reader: Reader, thread_ids: Sequence[int]) -> dict[int, ThreadRow]: ...
    def projected(self) -> dict[int, ProjectedAlert]: ...


class LogRepository(Protocol):
    def size(self) -> int: ...
    def append(self, leaf_hashes: Sequence[bytes]) -> int: ...
    def fetch_nodes(self, ids: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]: ...
    def latest_checkpoint(self) -> StoredCheckpoint | None: ...
    def checkpoint_of_size(self, size: int) -> StoredCheckpoint | None: ...
    def save_checkpoint(
        self, *, previous_size: int, size: int, root: bytes, note: str, signed_at: datetime
    ) -> StoredCheckpoint: ...
    def add_cosignature(
        self,
        checkpoint_id: int,
        *,
        witness: str,
        key_id: str,
        cosigned_at: datetime,
        line: str,
        received_at: datetime,
    ) -> bool: ...
    def cosignature_lines(self, checkpoint_id: int) -> tuple[str, ...]: ...
    def checkpoint_history(self, before: int | None, limit: int) -> list[StoredCheckpoint]: ...
    def sightings(self, index: int) -> tuple[Sighting | None, Sighting | None]: ...
    def entries(self, start: int, end: int) -> list[dict[str, Any]]: ...


class LogAuditRepository(Protocol):
    def add(self, audit: LogAudit) -> LogAudit: ...
    def recent(self, limit: int) -> list[LogAudit]: ...
    def last_clean(self) -> LogAudit | None: ...


class KeyRepository(Protocol):
    def current(self, participant: str) -> bytes | None: ...
    def add(self, participant: str, key_id: str, public_key: bytes, now: datetime) -> None: ...
    def retire(self, participant: str, now: datetime) -> None: ...
    def all(self) -> list[dict[str, Any]]: ...


class UnitOfWork(Protocol):
    @property
    def identity(self) -> IdentityRepository: ...
    @property
    def log(self) -> LogRepository: ...
    @property
    def log_audits(self) -> LogAuditRepository: ...
    @property
    def keys(self) -> KeyRepository: ...
    @property
    def records(self) -> RecordRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def subscriptions(self) -> SubscriptionRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository: ...
    @property
    def responses(self) -> ResponseRepository: ...
    @property
    def peers(self) -> PeerRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> AbstractContextManager[UnitOfWork]: ...
