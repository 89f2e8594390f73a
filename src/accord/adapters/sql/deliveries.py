"""SQL storage of the delivery outbox, its attempts, recipients and escalations.

Workers claim due deliveries with a lease: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so
several workers take disjoint batches without waiting on each other; SQLite serialises
writers (``BEGIN IMMEDIATE``), which gives the same guarantee. A worker that dies holding
a lease loses it when the lease runs out, and the delivery is sent again with the same
message id — at least once, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.originals import served_original
from accord.adapters.sql.subscriptions import _endpoint
from accord.adapters.sql.tables import (
    alerts,
    deliveries,
    delivery_attempts,
    endpoints,
    escalations,
    participants,
    recipients,
    records,
    subscriptions,
)
from accord.domain.sharing import Scope, Tlp
from accord.services.delivery_ports import (
    AlertContent,
    DeliveryRow,
    DueDelivery,
    EscalationRow,
    NewDelivery,
    NewRecipient,
    RecipientRow,
    SendOutcome,
)

_CONTENT_COLUMNS = (
    records.c.position,
    records.c.record_id,
    records.c.log_index,
    participants.c.code,
    records.c.tlp,
    records.c.audience,
    alerts.c.status,
    records.c.body,
    records.c.original,
    records.c.content_type,
    records.c.entry,
)
_DELIVERY_COLUMNS = (
    deliveries.c.id,
    deliveries.c.message_id,
    deliveries.c.endpoint_id,
    endpoints.c.kind,
    endpoints.c.target,
    endpoints.c.subscription_id,
    subscriptions.c.participant_code,
    deliveries.c.alert_position,
    deliveries.c.recipient,
    deliveries.c.reason,
    deliveries.c.state,
    deliveries.c.attempts,
    deliveries.c.next_attempt_at,
    deliveries.c.last_status,
    deliveries.c.last_error,
    deliveries.c.created_at,
    deliveries.c.delivered_at,
)
_DELIVERIES = (
    select(*_DELIVERY_COLUMNS)
    .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
    .join(subscriptions, subscriptions.c.id == endpoints.c.subscription_id)
)


class SqlDeliveryRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, new: Sequence[NewDelivery], now: datetime) -> int:
        if not new:
            return 0
        self._db.execute(
            deliveries.insert(),
            [
                {
                    "message_id": d.message_id,
                    "endpoint_id": d.endpoint_id,
                    "alert_position": d.alert_position,
                    "recipient": d.recipient,
                    "reason": d.reason,
                    "detail": d.detail,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "lease_until": None,
                    "last_status": None,
                    "last_error": "",
                    "created_at": now,
                    "delivered_at": None,
                }
                for d in new
            ],
        )
        return len(new)

    def add_recipients(self, new: Sequence[NewRecipient]) -> list[NewRecipient]:
        """Insert the recipients not yet known for their alert; returns those inserted."""
        if not new:
            return []
        positions = sorted({r.alert_position for r in new})
        known = {
            (row[0], row[1])
            for row in self._db.execute(
                select(recipients.c.alert_position, recipients.c.participant_code).where(
                    recipients.c.alert_position.in_(positions)
                )
            )
        }
        fresh: dict[tuple[int, str], NewRecipient] = {}
        for r in new:
            key = (r.alert_position, r.participant)
            if key not in known and key not in fresh:
                fresh[key] = r
        if fresh:
            self._db.execute(
                recipients.insert(),
                [
                    {
                        "alert_position": r.alert_position,
                        "participant_code": r.participant,
                        "notified_at": r.notified_at,
                        "ack_due_at": r.ack_due_at,
                        "respond_due_at": r.respond_due_at,
                        "acknowledged_at": None,
                        "responded_at": None,
                        "next_check_at": _earliest(r.ack_due_at, r.respond_due_at),
                    }
                    for r in fresh.values()
                ],
            )
        return list(fresh.values())

    def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[DueDelivery]:
        due = (
            select(deliveries.c.id)
            .where(
                deliveries.c.state == "pending",
                deliveries.c.next_attempt_at <= now,
                or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        )
        if self._db.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [int(i) for i in self._db.execute(due).scalars()]
        if not ids:
            return []
        self._db.execute(
            update(deliveries).where(deliveries.c.id.in_(ids)).values(lease_until=lease_until)
        )
        rows = list(
            self._db.execute(
                select(
                    deliveries.c.id,
                    deliveries.c.message_id,
                    deliveries.c.attempts,
                    deliveries.c.reason,
                    deliveries.c.detail,
                    deliveries.c.endpoint_id,
                    *_CONTENT_COLUMNS,
                )
                .select_from(deliveries)
                .join(records, records.c.position == deliveries.c.alert_position)
                .join(participants, participants.c.id == records.c.author_id)
                .outerjoin(alerts, alerts.c.position == records.c.position)
                .where(deliveries.c.id.in_(ids))
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            )
        )
        endpoint_rows = self._db.execute(
            select(endpoints).where(endpoints.c.id.in_({row[5] for row in rows}))
        )
        by_id = {row.id: _endpoint(row) for row in endpoint_rows}
        return [
            DueDelivery(
                id=row[0],
                message_id=row[1],
                attempts=row[2],
                reason=row[3],
                detail=row[4],
                endpoint=by_id[row[5]],
                alert=_content(tuple(row[6:])),
            )
            for row in rows
        ]

    def record_attempt(
        self,
        delivery: DueDelivery,
        outcome: SendOutcome,
        *,
        at: datetime,
        state: str,
        next_attempt_at: datetime | None,
    ) -> None:
        attempt = delivery.attempts + 1
        values: dict[str, Any] = {
            "state": state,
            "attempts": attempt,
            "lease_until": None,
            "last_status": outcome.status,
            "last_error": outcome.error,
        }
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        if outcome.delivered:
            values["delivered_at"] = at
        self._db.execute(update(deliveries).where(deliveries.c.id == delivery.id).values(**values))
        self._db.execute(
            delivery_attempts.insert().values(
                delivery_id=delivery.id,
                attempt=attempt,
                at=at,
                duration_ms=outcome.duration_ms,
                status=outcome.status,
                outcome=_outcome_name(outcome),
                error=outcome.error,
            )
        )

    def cancel_pending(self, endpoint_id: int, reason: str) -> int:
        result = self._db.execute(
            update(deliveries)
            .where(deliveries.c.endpoint_id == endpoint_id, deliveries.c.state == "pending")
            .values(state="cancelled", last_error=reason, lease_until=None)
        )
        return int(result.rowcount or 0)

    def of_alert(self, alert_position: int) -> list[DeliveryRow]:
        rows = self._db.execute(
            _DELIVERIES.where(deliveries.c.alert_position == alert_position).order_by(
                deliveries.c.id
            )
        )
        return self._with_history(list(rows))

    def find(
        self, *, state: str | None, endpoint_id: int | None, limit: int, after_id: int | None
    ) -> list[DeliveryRow]:
        query = _DELIVERIES.order_by(deliveries.c.id).limit(limit)
        if state is not None:
            query = query.where(deliveries.c.state == state)
        if endpoint_id is not None:
            query = query.where(deliveries.c.endpoint_id == endpoint_id)
        if after_id is not None:
            query = query.where(deliveries.c.id > after_id)
        return self._with_history(list(self._db.execute(query)))

    def of_endpoint(self, endpoint_id: int, limit: int) -> tuple[dict[str, int], list[DeliveryRow]]:
        """An endpoint's delivery counts by state, and its newest ``limit`` deliveries."""
        counted = self._db.execute(
            select(deliveries.c.state, func.count())
            .where(deliveries.c.endpoint_id == endpoint_id)
            .group_by(deliveries.c.state)
        )
        newest = _DELIVERIES.where(deliveries.c.endpoint_id == endpoint_id)
        rows = self._db.execute(newest.order_by(deliveries.c.id.desc()).limit(limit))
        return {row[0]: int(row[1]) for row in counted}, self._with_history(list(rows))

    def get(self, delivery_id: int) -> DeliveryRow | None:
        rows = list(self._db.execute(_DELIVERIES.where(deliveries.c.id == delivery_id)))
        found = self._with_history(rows)
        return found[0] if found else None

    def replay(self, delivery_ids: Sequence[int], now: datetime) -> int:
        """Queue failed or cancelled deliveries again, with a fresh retry schedule but the
        same message id, so receivers that already have them drop the copy."""
        if not delivery_ids:
            return 0
        result = self._db.execute(
            update(deliveries)
            .where(
                deliveries.c.id.in_(list(delivery_ids)),
                deliveries.c.state.in_(("failed", "cancelled")),
            )
            .values(state="pending", attempts=0, next_attempt_at=now, lease_until=None)
        )
        return int(result.rowcount or 0)

    def counts(self) -> dict[str, int]:
        rows = self._db.execute(
            select(deliveries.c.state, func.count()).group_by(deliveries.c.state)
        )
        return {row[0]: int(row[1]) for row in rows}

    def due_recipients(self, now: datetime, limit: int) -> list[RecipientRow]:
        rows = self._db.execute(
            select(recipients)
            .where(recipients.c.next_check_at <= now)
            .order_by(recipients.c.next_check_at)
            .limit(limit)
        )
        return [_recipient(row) for row in rows]

    def recipients_of(self, alert_position: int) -> list[RecipientRow]:
        rows = self._db.execute(
            select(recipients)
            .where(recipients.c.alert_position == alert_position)
            .order_by(recipients.c.participant_code)
        )
        return [_recipient(row) for row in rows]

    def recipient(self, alert_position: int, participant: str) -> RecipientRow | None:
        row = self._db.execute(
            select(recipients).where(
                recipients.c.alert_position == alert_position,
                recipients.c.participant_code == participant,
            )
        ).first()
        return _recipient(row) if row else None

    def mark_recipient(
        self,
        alert_position: int,
        participant: str,
        *,
        acknowledged_at: datetime | None = None,
        responded_at: datetime | None = None,
    ) -> None:
        where = and_(
            recipients.c.alert_position == alert_position,
            recipients.c.participant_code == participant,
        )
        if acknowledged_at is not None:
            self._db.execute(
                update(recipients)
                .where(where, recipients.c.acknowledged_at.is_(None))
                .values(acknowledged_at=acknowledged_at)
            )
        if responded_at is not None:
            self._db.execute(
                update(recipients)
                .where(where, recipients.c.responded_at.is_(None))
                .values(responded_at=responded_at)
            )

    def set_next_check(
        self, alert_position: int, participant: str, next_check_at: datetime | None
    ) -> None:
        self._db.execute(
            update(recipients)
            .where(
                recipients.c.alert_position == alert_position,
                recipients.c.participant_code == participant,
            )
            .values(next_check_at=next_check_at)
        )

    def escalations_of(self, alert_position: int) -> list[EscalationRow]:
        rows = self._db.execute(
            select(escalations)
            .where(escalations.c.alert_position == alert_position)
            .order_by(escalations.c.due_at, escalations.c.id)
        )
        return [
            EscalationRow(
                row.alert_position,
                row.participant_code,
                row.kind,
                row.step,
                utc(row.due_at),
                utc(row.fired_at),
            )
            for row in rows
        ]

    def add_escalation(self, row: EscalationRow) -> bool:
        """Record that a step fired; False when it had fired already (exactly once)."""
        exists = self._db.execute(
            select(escalations.c.id).where(
                escalations.c.alert_position == row.alert_position,
                escalations.c.participant_code == row.participant,
                escalations.c.kind == row.kind,
                escalations.c.step == row.step,
            )
        ).first()
        if exists:
            return False
        self._db.execute(
            escalations.insert().values(
                alert_position=row.alert_position,
                participant_code=row.participant,
                kind=row.kind,
                step=row.step,
                due_at=row.due_at,
                fired_at=row.fired_at,
            )
        )
        return True

    def endpoints_notified(self, alert_position: int, participant: str) -> list[int]:
        rows = self._db.execute(
            select(deliveries.c.endpoint_id)
            .where(
                deliveries.c.alert_position == alert_position,
                deliveries.c.recipient == participant,
                deliveries.c.reason == "alert",
            )
            .distinct()
        )
        return sorted(int(r[0]) for r in rows)

    def subscriptions_reached(self, alert_positions: Sequence[int]) -> set[int]:
        rows = self._db.execute(
            select(endpoints.c.subscription_id)
            .join(deliveries, deliveries.c.endpoint_id == endpoints.c.id)
            .where(
                deliveries.c.alert_position.in_(list(alert_positions)),
                deliveries.c.reason == "alert",
            )
            .distinct()
        )
        return {int(row[0]) for row in rows}

    def alert_content(self, alert_position: int) -> AlertContent | None:
        row = self._db.execute(
            select(*_CONTENT_COLUMNS)
            .select_from(records)
            .join(participants, participants.c.id == records.c.author_id)
            .outerjoin(alerts, alerts.c.position == records.c.position)
            .where(records.c.position == alert_position)
        ).first()
        return _content(tuple(row)) if row else None

    def _with_history(self, rows: Sequence[Any]) -> list[DeliveryRow]:
        ids = [row[0] for row in rows]
        history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for attempt in self._db.execute(
                select(delivery_attempts)
                .where(delivery_attempts.c.delivery_id.in_(ids))
                .order_by(delivery_attempts.c.id)
            ):
                history[attempt.delivery_id].append(
                    {
                        "attempt": attempt.attempt,
                        "at": utc(attempt.at).isoformat(),
                        "duration_ms": round(attempt.duration_ms, 1),
                        "status": attempt.status,
                        "outcome": attempt.outcome,
                        "error": attempt.error,
                    }
                )
        return [
            DeliveryRow(
                id=row[0],
                message_id=row[1],
                endpoint_id=row[2],
                endpoint_kind=row[3],
                endpoint_target=row[4],
                subscription_id=row[5],
                owner=row[6],
                alert_position=row[7],
                recipient=row[8],
                reason=row[9],
                state=row[10],
                attempts=row[11],
                next_attempt_at=utc(row[12]),
                last_status=row[13],
                last_error=row[14],
                created_at=utc(row[15]),
                delivered_at=utc(row[16]) if row[16] else None,
                history=tuple(history[row[0]]),
            )
            for row in rows
        ]


def _content(values: tuple[Any, ...]) -> AlertContent:
    original, content_type = served_original(
        bytes(values[10]) if values[10] is not None else None,
        bytes(values[8]),
        values[7],
        values[9],
    )
    return AlertContent(
        position=values[0],
        record_id=values[1],
        log_index=values[2],
        author=values[3],
        scope=Scope(Tlp(values[4]), frozenset(values[5] or ())),
        status=values[6] or "",
        body=values[7],
        original=original,
        content_type=content_type,
    )


def _recipient(row: Any) -> RecipientRow:
    return RecipientRow(
        alert_position=row.alert_position,
        participant=row.participant_code,
        notified_at=utc(row.notified_at),
        ack_due_at=utc(row.ack_due_at) if row.ack_due_at else None,
        respond_due_at=utc(row.respond_due_at) if row.respond_due_at else None,
        acknowledged_at=utc(row.acknowledged_at) if row.acknowledged_at else None,
        responded_at=utc(row.responded_at) if row.responded_at else None,
        next_check_at=utc(row.next_check_at) if row.next_check_at else None,
    )


def _outcome_name(outcome: SendOutcome) -> str:
    if outcome.delivered:
        return "delivered"
    if outcome.gone:
        return "gone"
    return "permanent" if outcome.permanent else "retry"


def _earliest(*instants: datetime | None) -> datetime | None:
    present = [i for i in instants if i is not None]
    return min(present) if present else None
