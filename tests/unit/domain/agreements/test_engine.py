"""The engine's contract: keys, duplicates, parties, filters, flags."""

from __future__ import annotations

from datetime import date

import pytest

from accord.domain.agreements.duties import DutyKey, Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.errors import InvalidInputError, NotFoundError

from .factories import DAY, agreement, at, notification, obligation, renewal, request, share

PARTIES = ("AA", "BB", "CC")
DAILY = obligation("daily", "periodic-sharing", {"kind": "weather", "every_days": 1})
NOTIFY = obligation(
    "notify",
    "prior-notification",
    {"activities": ["exercise"], "thresholds": {"personnel": 9000}, "lead_days": 42},
)
CONSULT = obligation("consult", "consultation", {"answer_within_hours": 48})


def test_add_returns_the_keys_of_the_duties_a_fact_touches() -> None:
    engine = ComplianceEngine([agreement(DAILY, CONSULT)], PARTIES)
    assert engine.add(share("AA", "weather", at(2026, 1, 5, 9))) == {
        DutyKey("test-agreement", "daily", "AA", "2026-01-05")
    }
    asked = request("AA", "BB", "consultation", at(2026, 1, 5))
    assert engine.add(asked) == {
        DutyKey("test-agreement", "consult", "BB", f"request/{asked.record_id}")
    }


def test_a_fact_seen_before_is_ignored() -> None:
    engine = ComplianceEngine([agreement(DAILY)], PARTIES)
    fact = share("AA", "weather", at(2026, 1, 5, 9))
    engine.add(fact)
    assert engine.add(fact) == set()
    (verdict,) = [
        v
        for v in engine.verdicts(at(2026, 1, 6))
        if v.period == "2026-01-05" and v.participant == "AA"
    ]
    assert verdict.detail == "1 weather share"


def test_all_parties_without_a_list_are_those_that_filed() -> None:
    engine = ComplianceEngine([agreement(DAILY, parties="all")])
    engine.add(share("AA", "weather", at(2026, 1, 1, 9)))
    engine.add(share("BB", "hazard", at(2026, 1, 1, 9)))
    assert {v.participant for v in engine.verdicts(at(2026, 1, 1, 12))} == {"AA", "BB"}


def test_only_parties_owe_duties() -> None:
    engine = ComplianceEngine([agreement(DAILY, CONSULT)], PARTIES)
    engine.add(share("ZZ", "weather", at(2026, 1, 1, 9)))
    engine.add(request("ZZ", "AA", "consultation", at(2026, 1, 1)))
    engine.add(request("AA", "ZZ", "consultation", at(2026, 1, 1)))
    assert {v.participant for v in engine.verdicts(at(2026, 1, 1, 12))} == set(PARTIES)
    assert [v for v in engine.verdicts(at(2026, 2, 1)) if v.obligation == "consult"] == []


def test_verdicts_filter_by_agreement_and_participant() -> None:
    engine = ComplianceEngine([agreement(DAILY), agreement(DAILY, name="other")], PARTIES)
    engine.add(share("AA", "weather", at(2026, 1, 1, 9)))
    now = at(2026, 1, 3)
    everything = engine.verdicts(now)
    assert engine.verdicts(now, participant="BB") == [
        v for v in everything if v.participant == "BB"
    ]
    assert engine.verdicts(now, agreement="other") == [
        v for v in everything if v.agreement == "other"
    ]
    assert engine.verdicts(now) == everything
    with pytest.raises(NotFoundError):
        engine.verdicts(now, agreement="nowhere")


def test_a_verdict_names_its_obligation_rule_tier_and_when_the_duty_arose() -> None:
    engine = ComplianceEngine([agreement(NOTIFY)], PARTIES)
    engine.add(notification("AA", filed=at(2026, 1, 1), start=at(2026, 3, 1), activity_id="x"))
    (verdict,) = engine.verdicts(at(2026, 4, 1))
    assert (verdict.rule, verdict.tier, verdict.arose_at) == (
        "prior-notification",
        1,
        at(2026, 3, 1),
    )
    assert verdict.key == DutyKey("test-agreement", "notify", "AA", "activity/x")
    assert (verdict.status, verdict.due) == (Status.MET, at(2026, 3, 1) - 42 * DAY)


def test_an_incomplete_notice_is_accepted_and_flagged() -> None:
    engine = ComplianceEngine([agreement(NOTIFY)], PARTIES)
    notice = notification(
        "AA", filed=at(2026, 1, 1), start=at(2026, 3, 1), area=" ", to=("BB",), activity_id="x"
    )
    (flag,) = engine.check(notice, at(2026, 1, 2))
    assert flag.status is Status.MET
    assert "incomplete: no area given" in flag.reason
    assert "incomplete: not addressed to CC" in flag.reason
    assert engine.verdicts(at(2026, 1, 2))[0].status is Status.MET


def test_renewals_raise_no_flags() -> None:
    engine = ComplianceEngine([agreement(DAILY, sunset="2026-06-01")], PARTIES)
    assert (
        engine.check(
            renewal("AA", "test-agreement", at(2026, 5, 1), date(2027, 1, 1)), at(2026, 5, 1)
        )
        == []
    )


def test_agreement_names_must_be_distinct() -> None:
    with pytest.raises(InvalidInputError) as caught:
        ComplianceEngine([agreement(DAILY), agreement(DAILY)])
    assert caught.value.problems[0].location == "/1/name"


def test_a_query_between_facts_changes_nothing() -> None:
    facts = [share("AA", "weather", at(2026, 1, 1, 9)), share("BB", "weather", at(2026, 1, 1, 9))]
    engine = ComplianceEngine([agreement(DAILY)], PARTIES)
    engine.add(facts[0])
    now = at(2026, 1, 2, 1)
    bb_first = DutyKey("test-agreement", "daily", "BB", "2026-01-01")
    assert {v.key: v.status for v in engine.verdicts(now)}[bb_first] is Status.MISSED
    engine.recommendations(now)
    engine.add(facts[1])
    fresh = ComplianceEngine([agreement(DAILY)], PARTIES)
    for fact in facts:
        fresh.add(fact)
    assert engine.verdicts(now) == fresh.verdicts(now)
    assert {v.key: v.status for v in engine.verdicts(now)}[bb_first] is Status.MET
