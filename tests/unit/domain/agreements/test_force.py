"""When duties arise: sunsets and renewals, tiers, and the emergency clause."""

from __future__ import annotations

from datetime import date, datetime

from accord.domain.agreements.duties import Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.model import Agreement

from .factories import (
    DAY,
    acceleration,
    agreement,
    at,
    obligation,
    renewal,
    reply,
    request,
    share,
)

PARTIES = ("AA", "BB", "CC")
DAILY = obligation("daily", "periodic-sharing", {"kind": "weather", "every_days": 1})
CONSULT = obligation("consult", "consultation", {"answer_within_hours": 48})
CONSULT_2 = obligation("consult-2", "consultation", {"answer_within_hours": 48}, tier=2)


def lapsing() -> Agreement:
    return agreement(DAILY, CONSULT, name="lapsing", sunset="2026-03-01")


def days_with_duties(engine: ComplianceEngine, now: datetime) -> list[str]:
    return sorted({v.period for v in engine.verdicts(now) if v.obligation == "daily"})


def test_no_duties_arise_after_the_sunset() -> None:
    engine = ComplianceEngine([lapsing()], PARTIES)
    engine.add(request("AA", "BB", "consultation", at(2026, 3, 2)))
    days = days_with_duties(engine, at(2026, 4, 1))
    assert (days[0], days[-1], len(days)) == ("2026-01-01", "2026-02-28", 59)
    assert [v for v in engine.verdicts(at(2026, 4, 1)) if v.obligation == "consult"] == []


def test_a_renewal_before_the_sunset_extends_the_agreement() -> None:
    engine = ComplianceEngine([lapsing()], PARTIES)
    assert engine.add(renewal("BB", "lapsing", at(2026, 2, 20), date(2026, 6, 1))) == set()
    engine.add(request("AA", "BB", "consultation", at(2026, 3, 2)))
    assert days_with_duties(engine, at(2026, 7, 1))[-1] == "2026-05-31"
    assert [v.status for v in engine.verdicts(at(2026, 4, 1)) if v.obligation == "consult"] == [
        Status.MISSED
    ]


def test_a_renewal_after_the_lapse_revives_it_without_the_gap() -> None:
    engine = ComplianceEngine([lapsing()], PARTIES)
    engine.add(renewal("BB", "lapsing", at(2026, 4, 1), date(2026, 5, 1)))
    days = days_with_duties(engine, at(2026, 7, 1))
    assert "2026-03-15" not in days
    assert days[-30:][0] == "2026-04-01"
    assert days[-1] == "2026-04-30"


def test_renewals_by_non_parties_or_of_open_ended_agreements_change_nothing() -> None:
    engine = ComplianceEngine([lapsing(), agreement(DAILY, name="open")], PARTIES)
    engine.add(renewal("ZZ", "lapsing", at(2026, 2, 1), date(2027, 1, 1)))
    engine.add(renewal("AA", "open", at(2026, 2, 1), date(2026, 3, 1)))
    assert days_with_duties(engine, at(2026, 7, 1))[-1] == "2026-07-01"  # "open" runs on
    lapsing_days = {v.period for v in engine.verdicts(at(2026, 7, 1), agreement="lapsing")}
    assert max(lapsing_days) == "2026-02-28"


def emergency(max_days: int = 10) -> Agreement:
    clause = {"tiers": [2], "max_days": max_days, "description": "crisis"}
    return agreement(CONSULT, CONSULT_2, name="tiered", emergency=clause)


def tier_2_duties(engine: ComplianceEngine) -> list[str]:
    return [v.period for v in engine.verdicts(at(2026, 12, 1)) if v.obligation == "consult-2"]


def consult(engine: ComplianceEngine, day: int) -> str:
    asked = request("AA", "BB", "consultation", at(2026, 3, day, 12))
    engine.add(asked)
    engine.add(reply(asked, asked.at + DAY))
    return f"request/{asked.record_id}"


def test_obligations_above_the_tier_do_not_apply() -> None:
    engine = ComplianceEngine([emergency()], PARTIES)
    consult(engine, 2)
    assert tier_2_duties(engine) == []
    assert [v.obligation for v in engine.verdicts(at(2026, 12, 1))] == ["consult"]


def test_an_acceleration_applies_the_tier_until_its_end() -> None:
    engine = ComplianceEngine([emergency()], PARTIES)
    engine.add(acceleration("CC", "tiered", 2, at(2026, 3, 1), until=at(2026, 3, 5)))
    inside, after = consult(engine, 2), consult(engine, 6)
    assert tier_2_duties(engine) == [inside]
    assert after != inside


def test_an_acceleration_is_capped_at_the_clause_maximum() -> None:
    engine = ComplianceEngine([emergency(max_days=10)], PARTIES)
    engine.add(acceleration("CC", "tiered", 2, at(2026, 3, 1), until=at(2026, 6, 1)))
    inside = consult(engine, 10)
    consult(engine, 11)
    assert tier_2_duties(engine) == [inside]


def test_accelerations_the_clause_does_not_allow_are_ignored() -> None:
    engine = ComplianceEngine(
        [emergency(), agreement(CONSULT_2, CONSULT, name="no-clause")], PARTIES
    )
    engine.add(acceleration("ZZ", "tiered", 2, at(2026, 3, 1), until=at(2026, 3, 5)))
    engine.add(acceleration("CC", "tiered", 3, at(2026, 3, 1), until=at(2026, 3, 5)))
    engine.add(acceleration("CC", "no-clause", 2, at(2026, 3, 1), until=at(2026, 3, 5)))
    consult(engine, 2)
    assert tier_2_duties(engine) == []


def test_a_share_outside_the_agreement_counts_nowhere() -> None:
    engine = ComplianceEngine([lapsing()], PARTIES)
    assert engine.add(share("AA", "weather", at(2025, 12, 31))) == set()
