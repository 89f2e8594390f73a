"""Escalation: when a desk does not acknowledge or respond in time, tell someone who will.

Each recipient of an alert has deadlines set by the node's policy when it was notified.
``Escalator.tick`` fires what is due — re-notify the desk, then the participant's focal
points, then the secretariat — recording each step and queuing its deliveries in one
transaction. The step's row is unique per (alert, participant, kind, step), so a step
fires exactly once, however often the worker restarts or ticks.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from accord.domain.identity import Role
from accord.domain.routing.deadlines import Deadlines, Escalation, Step, due_escalations, next_due
from accord.domain.sharing import may_read
from accord.services.delivery_ports import (
    AlertContent,
    EscalationRow,
    NewDelivery,
    RecipientRow,
    SubscriptionRow,
)
from accord.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from accord.services.routing import Router, message_id

BATCH = 200


class _Ladder(TypedDict):
    """Where a recipient stands: what both ladder functions are asked about."""

    notified_at: datetime
    deadlines: Deadlines
    acknowledged_at: datetime | None
    responded_at: datetime | None
    now: datetime


class Escalator:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, router: Router, secretariat: str | None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._router = router
        self._secretariat = secretariat

    def tick(self) -> int:
        """Fire every escalation due now; returns how many steps fired."""
        now = self._clock.now()
        fired = 0
        with self._uow() as uow:
            for recipient in uow.deliveries.due_recipients(now, BATCH):
                fired += self._check(uow, recipient, now)
        return fired

    def _check(self, uow: UnitOfWork, recipient: RecipientRow, now: datetime) -> int:
        done = frozenset(
            (row.kind, Step(row.step))
            for row in uow.deliveries.escalations_of(recipient.alert_position)
            if row.participant == recipient.participant
        )
        ladder = _Ladder(
            notified_at=recipient.notified_at,
            deadlines=_deadlines(recipient),
            acknowledged_at=recipient.acknowledged_at,
            responded_at=recipient.responded_at,
            now=now,
        )
        steps = due_escalations(**ladder, fired=done)
        fired = 0
        content = uow.deliveries.alert_content(recipient.alert_position) if steps else None
        for step in steps:
            row = EscalationRow(
                recipient.alert_position,
                recipient.participant,
                step.kind,
                step.step.value,
                step.due_at,
                now,
            )
            if content is not None and uow.deliveries.add_escalation(row):
                uow.deliveries.add(self._notices(uow, recipient, step, content), now)
                fired += 1
        done |= {(step.kind, step.step) for step in steps}
        uow.deliveries.set_next_check(
            recipient.alert_position,
            recipient.participant,
            next_due(**ladder, fired=done),
        )
        return fired

    def _notices(
        self,
        uow: UnitOfWork,
        recipient: RecipientRow,
        step: Escalation,
        content: AlertContent,
    ) -> list[NewDelivery]:
        """Deliveries for one step: the desk's own endpoints again, or the endpoints of
        the people the step escalates to — only those who may read the alert."""
        reason = f"{step.kind}-{step.step.value}"
        detail = {
            "escalation": {
                "kind": step.kind,
                "step": step.step.value,
                "participant": recipient.participant,
                "due_at": step.due_at.isoformat(),
            }
        }
        if step.step is Step.RENOTIFY:
            endpoint_ids = uow.deliveries.endpoints_notified(
                recipient.alert_position, recipient.participant
            )
        else:
            endpoint_ids = sorted(
                endpoint.id
                for row in self._router.subscriptions(uow).values()
                if self._escalates_to(row, step.step, recipient.participant)
                and may_read(row.reader, content.scope, content.author)
                for endpoint in row.endpoints
                if endpoint.state == "active"
            )
        return [
            NewDelivery(
                message_id(content.record_id, endpoint_id, reason),
                endpoint_id,
                recipient.alert_position,
                recipient.participant,
                "escalation" if step.step is not Step.RENOTIFY else "renotify",
                detail,
            )
            for endpoint_id in endpoint_ids
        ]

    def _escalates_to(self, row: SubscriptionRow, step: Step, participant: str) -> bool:
        if step is Step.FOCAL_POINT:
            return row.role is Role.FOCAL_POINT and row.participant == participant
        return self._secretariat is not None and row.participant == self._secretariat


def _deadlines(recipient: RecipientRow) -> Deadlines:
    """The recipient's deadlines as durations from when it was notified."""
    return Deadlines(
        acknowledge=recipient.ack_due_at - recipient.notified_at if recipient.ack_due_at else None,
        respond=recipient.respond_due_at - recipient.notified_at
        if recipient.respond_due_at
        else None,
        update_every=None,
    )
