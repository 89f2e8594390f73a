"""Calendar periods (month, quarter, year) and the day arithmetic obligations are written in.

Every boundary is midnight UTC: an agreement binds states in different time zones, and a
deadline that moved with each reader's clock would not be one deadline. A date deadline
("not later than 15 December") runs to the end of that day, so it falls due at the next
midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from accord.domain.bounds import MAX_PERIODS

PERIOD_KINDS = ("month", "quarter", "year")
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: datetime
    end: datetime  # exclusive: the next period's start
    label: str  # "2026-03", "2026-Q1" or "2026"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """When a deadline written as ``day`` passes: the midnight that ends it."""
    return midnight(day) + DAY


def period_of(at: datetime, kind: str) -> Period:
    """The ``kind`` period (one of PERIOD_KINDS) that holds ``at``."""
    at = at.astimezone(UTC)
    if kind == "month":
        return _month(at.year, at.month)
    if kind == "quarter":
        first = (at.month - 1) // 3 * 3 + 1
        start, end = _first_of(at.year, first), _first_of(at.year, first + 3)
        return Period(start, end, f"{at.year}-Q{(first - 1) // 3 + 1}")
    if kind == "year":
        return Period(_first_of(at.year, 1), _first_of(at.year + 1, 1), str(at.year))
    raise ValueError(f"unknown period kind {kind!r}")


def _month(year: int, month: int) -> Period:
    return Period(_first_of(year, month), _first_of(year, month + 1), f"{year}-{month:02d}")


def _first_of(year: int, month: int) -> datetime:
    """Midnight on the first of ``month``, which may run past December into later years."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def previous(period: Period, kind: str) -> Period:
    return period_of(period.start - DAY, kind)


def periods_between(
    first: datetime, last: datetime, kind: str, most: int = MAX_PERIODS
) -> list[Period]:
    """Every ``kind`` period from the one holding ``first`` to the one holding ``last``;
    only the newest ``most`` of them when there are more, counted back from ``last`` so
    that an agreement started centuries ago costs no more than one started last year."""
    oldest = period_of(first, kind)
    periods = [period_of(max(first, last), kind)]
    while len(periods) < most and periods[-1].start > oldest.start:
        periods.append(previous(periods[-1], kind))
    return periods[::-1]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the month (31 Jan + 1 month: 28/29 Feb)."""
    start = _first_of(day.year, day.month + months)
    following = _first_of(start.year, start.month + 1)
    return date(start.year, start.month, min(day.day, (following - start).days))


def describe(span: timedelta) -> str:
    """A duration in the unit people state deadlines in: days, hours or minutes."""
    seconds = abs(span.total_seconds())
    if seconds >= 86400 and seconds % 3600 == 0 and seconds % 86400 == 0:
        return _plural(int(seconds // 86400), "day")
    if seconds >= 3600:
        hours = seconds / 3600
        return f"{hours:g} h" if hours == int(hours) else f"{hours:.1f} h"
    minutes = seconds / 60
    return f"{minutes:g} min" if minutes == int(minutes) else f"{seconds:g} s"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")
