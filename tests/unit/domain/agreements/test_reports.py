"""Reports: the reciprocity ledger, counts by period, and the calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from accord.domain.agreements.duties import Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.model import builtin_agreements
from accord.domain.agreements.reciprocity import ReciprocityRow
from accord.domain.agreements.reports import CalendarEntry
from accord.errors import InvalidInputError

from .factories import agreement, at, exchange, obligation, renewal, share

PARTIES = ("AA", "BB", "CC")
DAILY = obligation("daily", "periodic-sharing", {"kind": "weather", "every_days": 1})


def test_the_ledger_shows_who_shares_what_with_whom_and_whether_it_comes_back() -> None:
    engine = ComplianceEngine([agreement(DAILY)], PARTIES)
    engine.add(share("AA", "weather", at(2026, 1, 1)))  # to everyone
    engine.add(share("BB", "weather", at(2026, 1, 2), to=("AA",)))
    engine.add(share("BB", "hazard", at(2026, 1, 2), to=("CC",)))
    engine.add(exchange("CC", "military-information", 2027, at(2026, 12, 1)))
    assert engine.reciprocity(at(2026, 6, 1)) == [
        ReciprocityRow("AA", "BB", "weather", 1, returned=True),
        ReciprocityRow("AA", "CC", "weather", 1, returned=False),
        ReciprocityRow("BB", "AA", "weather", 1, returned=True),
        ReciprocityRow("BB", "CC", "hazard", 1, returned=False),
    ]
    rows = engine.reciprocity(at(2026, 12, 2))
    assert ReciprocityRow("CC", "AA", "military-information", 1, returned=False) in rows


def test_the_ledger_counts_only_what_was_shared_by_now() -> None:
    engine = ComplianceEngine([agreement(DAILY)], PARTIES)
    engine.add(share("AA", "weather", at(2026, 1, 3), to=("BB",)))
    engine.add(share("AA", "weather", at(2026, 1, 1), to=("BB",)))
    assert [r.count for r in engine.reciprocity(at(2026, 1, 2))] == [1]
    assert [r.count for r in engine.reciprocity(at(2026, 1, 4))] == [2]


def test_series_counts_a_participants_verdicts_by_month() -> None:
    engine = ComplianceEngine([agreement(DAILY)], PARTIES)
    for day in range(1, 11):
        engine.add(share("AA", "weather", at(2026, 2, day, 9)))
    points = engine.series(at(2026, 3, 1, 12), "test-agreement", "AA")
    assert [p.period for p in points] == ["2026-01", "2026-02", "2026-03"]
    assert points[0].counts[Status.MISSED] == 31
    assert (points[1].counts[Status.MET], points[1].counts[Status.MISSED]) == (10, 18)
    assert points[2].counts[Status.PENDING] == 1
    quarters = engine.series(at(2026, 3, 1, 12), "test-agreement", "AA", period="quarter")
    assert [(q.period, q.count(Status.MET)) for q in quarters] == [("2026-Q1", 10)]


def test_series_refuses_an_unknown_period() -> None:
    engine = ComplianceEngine([agreement(DAILY)], PARTIES)
    with pytest.raises(InvalidInputError):
        engine.series(at(2026, 3, 1), "test-agreement", "AA", period="fortnight")


def test_the_calendar_lists_reviews_sunsets_starts_and_lapses() -> None:
    ladder = next(a for a in builtin_agreements() if a.name == "baltic-confidence-ladder")
    later = replace(ladder, name="later", starts=date(2028, 7, 1), sunset=None, review=None)
    gone = agreement(DAILY, name="gone", sunset="2026-06-01")
    engine = ComplianceEngine([ladder, later, gone], PARTIES)
    assert engine.calendar(at(2028, 6, 1), horizon_days=240) == [
        CalendarEntry("gone", "lapsed", date(2026, 6, 1), "lapsed: not renewed"),
        CalendarEntry("baltic-confidence-ladder", "review", date(2028, 7, 1), "review due"),
        CalendarEntry("later", "starts", date(2028, 7, 1), "enters into force"),
        CalendarEntry(
            "baltic-confidence-ladder", "sunset", date(2029, 1, 1), "lapses unless renewed"
        ),
    ]


def test_a_renewal_moves_the_sunset_on_the_calendar() -> None:
    lapsing = agreement(DAILY, name="lapsing", sunset="2026-06-01")
    engine = ComplianceEngine([lapsing], PARTIES)
    engine.add(renewal("AA", "lapsing", at(2026, 5, 1), date(2027, 6, 1)))
    assert engine.calendar(at(2026, 5, 2), horizon_days=30) == []
    assert [e.on for e in engine.calendar(at(2027, 5, 2), horizon_days=30)] == [date(2027, 6, 1)]
