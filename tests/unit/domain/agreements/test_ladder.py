"""Graduated reciprocation on the shipped ladder: the next tier is recommended after two
clean quarters and not before; sustained non-compliance is raised, never punished."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from accord.domain.agreements.duties import Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.model import Agreement, builtin_agreements

from .factories import HOUR, ack, alert, at, share

PARTIES = ("AA", "BB", "CC")
LADDER = "baltic-confidence-ladder"


@pytest.fixture
def ladder() -> Agreement:
    shipped = next(a for a in builtin_agreements() if a.name == LADDER)
    return replace(shipped, parties=PARTIES)


def comply(
    engine: ComplianceEngine,
    first: date,
    last: date,
    skip: frozenset[tuple[str, date]] = frozenset(),
) -> None:
    """Every party shares weather and hazards daily and disease data weekly (the ladder's
    weeks run from its start, 1 January), except on the (party, day) pairs in ``skip``."""
    day = first
    while day <= last:
        morning = at(day.year, day.month, day.day, 8)
        for party in PARTIES:
            if (party, day) in skip:
                continue
            engine.add(share(party, "weather", morning))
            engine.add(share(party, "hazard", morning + HOUR))
            if (day - date(2026, 1, 1)).days % 7 == 0:
                engine.add(share(party, "disease-surveillance", morning))
        day += timedelta(days=1)


def test_two_clean_quarters_recommend_tier_two(ladder: Agreement) -> None:
    engine = ComplianceEngine([ladder])
    comply(engine, date(2026, 1, 1), date(2026, 6, 30))
    (recommendation,) = engine.recommendations(at(2026, 7, 1))
    assert (recommendation.agreement, recommendation.from_tier, recommendation.to_tier) == (
        LADDER,
        1,
        2,
    )
    assert [p.period for p in recommendation.periods] == ["2026-Q1", "2026-Q2"]
    first = recommendation.periods[0]
    assert first.count(Status.MET) == 90 * 3 * 2 + 13 * 3  # daily weather and hazards, weeks
    assert first.count(Status.LATE, Status.MISSED, Status.PENDING) == 0


def test_one_clean_quarter_is_not_enough(ladder: Agreement) -> None:
    engine = ComplianceEngine([ladder])
    comply(engine, date(2026, 1, 1), date(2026, 6, 30))
    assert engine.recommendations(at(2026, 6, 30, 23)) == []


def test_one_missed_day_holds_the_ladder_until_two_clean_quarters_follow(
    ladder: Agreement,
) -> None:
    engine = ComplianceEngine([ladder])
    comply(engine, date(2026, 1, 1), date(2026, 12, 31), skip=frozenset({("BB", date(2026, 5, 5))}))
    assert engine.recommendations(at(2026, 7, 1)) == []
    assert engine.recommendations(at(2026, 10, 1)) == []
    (recommendation,) = engine.recommendations(at(2027, 1, 1))
    assert [p.period for p in recommendation.periods] == ["2026-Q3", "2026-Q4"]


def test_a_late_acknowledgement_holds_the_ladder(ladder: Agreement) -> None:
    engine = ComplianceEngine([ladder])
    comply(engine, date(2026, 1, 1), date(2026, 6, 30))
    sent = alert("AA", at(2026, 2, 1, 12))
    engine.add(sent)
    engine.add(ack("BB", sent, sent.at + 10 * HOUR))
    engine.add(ack("CC", sent, sent.at + HOUR / 2))
    assert engine.recommendations(at(2026, 7, 1)) == []


def test_the_top_tier_and_agreements_without_advance_recommend_nothing(
    ladder: Agreement,
) -> None:
    engine = ComplianceEngine([replace(ladder, tier=3), replace(ladder, name="flat", advance=None)])
    comply(engine, date(2026, 1, 1), date(2026, 6, 30))
    assert engine.recommendations(at(2026, 7, 1)) == []


def test_a_party_missing_duties_two_quarters_running_raises_a_concern(ladder: Agreement) -> None:
    engine = ComplianceEngine([ladder])
    skip = frozenset(
        {("CC", date(2026, 2, 10)), ("CC", date(2026, 5, 5)), ("BB", date(2026, 5, 6))}
    )
    comply(engine, date(2026, 1, 1), date(2026, 6, 30), skip=skip)
    (concern,) = engine.concerns(at(2026, 7, 1))
    assert (concern.agreement, concern.participant) == (LADDER, "CC")
    assert [(p.period, p.count(Status.MISSED)) for p in concern.periods] == [
        ("2026-Q1", 2),
        ("2026-Q2", 2),
    ]
    assert {k.subject for k in concern.missed} == {"2026-02-10", "2026-05-05"}
    assert "2026-Q1 (2), 2026-Q2 (2)" in concern.detail


def test_no_concern_before_enough_periods_have_passed(ladder: Agreement) -> None:
    engine = ComplianceEngine([ladder])
    comply(engine, date(2026, 1, 1), date(2026, 3, 31), skip=frozenset({("CC", date(2026, 2, 10))}))
    assert engine.concerns(at(2026, 4, 1)) == []
