"""Reports over verdicts: counts by period (for charts and for the ladder), and the
calendar of reviews, sunsets and lapses an agreement's secretariat works to."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

from accord.domain.agreements.duties import Status
from accord.domain.agreements.force import Force
from accord.domain.agreements.periods import Period, periods_between
from accord.domain.agreements.verdicts import Verdict


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    period: str  # "2026-03", "2026-Q1" or "2026"
    start: datetime
    counts: Mapping[Status, int]  # every status, zeros included

    def count(self, *statuses: Status) -> int:
        return sum(self.counts[s] for s in statuses)


def tally(verdicts: Iterable[Verdict], periods: Sequence[Period]) -> list[PeriodCounts]:
    """Verdicts counted by status in each of ``periods`` (contiguous, in order), each in
    the period its duty arose in; verdicts outside them are left out."""
    if not periods:
        return []
    counts = [dict.fromkeys(Status, 0) for _ in periods]
    starts = [p.start for p in periods]
    first, last = starts[0], periods[-1].end
    for verdict in verdicts:
        if first <= verdict.arose_at < last:
            counts[bisect_right(starts, verdict.arose_at) - 1][verdict.status] += 1
    return [
        PeriodCounts(p.label, p.start, MappingProxyType(c))
        for p, c in zip(periods, counts, strict=True)
    ]


def series(
    verdicts: Iterable[Verdict], first: datetime, now: datetime, kind: str
) -> list[PeriodCounts]:
    """Counts for every ``kind`` period from the one holding ``first`` to the current one."""
    if now < first:
        return []
    return tally(verdicts, periods_between(first, now, kind))


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    agreement: str
    kind: str  # "starts", "review", "sunset" or "lapsed"
    on: date
    detail: str


def calendar(forces: Iterable[Force], now: datetime, horizon_days: int) -> list[CalendarEntry]:
    """What falls within ``horizon_days`` of ``now``, and what has lapsed, by date."""
    today, until = now.date(), now.date() + timedelta(days=horizon_days)
    entries = [e for force in forces for e in _entries(force, now, today, until)]
    return sorted(entries, key=lambda e: (e.on, e.agreement, e.kind))


def _entries(force: Force, now: datetime, today: date, until: date) -> list[CalendarEntry]:
    agreement = force.agreement
    name, entries = agreement.name, []
    if today < agreement.starts <= until:
        entries.append(CalendarEntry(name, "starts", agreement.starts, "enters into force"))
    lapsed = force.lapsed_at(now)
    if lapsed is not None:
        entries.append(CalendarEntry(name, "lapsed", lapsed.date(), "lapsed: not renewed"))
        return entries
    end = force.current_end(now)
    if end is not None and end.date() <= until:
        entries.append(CalendarEntry(name, "sunset", end.date(), "lapses unless renewed"))
    if agreement.review is not None:
        entries += [
            CalendarEntry(name, "review", day, "review due")
            for day in agreement.review.dates(until)
            if day >= today and (end is None or day < end.date())
        ]
    return entries
