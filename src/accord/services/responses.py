"""Acknowledgements and response decisions: what each desk did with an alert.

A desk acknowledges an alert with a CAP ``Ack`` that references it, or through the API;
either way the acknowledgement is a signed record in the log, as is the response decision
that follows (monitoring, responding with what, no action with a reason, passed on to
whom). The response board puts beside them who was notified, when they had to answer by,
and which escalations fired.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.domain.alerts import cap_json
from accord.domain.alerts.threads import readable_by_author
from accord.domain.identity import Role
from accord.domain.routing.deadlines import stale_since
from accord.domain.routing.matching import routed_alert
from accord.domain.sharing import Reader, Scope, may_read
from accord.errors import InvalidInputError, NotFoundError, PermissionDeniedError, Problem
from accord.services.alerts import ALERT_RECORD_KIND
from accord.services.delivery_ports import DeliveryRow, ResponseRow
from accord.services.log import LogService
from accord.services.ports import Account, AlertRow, Clock, UnitOfWork, UnitOfWorkFactory
from accord.services.records import RecordWriter
from accord.services.routing import Routable, Router

RESPONSE_RECORD_KIND = "alert.response"
DECISIONS = {
    "monitoring": None,  # watching; nothing more needed
    "responding": "what",  # acting: say with what
    "no-action": "reason",  # deciding not to act: say why
    "passed-on": "to",  # handed to others: say to whom
}
_RESPONDING_ROLES = frozenset({Role.ADMIN, Role.FOCAL_POINT, Role.ANALYST})
_BOARD_ROLES = frozenset({Role.ADMIN, Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER})
_MAX_TEXT = 2000
_EVERYTHING = Reader(Role.ADMIN)


class ResponseService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        writer: RecordWriter,
        log: LogService,
        router: Router,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._writer = writer
        self._log = log
        self._router = router

    def on_alerts(self, uow: UnitOfWork, stored: Sequence[Routable]) -> None:
        """A CAP ``Ack`` acknowledges every held alert it references, for its author."""
        now = self._clock.now()
        for item in stored:
            if item.alert.msg_type == "Ack":
                self._record_acks(uow, item, now)

    def _record_acks(self, uow: UnitOfWork, item: Routable, at: datetime) -> int:
        """One acknowledgement per referenced alert held here; returns how many."""
        count = 0
        held = uow.alerts.referenced(item.alert.referenced_keys())
        for target in readable_by_author(item.author, held):
            if target.position >= item.position or not _tells_issuer(item, target.issuer):
                continue  # not yet held when acked (a rebuild), or hidden from its issuer
            uow.responses.add(
                ResponseRow(
                    position=item.position,
                    record_id=item.record_id,
                    alert_position=target.position,
                    participant=item.author,
                    username=None,
                    kind="acknowledge",
                    decision=None,
                    detail={"via": "cap-ack", "note": item.alert.note or ""},
                    at=at,
                )
            )
            uow.deliveries.mark_recipient(target.position, item.author, acknowledged_at=at)
            count += 1
        return count

    def rebuild(self) -> int:
        """Recompute the responses projection from the records: response records, and
        CAP Acks among the alerts. Deliveries and deadlines are state, not projections."""
        count = 0
        with self._uow() as uow:
            uow.responses.clear()
            for stored, _scope, _type, _original, body, received_at in uow.records.of_kind(
                RESPONSE_RECORD_KIND
            ):
                data = json.loads(body)
                target = uow.alerts.get(_EVERYTHING, data["alert"])
                if target is None:
                    continue
                uow.responses.add(
                    ResponseRow(
                        position=stored.position,
                        record_id=stored.record_id,
                        alert_position=target.position,
                        participant=stored.author,
                        username=data.get("by"),
                        kind=data["kind"],
                        decision=data.get("decision"),
                        detail=data.get("detail") or {},
                        at=received_at,
                    )
                )
                count += 1
            for stored, scope, _type, _original, body, received_at in uow.records.of_kind(
                ALERT_RECORD_KIND
            ):
                if json.loads(body).get("msgType") != "Ack":
                    continue
                alert = cap_json.alert_from_json(json.loads(body))
                routable = Routable(
                    stored.position, stored.record_id, alert, scope, stored.author, None
                )
                count += self._record_acks(uow, routable, received_at)
        return count

    def acknowledge(self, account: Account, record_id: str, note: str = "") -> dict[str, Any]:
        problems = _text_problems({"note": note}, "note", required=False)
        if problems:
            raise InvalidInputError("the acknowledgement is not valid", problems)
        return self._write(account, record_id, "acknowledge", None, {"note": note})

    def respond(self, account: Account, record_id: str, body: dict[str, Any]) -> dict[str, Any]:
        decision, detail = _decision(body)
        return self._write(account, record_id, "decision", decision, detail)

    def board(self, account: Account, record_id: str) -> dict[str, Any]:
        """Who was notified, who acknowledged, what each decided, what escalated."""
        _require(account, _BOARD_ROLES, "read the response board")
        with self._uow(readonly=True) as uow:
            row = _readable(uow, account, record_id)
            recipients = uow.deliveries.recipients_of(row.position)
            responses = uow.responses.of_alert(row.position)
            escalations = uow.deliveries.escalations_of(row.position)
            thread = uow.alerts.threads(account.reader, [row.thread_id]).get(row.thread_id)
        now = self._clock.now()
        stale = None
        if thread is not None and thread.state.value in ("active", "updated"):
            alert = cap_json.alert_from_json(json.loads(row.body))
            deadlines = self._router.policy.for_alert(routed_alert(alert, row.scope, row.author))
            stale = stale_since(thread.updated_at, deadlines, now)
        return {
            "alert": record_id,
            "thread": {
                "id": row.thread_id,
                "stale": stale is not None,
                "stale_since": stale.isoformat() if stale else None,
            },
            "recipients": [
                {
                    "participant": r.participant,
                    "notified_at": r.notified_at.isoformat(),
                    "acknowledge_by": _iso(r.ack_due_at),
                    "respond_by": _iso(r.respond_due_at),
                    "acknowledged_at": _iso(r.acknowledged_at),
                    "responded_at": _iso(r.responded_at),
                    "overdue": _overdue(r.ack_due_at, r.acknowledged_at, now)
                    or _overdue(r.respond_due_at, r.responded_at, now),
                    "escalations": [
                        {
                            "kind": e.kind,
                            "step": e.step,
                            "due_at": e.due_at.isoformat(),
                            "fired_at": e.fired_at.isoformat(),
                        }
                        for e in escalations
                        if e.participant == r.participant
                    ],
                }
                for r in recipients
            ],
            # Each response is a record of its own: a reader sees only those they may read.
            "responses": [_response_json(r) for r in responses if _shown(account, row, r)],
        }

    def deliveries(self, account: Account, record_id: str) -> list[dict[str, Any]]:
        """The alert's deliveries with their attempts. Endpoint addresses are private to
        their owners: a participant sees its own deliveries; an admin sees all."""
        _require(account, _BOARD_ROLES, "read deliveries")
        with self._uow(readonly=True) as uow:
            row = _readable(uow, account, record_id)
            rows = uow.deliveries.of_alert(row.position)
        if account.role is not Role.ADMIN:
            rows = [r for r in rows if r.owner is not None and r.owner == account.participant]
        return [delivery_json(r) for r in rows]

    def _write(
        self,
        account: Account,
        record_id: str,
        kind: str,
        decision: str | None,
        detail: dict[str, Any],
    ) -> dict[str, Any]:
        _require(account, _RESPONDING_ROLES, "acknowledge or respond to alerts")
        if account.participant is None:
            raise PermissionDeniedError(
                "responses are recorded for a participant; this account belongs to none"
            )
        participant = account.participant
        with self._uow() as uow:
            row = _readable(uow, account, record_id)
            draft = self._writer.draft(
                kind=RESPONSE_RECORD_KIND,
                author=participant,
                scope=_answering(row),
                body={
                    "alert": record_id,
                    "kind": kind,
                    "decision": decision,
                    "detail": detail,
                    "by": account.username,
                },
            )
            (stored,) = self._writer.write(uow, [draft])
            response = ResponseRow(
                position=stored.position,
                record_id=stored.record_id,
                alert_position=row.position,
                participant=participant,
                username=account.username,
                kind=kind,
                decision=decision,
                detail=detail,
                at=draft.received_at,
            )
            uow.responses.add(response)
            uow.deliveries.mark_recipient(
                row.position,
                participant,
                acknowledged_at=draft.received_at,
                responded_at=draft.received_at if decision else None,
            )
            self._log.sign_checkpoint(uow)
        return {**_response_json(response), "log_index": stored.log_index}


def _readable(uow: UnitOfWork, account: Account, record_id: str) -> AlertRow:
    row = uow.alerts.get(account.reader, record_id)
    if row is None:
        raise NotFoundError(f"no alert {record_id} that you may read")
    return row


def _answering(alert: AlertRow) -> Scope:
    """A response's scope: the alert's, with the alert's issuer among those named, so the
    issuer's desks (and node) read what was answered to them."""
    scope = alert.scope
    return Scope(scope.tlp, scope.audience | {alert.author}) if scope.audience else scope


def _shown(account: Account, alert: AlertRow, response: ResponseRow) -> bool:
    """Whether a reader of the board sees a response: one they may read as a record, or
    one shared exactly as the alert is (as responses were before they named the issuer)
    when they may read the alert."""
    if response.scope is None:
        return False
    if may_read(account.reader, response.scope, response.participant):
        return True
    made_here = response.detail.get("via") != "cap-ack"  # a CAP Ack's scope is its sender's
    same = response.scope == alert.scope
    return made_here and same and may_read(account.reader, alert.scope, alert.author)


def _tells_issuer(ack: Routable, issuer: str) -> bool:
    """Whether the issuer of what an Ack answers may read the Ack: one it may not read
    acknowledges nothing to it, and must not mark it on the board others read."""
    return may_read(Reader(Role.FOCAL_POINT, issuer), ack.scope, ack.author)


def _require(account: Account, roles: frozenset[Role], action: str) -> None:
    if account.role not in roles:
        raise PermissionDeniedError(f"a {account.role} may not {action}")


def _decision(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The decision and its detail, or every problem with them at once."""
    problems: list[Problem] = []
    unknown = sorted(set(body) - {"decision", "what", "reason", "to", "note"})
    problems += [Problem(f"/{k}", "UNKNOWN_FIELD", f"unknown field {k!r}") for k in unknown]
    decision = body.get("decision")
    if decision not in DECISIONS:
        problems.append(
            Problem(
                "/decision",
                "INVALID_DECISION",
                f"decision must be one of {', '.join(DECISIONS)}",
            )
        )
        raise InvalidInputError("the response is not valid", problems)
    needed = DECISIONS[decision]
    detail: dict[str, Any] = {}
    if needed == "to":
        to = body.get("to")
        if (
            not isinstance(to, list)
            or not to
            or not all(isinstance(x, str) and x.strip() and len(x) <= 200 for x in to)
        ):
            problems.append(
                Problem("/to", "REQUIRED", "passed-on needs 'to': a list of who it was passed to")
            )
        else:
            detail["to"] = [x.strip() for x in to]
    elif needed is not None:
        problems += _text_problems(body, needed, required=True, decision=decision)
        detail[needed] = str(body.get(needed, "")).strip()
    problems += _text_problems(body, "note", required=False)
    detail["note"] = str(body.get("note") or "").strip()
    if problems:
        raise InvalidInputError("the response is not valid", problems)
    return decision, detail


def _text_problems(
    body: dict[str, Any], name: str, *, required: bool, decision: str = ""
) -> list[Problem]:
    value = body.get(name)
    if value is None or value == "":
        if required:
            return [Problem(f"/{name}", "REQUIRED", f"{decision} needs '{name}'")]
        return []
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        return [Problem(f"/{name}", "INVALID_TEXT", f"{name} must be text of at most {_MAX_TEXT}")]
    return []


def _response_json(row: ResponseRow) -> dict[str, Any]:
    return {
        "record_id": row.record_id,
        "participant": row.participant,
        "by": row.username,
        "kind": row.kind,
        "decision": row.decision,
        "detail": row.detail,
        "at": row.at.isoformat(),
    }


def delivery_json(row: DeliveryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "endpoint": {
            "id": row.endpoint_id,
            "kind": row.endpoint_kind,
            "target": row.endpoint_target,
        },
        "subscription": row.subscription_id,
        "recipient": row.recipient,
        "reason": row.reason,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.state == "pending" else None,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
        "delivered_at": _iso(row.delivered_at),
        "history": list(row.history),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _overdue(due: Any, done: Any, now: Any) -> bool:
    return due is not None and done is None and due <= now
