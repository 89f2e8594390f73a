"""What the engine reports: a verdict per duty, and the flags a new fact raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from accord.domain.agreements.duties import Duty, DutyKey, Status, late_by, status_of
from accord.domain.agreements.model import Agreement, Obligation
from accord.domain.agreements.periods import describe

_SHORT = frozenset({Status.LATE, Status.MISSED})
_verdict = tuple.__new__  # Verdict(...) without its Python-level __new__: judged by the million


class Verdict(NamedTuple):
    """How one duty stands at a given time (a named tuple, like Duty, for speed)."""

    agreement: str
    obligation: str
    rule: str
    tier: int
    participant: str
    period: str  # the duty's subject: its period ("2027") or trigger ("request/<id>")
    status: Status
    due: datetime | None
    done_at: datetime | None
    late_by: float | None  # seconds, when late
    evidence: tuple[str, ...]  # record ids
    detail: str
    arose_at: datetime

    @property
    def key(self) -> DutyKey:
        return DutyKey(self.agreement, self.obligation, self.participant, self.period)


@dataclass(frozen=True, slots=True)
class Flag:
    """A new fact shows an obligation broken or fulfilled short: the fact is accepted (a
    late notice is still a notice) and the flag says which obligation and why."""

    record_id: str  # the fact that raised it
    agreement: str
    obligation: str
    rule: str
    participant: str  # who owes the duty
    period: str
    status: Status  # late or missed; met when only incomplete
    reason: str
    source: str  # where the obligation comes from, e.g. "VD11 V (38)"


def judge(agreement: Agreement, obligation: Obligation, duty: Duty, now: datetime) -> Verdict:
    status = status_of(duty, now)
    detail = duty.detail
    if duty.defects:
        detail = "; ".join((detail, *("incomplete: " + d for d in duty.defects)))
    return _verdict(
        Verdict,
        (
            agreement.name,
            obligation.id,
            obligation.rule,
            obligation.tier,
            duty.participant,
            duty.subject,
            status,
            duty.due,
            duty.done_at,
            late_by(duty) if status is Status.LATE else None,
            duty.evidence,
            detail,
            duty.arose_at,
        ),
    )


def flag(record_id: str, obligation: Obligation, duty: Duty, verdict: Verdict) -> Flag | None:
    """The flag ``verdict`` raises, if its duty is late, missed or fulfilled incompletely."""
    if verdict.status not in _SHORT and not duty.defects:
        return None
    late = ""
    if verdict.late_by is not None:
        late = f"late by {describe(timedelta(seconds=verdict.late_by))}: "
    return Flag(
        record_id,
        verdict.agreement,
        verdict.obligation,
        verdict.rule,
        verdict.participant,
        verdict.period,
        verdict.status,
        f"{late}{verdict.detail}",
        obligation.source,
    )
