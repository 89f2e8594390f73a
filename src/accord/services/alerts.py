"""Use cases for alerts: accept CAP messages as records, and read them back within scope.

Parsing and validation happen before a message reaches these use cases (the CAP adapter
does that); here a valid message becomes a record — envelope, sequence number, original
bytes — and the alert projection is updated in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from accord.domain.alerts import cap_json
from accord.domain.alerts.cap import Alert
from accord.domain.alerts.facts import facts_of
from accord.domain.alerts.threads import state_at
from accord.domain.identity import ISSUING_ROLES
from accord.domain.sharing import Reader, Scope, scope_for_alert
from accord.errors import (
    AccordError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)
from accord.ledger.canonical import canonical_json
from accord.ledger.records import Envelope, body_digest
from accord.services.ports import (
    Account,
    AlertQuery,
    AlertRow,
    Clock,
    ThreadRow,
    UnitOfWork,
    UnitOfWorkFactory,
)

ALERT_RECORD_KIND = "cap.alert"


@dataclass(frozen=True, slots=True)
class IncomingAlert:
    """A message that passed CAP validation, as received."""

    alert: Alert
    original: bytes
    content_type: str
    signature_status: str = "unsigned"
    signature_detail: str = ""
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Receipt:
    record_id: str
    position: int
    author: str
    seq: int
    is_duplicate: bool
    scope: Scope
    warnings: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class AlertView:
    row: AlertRow
    thread: ThreadRow | None


class AlertService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def issue(
        self,
        account: Account,
        items: list[IncomingAlert],
        *,
        tlp: list[str | None],
        audience: list[list[str] | None],
    ) -> list[Receipt | AccordError]:
        """Accept each message in ``items``, in one transaction.

        Each item stands alone: one that is refused (bad scope, or a different message
        under an existing CAP key) comes back as its error and writes nothing; the others
        are committed together.
        """
        author = _issuer(account)
        results: list[Receipt | AccordError] = []
        with self._uow() as uow:
            known = uow.identity.participant_codes()
            for item, level, members in zip(items, tlp, audience, strict=True):
                try:
                    scope = scope_for_alert(item.alert.scope, level, members, known)
                    results.append(self._issue_one(uow, author, item, scope))
                except (InvalidInputError, ConflictError) as exc:
                    results.append(exc)
        return results

    def _issue_one(
        self, uow: UnitOfWork, author: str, item: IncomingAlert, scope: Scope
    ) -> Receipt:
        alert = item.alert
        mapping = cap_json.alert_to_json(alert)
        body = canonical_json(mapping).decode("utf-8")
        digest = body_digest(mapping)
        content = _content_digest(mapping)
        existing = uow.alerts.find_by_key(alert.key)
        if existing is not None:
            stored, existing_content = existing
            if existing_content != content:
                raise ConflictError(
                    f"message {alert.key} already exists with different content; "
                    "CAP requires a new identifier or sent time for a new message"
                )
            return Receipt(
                stored.record_id, stored.position, stored.author, stored.seq, True, scope, ()
            )
        now = self._clock.now()
        envelope = Envelope(
            kind=ALERT_RECORD_KIND,
            author=author,
            seq=uow.records.next_seq(author),
            created_at=now,
            scope=scope.to_json(),
            body_digest=digest,
        )
        record = uow.records.append(
            envelope,
            received_at=now,
            content_type=item.content_type,
            original=item.original,
            body=body,
        )
        thread_id = uow.alerts.thread_of(alert.referenced_keys()) or record.position
        uow.alerts.project(
            record,
            alert=alert,
            facts=facts_of(alert),
            scope=scope,
            thread_id=thread_id,
            received_at=now,
            content_digest=content,
            signature=(item.signature_status, item.signature_detail),
        )
        return Receipt(
            record.record_id, record.position, author, record.seq, False, scope, item.warnings
        )

    def search(self, reader: Reader, query: AlertQuery) -> list[AlertView]:
        with self._uow(readonly=True) as uow:
            rows = uow.alerts.search(reader, query)
            threads = uow.alerts.threads(sorted({row.thread_id for row in rows}))
        return [AlertView(row, threads.get(row.thread_id)) for row in rows]

    def get(self, reader: Reader, record_id: str) -> AlertView:
        """One alert the reader may see; others are "not found", never "forbidden", so that
        a reader cannot learn that a message outside their scope exists."""
        with self._uow(readonly=True) as uow:
            row = uow.alerts.get(reader, record_id)
            thread = uow.alerts.thread(row.thread_id) if row else None
        if row is None:
            raise NotFoundError(f"no alert {record_id} that you may read")
        return AlertView(row, thread)

    def thread_state(self, view: AlertView) -> str | None:
        if view.thread is None:
            return None
        return state_at(view.thread.state, view.thread.expires_at, self._clock.now()).value


def alert_json(view: AlertView, state: str | None) -> dict[str, Any]:
    """The API's JSON for one alert: record metadata beside the CAP JSON mapping."""
    row = view.row
    return {
        "record_id": row.record_id,
        "position": row.position,
        "author": row.author,
        "seq": row.seq,
        "scope": row.scope.to_json(),
        "received_at": row.received_at.isoformat(),
        "thread": {"id": row.thread_id, "state": state},
        "signature": {"status": row.signature_status, "detail": row.signature_detail},
        "alert": json.loads(row.body),
    }


def _content_digest(mapping: dict[str, Any]) -> str:
    """What makes two copies the same CAP message: everything but XML-DSig signatures, so
    an issuer's signed and unsigned copies of one alert are one message."""
    return body_digest({key: value for key, value in mapping.items() if key != "signature"})


def _issuer(account: Account) -> str:
    if account.role not in ISSUING_ROLES:
        raise PermissionDeniedError(f"a {account.role} may not issue alerts")
    if account.participant is None:
        raise PermissionDeniedError(
            "alerts are issued on behalf of a participant; this account belongs to none"
        )
    return account.participant
