"""Ports of routing and delivery: what subscriptions, the outbox and responses need from
storage and from the channels that carry messages out.

Kept apart from ``ports`` so the alert and log use cases read without the delivery
vocabulary; the unit of work exposes both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from accord.domain.identity import Role
from accord.domain.sharing import Reader, Scope


@dataclass(frozen=True, slots=True)
class Secret:
    """A webhook signing secret; during a rotation the old one lives until ``expires_at``."""

    value: str
    created_at: datetime
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: int
    subscription_id: int
    kind: str  # webhook | email
    target: str  # URL or e-mail address
    format: str  # json | xml
    test: bool
    secrets: tuple[Secret, ...]
    state: str  # active | disabled
    disabled_reason: str
    created_at: datetime

    def live_secrets(self, now: datetime) -> tuple[str, ...]:
        return tuple(s.value for s in self.secrets if s.expires_at is None or s.expires_at > now)


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: int
    user_id: int
    username: str
    role: Role
    participant: str | None
    agency_id: int | None
    agency: str | None
    name: str
    filter: dict[str, Any]
    created_at: datetime
    disabled_at: datetime | None
    endpoints: tuple[EndpointRow, ...] = ()

    @property
    def reader(self) -> Reader:
        """The owner as a reader, with their role as it is now: a demoted owner's
        subscription delivers only what they may read today."""
        return Reader(self.role, self.participant)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    message_id: str
    endpoint_id: int
    alert_position: int
    recipient: str | None
    reason: str  # alert | renotify | escalation
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NewRecipient:
    alert_position: int
    participant: str
    notified_at: datetime
    ack_due_at: datetime | None
    respond_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class AlertContent:
    """What a channel renders: the alert's record as stored."""

    position: int
    record_id: str
    log_index: int
    author: str
    scope: Scope
    status: str
    body: str  # CAP JSON mapping
    original: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class DueDelivery:
    id: int
    message_id: str
    attempts: int
    reason: str
    detail: dict[str, Any] | None
    endpoint: EndpointRow
    alert: AlertContent


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """How one attempt went. Channels never raise for a failed delivery; they say so here."""

    delivered: bool
    status: int | None = None
    error: str = ""
    gone: bool = False  # the receiver said 410 Gone: disable the endpoint
    permanent: bool = False  # retrying cannot help (refused destination, rejected address)
    duration_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class RecipientRow:
    alert_position: int
    participant: str
    notified_at: datetime
    ack_due_at: datetime | None
    respond_due_at: datetime | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    next_check_at: datetime | None


@dataclass(frozen=True, slots=True)
class EscalationRow:
    alert_position: int
    participant: str
    kind: str
    step: str
    due_at: datetime
    fired_at: datetime


@dataclass(frozen=True, slots=True)
class ResponseRow:
    position: int
    record_id: str
    alert_position: int
    participant: str
    username: str | None
    kind: str  # acknowledge | decision
    decision: str | None
    detail: dict[str, Any]
    at: datetime
    # The response record's own scope, as read back (a CAP Ack may be stricter than the
    # alert it answers); None on rows being written.
    scope: Scope | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    message_id: str
    endpoint_id: int
    endpoint_kind: str
    endpoint_target: str
    subscription_id: int
    owner: str | None  # the subscription owner's participant
    alert_position: int
    recipient: str | None
    reason: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    history: tuple[dict[str, Any], ...] = field(default=())


class SubscriptionRepository(Protocol):
    def add(
        self,
        *,
        user_id: int,
        participant: str | None,
        agency_id: int | None,
        name: str,
        filter: dict[str, Any],
        now: datetime,
    ) -> int: ...
    def add_endpoint(
        self,
        subscription_id: int,
        *,
        kind: str,
        target: str,
        format: str,
        test: bool,
        secrets: Sequence[Secret],
        now: datetime,
    ) -> int: ...
    def get(self, subscription_id: int) -> SubscriptionRow | None: ...
    def find(self, *, user_id: int | None, include_disabled: bool) -> list[SubscriptionRow]: ...
    def active(self) -> list[SubscriptionRow]: ...
    def revision(self) -> int: ...
    def disable(self, subscription_id: int, now: datetime) -> None: ...
    def endpoint(self, endpoint_id: int) -> EndpointRow | None: ...
    def endpoints_of(self, subscription_ids: Sequence[int]) -> dict[int, list[EndpointRow]]: ...
    def update_endpoint(
        self,
        endpoint_id: int,
        *,
        state: str | None = None,
        reason: str | None = None,
        secrets: Sequence[Secret] | None = None,
    ) -> None: ...
    def set_feed_token(self, subscription_id: int, token_hash: str) -> None: ...
    def by_feed_token(self, token_hash: str) -> SubscriptionRow | None: ...
    def user_agency(self, user_id: int) -> int | None: ...
    def agency(self, agency_id: int) -> tuple[str, str, dict[str, Any] | None] | None: ...


class DeliveryRepository(Protocol):
    def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> int: ...
    def add_recipients(self, recipients: Sequence[NewRecipient]) -> list[NewRecipient]: ...
    def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[DueDelivery]: ...
    def record_attempt(
        self,
        delivery: DueDelivery,
        outcome: SendOutcome,
        *,
        at: datetime,
        state: str,
        next_attempt_at: datetime | None,
    ) -> None: ...
    def cancel_pending(self, endpoint_id: int, reason: str) -> int: ...
    def of_alert(self, alert_position: int) -> list[DeliveryRow]: ...
    def find(
        self, *, state: str | None, endpoint_id: int | None, limit: int, after_id: int | None
    ) -> list[DeliveryRow]: ...
    def get(self, delivery_id: int) -> DeliveryRow | None: ...
    def of_endpoint(
        self, endpoint_id: int, limit: int
    ) -> tuple[dict[str, int], list[DeliveryRow]]: ...
    def replay(self, delivery_ids: Sequence[int], now: datetime) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def due_recipients(self, now: datetime, limit: int) -> list[RecipientRow]: ...
    def recipients_of(self, alert_position: int) -> list[RecipientRow]: ...
    def recipient(self, alert_position: int, participant: str) -> RecipientRow | None: ...
    def mark_recipient(
        self,
        alert_position: int,
        participant: str,
        *,
        acknowledged_at: datetime | None = None,
        responded_at: datetime | None = None,
    ) -> None: ...
    def set_next_check(
        self, alert_position: int, participant: str, next_check_at: datetime | None
    ) -> None: ...
    def escalations_of(self, alert_position: int) -> list[EscalationRow]: ...
    def add_escalation(self, row: EscalationRow) -> bool: ...
    def endpoints_notified(self, alert_position: int, participant: str) -> list[int]: ...
    def subscriptions_reached(self, alert_positions: Sequence[int]) -> set[int]: ...
    def alert_content(self, alert_position: int) -> AlertContent | None: ...


class ResponseRepository(Protocol):
    def add(self, row: ResponseRow) -> None: ...
    def of_alert(self, alert_position: int) -> list[ResponseRow]: ...
    def clear(self) -> None: ...


class Channels(Protocol):
    """Carries one delivery out: renders the payload for the endpoint and sends it."""

    def send(self, delivery: DueDelivery, now: datetime) -> SendOutcome: ...
