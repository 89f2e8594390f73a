"""The node's answer-time policy: acknowledge and respond deadlines by urgency × severity,
how often an open thread must be updated, and the escalation ladder when nobody answers.

Durations are whole minutes in the JSON form (``{"acknowledge": 15, "respond": 60}``);
``null`` means no deadline. The defaults follow a plain reading of CAP's own words:
"Immediate" means act now, so an Extreme one must be seen within a quarter of an hour;
"Expected" (within the hour) leaves an hour to acknowledge; "Future" a day; "Past" and
"Unknown" urgency, and Minor or Unknown severity, set no deadline at all — they inform,
they do not summon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from accord.domain.alerts.cap import SEVERITIES, SEVERITY_RANK, URGENCIES, URGENCY_RANK
from accord.errors import InvalidInputError, Problem

ACKNOWLEDGE = "acknowledge"
RESPOND = "respond"


@dataclass(frozen=True, slots=True)
class Deadlines:
    acknowledge: timedelta | None
    respond: timedelta | None
    update_every: timedelta | None


NONE = Deadlines(None, None, None)


def _m(minutes: int | None) -> timedelta | None:
    return timedelta(minutes=minutes) if minutes is not None else None


# (urgency, severity) -> (acknowledge, respond), in minutes.
_DEFAULT_TABLE: dict[tuple[str, str], tuple[int | None, int | None]] = {
    ("Immediate", "Extreme"): (15, 60),
    ("Immediate", "Severe"): (30, 120),
    ("Immediate", "Moderate"): (240, 1440),
    ("Expected", "Extreme"): (60, 240),
    ("Expected", "Severe"): (60, 240),
    ("Expected", "Moderate"): (240, 1440),
    ("Future", "Extreme"): (1440, None),
    ("Future", "Severe"): (1440, None),
    ("Future", "Moderate"): (1440, None),
}
# Open threads must be updated at least this often (minutes), by the strongest urgency.
_DEFAULT_CADENCE: dict[str, int] = {"Immediate": 360, "Expected": 720, "Future": 1440}


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    table: Mapping[tuple[str, str], tuple[timedelta | None, timedelta | None]]
    update_every: Mapping[str, timedelta]

    def for_alert(self, alert: Any) -> Deadlines:
        """Deadlines for a routed alert (anything with ``infos`` carrying urgency and
        severity ranks), from its most pressing info block."""
        infos = getattr(alert, "infos", ())
        if not infos:
            return NONE
        strongest = min(infos, key=lambda i: (i.urgency_rank, i.severity_rank))
        urgency = _name(URGENCIES, strongest.urgency_rank)
        severity = _name(SEVERITIES, strongest.severity_rank)
        acknowledge, respond = self.table.get((urgency, severity), (None, None))
        return Deadlines(acknowledge, respond, self.update_every.get(urgency))


def _name(values: tuple[str, ...], rank: int) -> str:
    return values[rank] if 0 <= rank < len(values) else "Unknown"


DEFAULT_POLICY = DeadlinePolicy(
    table={key: (_m(a), _m(r)) for key, (a, r) in _DEFAULT_TABLE.items()},
    update_every={u: timedelta(minutes=m) for u, m in _DEFAULT_CADENCE.items()},
)


def policy_to_json(policy: DeadlinePolicy) -> dict[str, Any]:
    return {
        "deadlines": [
            {
                "urgency": u,
                "severity": s,
                ACKNOWLEDGE: _minutes(a),
                RESPOND: _minutes(r),
            }
            for (u, s), (a, r) in sorted(
                policy.table.items(),
                key=lambda kv: (URGENCY_RANK[kv[0][0]], SEVERITY_RANK[kv[0][1]]),
            )
        ],
        "update_every": {u: _minutes(d) for u, d in policy.update_every.items()},
    }


def policy_from_json(data: object) -> DeadlinePolicy:
    problems: list[Problem] = []
    if not isinstance(data, dict) or set(data) - {"deadlines", "update_every"}:
        raise InvalidInputError(
            "the deadline policy is not valid",
            [Problem("", "INVALID_POLICY", 'an object with "deadlines" and "update_every"')],
        )
    table: dict[tuple[str, str], tuple[timedelta | None, timedelta | None]] = {}
    rows = data.get("deadlines", [])
    if not isinstance(rows, list):
        problems.append(Problem("deadlines", "INVALID_LIST", "deadlines must be a list"))
        rows = []
    for index, row in enumerate(rows):
        at = f"deadlines[{index}]"
        if not isinstance(row, dict):
            problems.append(Problem(at, "INVALID_ROW", "each deadline row is an object"))
            continue
        urgency, severity = row.get("urgency"), row.get("severity")
        if urgency not in URGENCIES:
            problems.append(Problem(f"{at}.urgency", "UNKNOWN_VALUE", "a CAP urgency"))
        if severity not in SEVERITIES:
            problems.append(Problem(f"{at}.severity", "UNKNOWN_VALUE", "a CAP severity"))
        durations = [_duration(row.get(k), f"{at}.{k}", problems) for k in (ACKNOWLEDGE, RESPOND)]
        if urgency in URGENCIES and severity in SEVERITIES:
            table[(str(urgency), str(severity))] = (durations[0], durations[1])
    cadence: dict[str, timedelta] = {}
    raw = data.get("update_every", {})
    if not isinstance(raw, dict):
        problems.append(Problem("update_every", "INVALID", "update_every maps urgency to minutes"))
        raw = {}
    for urgency, minutes in raw.items():
        if urgency not in URGENCIES:
            problems.append(Problem(f"update_every.{urgency}", "UNKNOWN_VALUE", "a CAP urgency"))
        duration = _duration(minutes, f"update_every.{urgency}", problems)
        if duration is not None and urgency in URGENCIES:
            cadence[urgency] = duration
    if problems:
        raise InvalidInputError("the deadline policy is not valid", problems)
    return DeadlinePolicy(table, cadence)


def _duration(value: object, at: str, problems: list[Problem]) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60 * 24 * 30:
        problems.append(Problem(at, "INVALID_MINUTES", "whole minutes from 1 to 43200, or null"))
        return None
    return timedelta(minutes=value)


def _minutes(value: timedelta | None) -> int | None:
    return int(value.total_seconds() // 60) if value is not None else None


class Step(StrEnum):
    RENOTIFY = "renotify"
    FOCAL_POINT = "focal-point"
    SECRETARIAT = "secretariat"


@dataclass(frozen=True, slots=True)
class Escalation:
    kind: str  # acknowledge | respond
    step: Step
    due_at: datetime


# The ladders, as multiples of the deadline: an unacknowledged alert is re-sent to the
# desk when its deadline passes, then goes to the participant's focal points at twice the
# deadline and to the secretariat at three times; a missing response decision goes to the
# focal points when due and to the secretariat at twice the deadline.
_LADDERS: dict[str, tuple[tuple[Step, int], ...]] = {
    ACKNOWLEDGE: ((Step.RENOTIFY, 1), (Step.FOCAL_POINT, 2), (Step.SECRETARIAT, 3)),
    RESPOND: ((Step.FOCAL_POINT, 1), (Step.SECRETARIAT, 2)),
}


def _ladder(
    notified_at: datetime,
    deadlines: Deadlines,
    acknowledged_at: datetime | None,
    responded_at: datetime | None,
) -> list[Escalation]:
    """Every step that fires unless the desk answers first, in time order."""
    steps = []
    for kind, deadline, answered in (
        (ACKNOWLEDGE, deadlines.acknowledge, acknowledged_at),
        (RESPOND, deadlines.respond, responded_at),
    ):
        if deadline is None:
            continue
        for step, multiple in _LADDERS[kind]:
            due = notified_at + deadline * multiple
            if answered is None or answered > due:
                steps.append(Escalation(kind, step, due))
    return sorted(steps, key=lambda e: (e.due_at, e.kind))


def due_escalations(
    *,
    notified_at: datetime,
    deadlines: Deadlines,
    acknowledged_at: datetime | None,
    responded_at: datetime | None,
    now: datetime,
    fired: frozenset[tuple[str, Step]],
) -> list[Escalation]:
    """The steps due by ``now`` that have not fired yet. A step whose due time passed
    before the desk answered still fires (the answer came too late for it)."""
    return [
        e
        for e in _ladder(notified_at, deadlines, acknowledged_at, responded_at)
        if e.due_at <= now
        and (e.kind, e.step) not in fired
        and not _answered_before(e, acknowledged_at, responded_at, now)
    ]


def _answered_before(
    e: Escalation, acknowledged_at: datetime | None, responded_at: datetime | None, now: datetime
) -> bool:
    """An answer recorded by now stops the steps that were not yet due when it came."""
    answered = acknowledged_at if e.kind == ACKNOWLEDGE else responded_at
    return answered is not None and answered <= e.due_at


def next_due(
    *,
    notified_at: datetime,
    deadlines: Deadlines,
    acknowledged_at: datetime | None,
    responded_at: datetime | None,
    now: datetime,
    fired: frozenset[tuple[str, Step]],
) -> datetime | None:
    """When to look again: the earliest step still to fire, or None when none is left."""
    pending = [
        e.due_at
        for e in _ladder(notified_at, deadlines, acknowledged_at, responded_at)
        if (e.kind, e.step) not in fired
    ]
    return min(pending) if pending else None


def stale_since(last_message_at: datetime, deadlines: Deadlines, now: datetime) -> datetime | None:
    """When an open thread went stale (no Update within its cadence), if it has."""
    if deadlines.update_every is None:
        return None
    due = last_message_at + deadlines.update_every
    return due if due <= now else None
