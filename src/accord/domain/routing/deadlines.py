"""The node's answer-time policy: acknowledge and respond deadlines by urgency × severity,
how often an open thread must be updated, and the escalation ladder when nobody answers.

The JSON form (``ACCORD_DEADLINE_POLICY``, docs/delivery.md) gives durations as whole
minutes, ``null`` meaning no deadline::

    {"deadlines": [{"urgency": "Immediate", "severity": "Extreme",
                    "acknowledge": 15, "respond": 60}, ...],
     "update_every": {"Immediate": 360, "Expected": 720, "Future": 1440}}

Minutes rather than ISO-8601 durations because operators edit this file by hand and
nobody sets a deadline in seconds or months; a pair missing from the table sets no
deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from accord.domain.alerts.cap import SEVERITIES, SEVERITY_RANK, URGENCIES, URGENCY_RANK
from accord.domain.routing.matching import RoutedAlert, RoutedInfo
from accord.errors import InvalidInputError, Problem

ACKNOWLEDGE = "acknowledge"
RESPOND = "respond"
MAX_MINUTES = 60 * 24 * 30  # a month: anything longer is not a deadline


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Durations from the moment a desk is notified; None: no such deadline."""

    acknowledge: timedelta | None
    respond: timedelta | None
    update_every: timedelta | None


NO_DEADLINES = Deadlines(None, None, None)

# (urgency, severity) -> (acknowledge within, decide a response within).
# CAP's own words set the pace: "Immediate" means act now, so an Extreme one must be seen
# within a quarter of an hour and answered within the hour, a Severe one in twice that;
# "Expected" (within the next hour) leaves an hour to acknowledge and four to decide;
# Moderate threats are for the working day (4 h / 24 h) whether immediate or expected;
# "Future" events must be seen within a day, and what to do about them is decided as they
# approach, so there is no response deadline. Minor and Unknown severity, and Past and
# Unknown urgency, inform rather than summon: they are left out, so they set no deadline.
_DEFAULT_TABLE: dict[tuple[str, str], tuple[timedelta | None, timedelta | None]] = {
    ("Immediate", "Extreme"): (timedelta(minutes=15), timedelta(hours=1)),
    ("Immediate", "Severe"): (timedelta(minutes=30), timedelta(hours=2)),
    ("Immediate", "Moderate"): (timedelta(hours=4), timedelta(hours=24)),
    ("Expected", "Extreme"): (timedelta(hours=1), timedelta(hours=4)),
    ("Expected", "Severe"): (timedelta(hours=1), timedelta(hours=4)),
    ("Expected", "Moderate"): (timedelta(hours=4), timedelta(hours=24)),
    ("Future", "Extreme"): (timedelta(hours=24), None),
    ("Future", "Severe"): (timedelta(hours=24), None),
    ("Future", "Moderate"): (timedelta(hours=24), None),
}
# An open thread whose issuer has said nothing new for this long is flagged stale: an
# imminent threat changes by the hour, so a shift (6 h) without an Update is suspicious;
# expected ones get half a day, future ones a day. Past and Unknown urgency: never stale.
_DEFAULT_CADENCE: dict[str, timedelta] = {
    "Immediate": timedelta(hours=6),
    "Expected": timedelta(hours=12),
    "Future": timedelta(hours=24),
}


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """Deadlines by (urgency, severity); a pair missing from ``table`` sets none."""

    table: Mapping[tuple[str, str], tuple[timedelta | None, timedelta | None]]
    update_every: Mapping[str, timedelta]  # by CAP urgency

    def for_info(self, info: RoutedInfo) -> Deadlines:
        urgency = _name(URGENCIES, info.urgency_rank)
        severity = _name(SEVERITIES, info.severity_rank)
        acknowledge, respond = self.table.get((urgency, severity), (None, None))
        return Deadlines(acknowledge, respond, self.update_every.get(urgency))

    def for_alert(self, alert: RoutedAlert) -> Deadlines:
        """The most pressing demands of the alert's info blocks: each deadline is the
        shortest that any block sets. (Choosing one "strongest" block would let an
        Immediate but Minor block hide the deadlines of an Expected, Extreme one.) An
        alert with no info block sets none."""
        each = [self.for_info(info) for info in alert.infos]
        return Deadlines(
            _shortest(d.acknowledge for d in each),
            _shortest(d.respond for d in each),
            _shortest(d.update_every for d in each),
        )


def _name(values: tuple[str, ...], rank: int) -> str:
    return values[rank] if 0 <= rank < len(values) else "Unknown"


def _shortest(durations: Iterable[timedelta | None]) -> timedelta | None:
    present = [d for d in durations if d is not None]
    return min(present) if present else None


DEFAULT_POLICY = DeadlinePolicy(
    table=MappingProxyType(_DEFAULT_TABLE), update_every=MappingProxyType(_DEFAULT_CADENCE)
)


def policy_to_json(policy: DeadlinePolicy) -> dict[str, Any]:
    """The file form, rows in CAP order; ``policy_from_json`` reads it back equal (for
    policies in whole minutes, which is all the file form can express)."""
    rows = sorted(policy.table.items(), key=lambda kv: (_order(kv[0][0]), _order(kv[0][1])))
    return {
        "deadlines": [
            {"urgency": u, "severity": s, ACKNOWLEDGE: _minutes(a), RESPOND: _minutes(r)}
            for (u, s), (a, r) in rows
        ],
        "update_every": {
            u: _minutes(d)
            for u, d in sorted(policy.update_every.items(), key=lambda kv: _order(kv[0]))
        },
    }


def _order(value: str) -> int:
    return URGENCY_RANK.get(value, SEVERITY_RANK.get(value, len(URGENCIES)))


def policy_from_json(data: object) -> DeadlinePolicy:
    """Read a policy file's content; raises InvalidInputError listing every problem, each
    located like ``deadlines[2].respond`` or ``update_every.Immediate``."""
    if not isinstance(data, dict):
        raise InvalidInputError(
            "the deadline policy is not valid",
            [Problem("", "INVALID_POLICY", 'an object with "deadlines" and "update_every"')],
        )
    problems = [
        Problem(str(key), "UNKNOWN_FIELD", f"unknown field {key!r}")
        for key in sorted(map(str, data))
        if key not in ("deadlines", "update_every")
    ]
    table = _table(data.get("deadlines", []), problems)
    cadence = _cadence(data.get("update_every", {}), problems)
    if problems:
        raise InvalidInputError("the deadline policy is not valid", problems)
    return DeadlinePolicy(table, cadence)


def _table(
    rows: object, problems: list[Problem]
) -> dict[tuple[str, str], tuple[timedelta | None, timedelta | None]]:
    table: dict[tuple[str, str], tuple[timedelta | None, timedelta | None]] = {}
    if not isinstance(rows, list):
        problems.append(Problem("deadlines", "INVALID_LIST", "deadlines must be a list"))
        return table
    for index, row in enumerate(rows):
        at = f"deadlines[{index}]"
        if not isinstance(row, dict):
            problems.append(Problem(at, "INVALID_ROW", "each deadline row is an object"))
            continue
        problems += [
            Problem(f"{at}.{key}", "UNKNOWN_FIELD", f"unknown field {key!r}")
            for key in sorted(map(str, row))
            if key not in ("urgency", "severity", ACKNOWLEDGE, RESPOND)
        ]
        urgency, severity = row.get("urgency"), row.get("severity")
        if urgency not in URGENCIES:
            problems.append(
                Problem(f"{at}.urgency", "UNKNOWN_VALUE", f"one of {', '.join(URGENCIES)}")
            )
        if severity not in SEVERITIES:
            problems.append(
                Problem(f"{at}.severity", "UNKNOWN_VALUE", f"one of {', '.join(SEVERITIES)}")
            )
        acknowledge = _duration(row.get(ACKNOWLEDGE), f"{at}.{ACKNOWLEDGE}", problems)
        respond = _duration(row.get(RESPOND), f"{at}.{RESPOND}", problems)
        if isinstance(urgency, str) and isinstance(severity, str):
            if (urgency, severity) in table:
                problems.append(
                    Problem(at, "DUPLICATE_ROW", f"a second row for {urgency} × {severity}")
                )
            table[(urgency, severity)] = (acknowledge, respond)
    return table


def _cadence(raw: object, problems: list[Problem]) -> dict[str, timedelta]:
    cadence: dict[str, timedelta] = {}
    if not isinstance(raw, dict):
        problems.append(
            Problem("update_every", "INVALID_CADENCE", "an object mapping urgency to minutes")
        )
        return cadence
    for urgency, minutes in raw.items():
        at = f"update_every.{urgency}"
        if urgency not in URGENCIES:
            problems.append(Problem(at, "UNKNOWN_VALUE", f"one of {', '.join(URGENCIES)}"))
        duration = _duration(minutes, at, problems)
        if duration is not None and urgency in URGENCIES:
            cadence[str(urgency)] = duration
    return cadence


def _duration(value: object, at: str, problems: list[Problem]) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        problems.append(
            Problem(at, "INVALID_MINUTES", f"whole minutes from 1 to {MAX_MINUTES}, or null")
        )
        return None
    return timedelta(minutes=value)


def _minutes(value: timedelta | None) -> int | None:
    return int(value.total_seconds() // 60) if value is not None else None


class Step(StrEnum):
    RENOTIFY = "renotify"  # the desk's own endpoints again
    FOCAL_POINT = "focal-point"  # the notified participant's focal points
    SECRETARIAT = "secretariat"  # the regional secretariat


@dataclass(frozen=True, slots=True)
class Escalation:
    kind: str  # ACKNOWLEDGE or RESPOND
    step: Step
    due_at: datetime


# The ladders, as multiples of the deadline: an unacknowledged alert is sent to the desk
# again when its deadline passes, to the participant's focal points at twice the deadline
# and to the secretariat at three times; a missing response decision goes to the focal
# points when due and to the secretariat at twice the deadline.
_LADDERS: dict[str, tuple[tuple[Step, int], ...]] = {
    ACKNOWLEDGE: ((Step.RENOTIFY, 1), (Step.FOCAL_POINT, 2), (Step.SECRETARIAT, 3)),
    RESPOND: ((Step.FOCAL_POINT, 1), (Step.SECRETARIAT, 2)),
}


def _ladder(
    notified_at: datetime,
    deadlines: Deadlines,
    acknowledged_at: datetime | None,
    responded_at: datetime | None,
    fired: frozenset[tuple[str, Step]],
) -> list[Escalation]:
    """Every step not yet fired, in time order, while the desk has not answered: once it
    has (even late), nobody is chased any more; the answer's time shows the lateness."""
    steps = []
    for kind, deadline, answered_at in (
        # A response decision acknowledges too.
        (ACKNOWLEDGE, deadlines.acknowledge, acknowledged_at or responded_at),
        (RESPOND, deadlines.respond, responded_at),
    ):
        if deadline is None:
            continue
        for step, multiple in _LADDERS[kind]:
            due_at = notified_at + deadline * multiple
            if answered_at is None and (kind, step) not in fired:
                steps.append(Escalation(kind, step, due_at))
    return sorted(steps, key=lambda e: e.due_at)  # stable: ties keep ladder order


def due_escalations(
    *,
    notified_at: datetime,
    deadlines: Deadlines,
    acknowledged_at: datetime | None,
    responded_at: datetime | None,
    now: datetime,
    fired: frozenset[tuple[str, Step]],
) -> list[Escalation]:
    """The steps due by ``now`` that have not fired, ordered by due time. The caller
    records each one it fires and passes it in ``fired`` from then on: exactly once."""
    return [
        e
        for e in _ladder(notified_at, deadlines, acknowledged_at, responded_at, fired)
        if e.due_at <= now
    ]


def next_due(
    *,
    notified_at: datetime,
    deadlines: Deadlines,
    acknowledged_at: datetime | None,
    responded_at: datetime | None,
    now: datetime,
    fired: frozenset[tuple[str, Step]],
) -> datetime | None:
    """When to look again: the due time of the earliest step still to fire, or None when
    none is left. After firing everything ``due_escalations`` returned it is after
    ``now``; a time at or before ``now`` means a step is overdue and not yet fired, so a
    scheduler that forgot one looks again at once. (``now`` is taken so that both calls
    take the same arguments; the ladder itself does not depend on it.)"""
    pending = _ladder(notified_at, deadlines, acknowledged_at, responded_at, fired)
    return pending[0].due_at if pending else None


def stale_since(last_message_at: datetime, deadlines: Deadlines, now: datetime) -> datetime | None:
    """When an open thread went stale (no new message within its update cadence), if it
    has by ``now``; None while it is fresh or when its alert sets no cadence."""
    if deadlines.update_every is None:
        return None
    due_at = last_message_at + deadlines.update_every
    return due_at if due_at <= now else None
