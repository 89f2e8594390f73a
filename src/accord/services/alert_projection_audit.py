"""The self-audit's check of the alert projection against the signed records.

Readers are served from the projection (``alerts``) and the records' scope columns, not
from the log: an operator who changed a row there (an AMBER alert made CLEAR, another
author, another thread) would change what readers get without touching a signed byte. This
check replays the alert records in order with the rules the live projection uses (the
scope and author each envelope signs, the thread rule of ``domain.alerts.threads``) and
names every row that differs; ``accord rebuild`` recomputes the projection from the same
records, repairing them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from accord.domain.alerts import cap_json
from accord.domain.alerts.cap import MessageKey
from accord.domain.alerts.facts import latest_expiry
from accord.domain.alerts.threads import Referenced, thread_to_join
from accord.domain.senders import Registration, in_force
from accord.domain.sharing import Scope
from accord.errors import AccordError
from accord.ledger.audit import Finding
from accord.ledger.canonical import sha256_hex
from accord.services.alerts import is_projected
from accord.services.ports import ProjectedAlert, StoredRecord, UnitOfWork

ALERT_RECORD_KIND = "cap.alert"


@dataclass
class _Replay:
    """The projection as the signed records say it should be, built in log order."""

    by_key: dict[MessageKey, list[Referenced]] = field(default_factory=dict)
    expected: dict[int, ProjectedAlert] = field(default_factory=dict)

    registrations: list[tuple[str, Registration]] = field(default_factory=list)

    def add(self, stored: StoredRecord, scope: Scope, body: str, received_at: datetime) -> None:
        position, record_id, author = stored.position, stored.record_id, stored.author
        alert = cap_json.alert_from_json(json.loads(body))
        registered = in_force(self.registrations, received_at)
        if not is_projected(author, stored.log_index, alert, body, self.by_key, registered):
            return
        referenced = sorted(
            (ref for key in alert.referenced_keys() for ref in self.by_key.get(key, ())),
            key=lambda ref: ref.position,
        )
        joined = thread_to_join(author, alert.msg_type, referenced)
        thread, issuer = (position, author) if joined is None else (joined.thread_id, joined.issuer)
        self.by_key.setdefault(alert.key, []).append(
            Referenced(position, record_id, thread, issuer, author, scope, alert.key)
        )
        message = (
            alert.msg_type,
            alert.status,
            alert.sender,
            alert.identifier,
            alert.sent_at,
            latest_expiry(alert),
        )
        self.expected[position] = ProjectedAlert(
            position, record_id, author, scope, thread, message
        )


def check_alert_projection(
    uow: UnitOfWork, should_stop: Callable[[], bool] = lambda: False
) -> list[Finding]:
    """Every difference between the stored alert projection (and the records' scope
    columns) and what the signed alert records say."""
    replay = _Replay(registrations=uow.identity.senders())
    findings: list[Finding] = []
    for stored, signed, _type, _original, body, received_at in uow.records.of_kind(
        ALERT_RECORD_KIND
    ):
        if should_stop():
            break
        try:
            replay.add(stored, signed, body, received_at)
        except (AccordError, ValueError, KeyError, TypeError) as exc:
            findings.append(Finding("PROJECTION_UNREADABLE", f"record {stored.record_id}: {exc}"))
    projected = uow.alerts.projected()
    for position, expected in replay.expected.items():
        findings += _compare(expected, projected.pop(position, None))
    findings += [
        Finding(
            "PROJECTION_EXTRA",
            f"alert row {row.record_id} is shown, but the signed records and the sender "
            "registrations say it should not be",
        )
        for row in projected.values()
    ]
    return findings


def check_record_scopes(
    uow: UnitOfWork, should_stop: Callable[[], bool] = lambda: False
) -> list[Finding]:
    """Every record, of any kind, whose signed entry is gone, altered or unreadable, or
    whose scope columns (which every read path filters on, the log's entries included)
    differ from the scope its entry signs. A replicated record is in no local log, so this
    is what vouches for it here."""
    findings = []
    for count, (record_id, stored, signed, entry) in enumerate(uow.records.scope_columns()):
        if count % 1000 == 0 and should_stop():
            break
        where = f"record {record_id}"
        if entry is None:
            findings.append(Finding("ENTRY_MISSING", f"{where} has no signed entry"))
        elif sha256_hex(entry) != record_id:
            findings.append(Finding("ENTRY_ALTERED", f"{where}: its entry does not hash to it"))
        elif signed is None:
            findings.append(Finding("ENTRY_MALFORMED", f"{where}: its entry does not open"))
        elif stored != signed:
            findings.append(_differs("RECORD_SCOPE", record_id, "stored scope", stored))
    return findings


def _compare(expected: ProjectedAlert, held: ProjectedAlert | None) -> list[Finding]:
    where = f"record {expected.record_id}"
    if held is None:
        return [Finding("PROJECTION_MISSING", f"{where} is not projected")]
    found = []
    if held.author != expected.author:
        found.append(Finding("PROJECTION_AUTHOR", f"{where}: shown as {held.author}'s"))
    if held.scope != expected.scope:
        found.append(
            _differs("PROJECTION_SCOPE", expected.record_id, "projected scope", held.scope)
        )
    if held.message != expected.message:
        found.append(
            Finding(
                "PROJECTION_MESSAGE",
                f"{where}: its projected msgType, status, key or expiry "
                f"{_shown(held.message)} is not the signed {_shown(expected.message)}",
            )
        )
    if held.thread_id != expected.thread_id:
        found.append(
            Finding(
                "PROJECTION_THREAD",
                f"{where}: in thread {held.thread_id}, the signed records put it in "
                f"{expected.thread_id}",
            )
        )
    return found


def _shown(message: tuple[object, ...]) -> str:
    return "(" + ", ".join(str(part) for part in message) + ")"


def _differs(code: str, record_id: str, what: str, scope: Scope) -> Finding:
    shown = scope.tlp.value + (f" to {','.join(sorted(scope.audience))}" if scope.audience else "")
    return Finding(code, f"record {record_id}: the {what} ({shown}) is not the signed one")
