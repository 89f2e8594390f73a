"""Scenarios from the Vienna Document's own figures, judged with the shipped encoding."""

from __future__ import annotations

from datetime import datetime

import pytest

from accord.domain.agreements.duties import Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.facts import Forces
from accord.domain.agreements.model import Agreement, builtin_agreements
from accord.domain.agreements.verdicts import Verdict

from .factories import (
    DAY,
    HOUR,
    at,
    exchange,
    notification,
    observed,
    reply,
    request,
)

PARTIES = ("AA", "BB", "CC", "DD", "EE")
NOTIFY = "notify-land-and-air-activities"
LANDINGS = "notify-landings-and-parachute-assaults"
START = at(2026, 6, 1)
NOW = at(2026, 9, 1)
JUST_UNDER = Forces(
    personnel=8_999,
    battle_tanks=249,
    armoured_combat_vehicles=499,
    artillery=249,
    aircraft_sorties=199,
)


@pytest.fixture
def vienna() -> Agreement:
    return next(a for a in builtin_agreements() if a.name == "vienna-document-2011")


@pytest.fixture
def engine(vienna: Agreement) -> ComplianceEngine:
    return ComplianceEngine([vienna], PARTIES)


def find(engine: ComplianceEngine, obligation: str, participant: str, period: str) -> Verdict:
    (found,) = [
        v
        for v in engine.verdicts(NOW, participant=participant)
        if (v.obligation, v.period) == (obligation, period)
    ]
    return found


def duties_of(engine: ComplianceEngine, obligation: str, when: datetime = NOW) -> list[Verdict]:
    return [v for v in engine.verdicts(when) if v.obligation == obligation]


def test_a_notice_one_day_short_of_42_days_is_late_by_one_day(engine: ComplianceEngine) -> None:
    notice = notification("AA", filed=START - 41 * DAY, start=START, activity_id="spring")
    (flag,) = engine.check(notice, NOW)
    assert (flag.obligation, flag.rule, flag.status) == (NOTIFY, "prior-notification", "late")
    assert flag.reason.startswith("late by 1 day")
    assert flag.source == "VD11 chapter V (38), (40.1.1), (40.1.2), (41)"
    verdict = find(engine, NOTIFY, "AA", "activity/spring")
    assert (verdict.status, verdict.late_by) == (Status.LATE, 86_400)


def test_a_notice_42_days_ahead_is_met(engine: ComplianceEngine) -> None:
    notice = notification("AA", filed=START - 42 * DAY, start=START, activity_id="spring")
    assert engine.check(notice, NOW) == []
    assert find(engine, NOTIFY, "AA", "activity/spring").status is Status.MET


def test_an_activity_just_under_every_threshold_needs_no_notice(engine: ComplianceEngine) -> None:
    notice = notification("AA", filed=START - DAY, start=START, forces=JUST_UNDER, activity_id="x")
    assert engine.check(notice, NOW) == []
    assert find(engine, NOTIFY, "AA", "activity/x").status is Status.NOT_APPLICABLE
    assert engine.check(observed("BB", "CC", start=START, forces=JUST_UNDER), NOW) == []
    assert duties_of(engine, NOTIFY) == [find(engine, NOTIFY, "AA", "activity/x")]


@pytest.mark.parametrize(
    "forces",
    [
        Forces(personnel=9_000),
        Forces(battle_tanks=250),
        Forces(armoured_combat_vehicles=500),
        Forces(artillery=250),
        Forces(aircraft_sorties=200),
    ],
)
def test_reaching_any_one_threshold_makes_an_activity_notifiable(
    engine: ComplianceEngine, forces: Forces
) -> None:
    engine.add(notification("AA", filed=START - DAY, start=START, forces=forces, activity_id="x"))
    assert find(engine, NOTIFY, "AA", "activity/x").status is Status.LATE


def test_an_observed_activity_nobody_notified_is_missed(engine: ComplianceEngine) -> None:
    seen = observed("BB", "CC", start=START, forces=Forces(battle_tanks=300))
    (flag,) = engine.check(seen, NOW)
    assert (flag.participant, flag.obligation, flag.status) == ("CC", NOTIFY, "missed")
    verdict = find(engine, NOTIFY, "CC", f"observed/{seen.record_id}")
    assert verdict.status is Status.MISSED
    assert verdict.evidence == (seen.record_id,)


def test_an_observed_activity_that_was_notified_owes_nothing_more(engine: ComplianceEngine) -> None:
    engine.add(notification("CC", filed=START - 50 * DAY, start=START, activity_id="x"))
    seen = observed("BB", "CC", start=START + DAY)
    assert engine.check(seen, NOW) == []
    assert [v.period for v in duties_of(engine, NOTIFY)] == ["activity/x"]


def test_a_notice_filed_after_the_observation_turns_the_miss_into_lateness(
    engine: ComplianceEngine,
) -> None:
    seen = observed("BB", "CC", start=START)
    engine.add(seen)
    keys = engine.add(notification("CC", filed=START + DAY, start=START, activity_id="late"))
    assert any(k.subject == f"observed/{seen.record_id}" for k in keys)
    assert [(v.period, v.status) for v in duties_of(engine, NOTIFY)] == [
        ("activity/late", Status.LATE)
    ]


def test_an_alert_activity_notified_as_it_starts_is_met(engine: ComplianceEngine) -> None:
    notice = notification("AA", filed=START, start=START, kind="alert-activity", activity_id="a")
    assert engine.check(notice, NOW) == []
    assert find(engine, NOTIFY, "AA", "activity/a").status is Status.MET
    later = notification(
        "AA", filed=START + 2 * HOUR, start=START, kind="alert-activity", activity_id="b"
    )
    (flag,) = engine.check(later, NOW)
    assert flag.reason.startswith("late by 2 h")


def test_landings_are_notifiable_from_3000_troops(engine: ComplianceEngine) -> None:
    engine.add(observed("BB", "CC", start=START, kind="amphibious-landing", forces=Forces(3_000)))
    engine.add(observed("BB", "DD", start=START, kind="amphibious-landing", forces=Forces(2_999)))
    assert [(v.participant, v.status) for v in duties_of(engine, LANDINGS)] == [
        ("CC", Status.MISSED)
    ]


def inspect(engine: ComplianceEngine, requester: str, day: int) -> tuple[str, datetime]:
    asked = request(requester, "AA", "inspection", at(2026, 3, day))
    engine.add(asked)
    return asked.record_id, asked.at


def test_a_refusal_once_three_inspections_were_accepted_is_met(engine: ComplianceEngine) -> None:
    for day, requester in enumerate(("BB", "CC", "DD"), start=1):
        asked = request(requester, "AA", "inspection", at(2026, 3, day))
        engine.add(asked)
        engine.add(reply(asked, asked.at + HOUR))
    fourth = request("EE", "AA", "inspection", at(2026, 4, 1))
    engine.add(fourth)
    assert (
        engine.check(reply(fourth, fourth.at + HOUR, accepted=False, reason="quota-filled"), NOW)
        == []
    )
    verdict = find(engine, "inspections", "AA", f"request/{fourth.record_id}")
    assert verdict.status is Status.MET
    assert "quota filled: 3 of 3" in verdict.detail


def test_a_refusal_with_quota_left_is_missed(engine: ComplianceEngine) -> None:
    first = request("BB", "AA", "inspection", at(2026, 3, 1))
    engine.add(first)
    engine.add(reply(first, first.at + HOUR))
    second = request("CC", "AA", "inspection", at(2026, 3, 5))
    engine.add(second)
    (flag,) = engine.check(reply(second, second.at + HOUR, accepted=False, reason="busy"), NOW)
    assert (flag.obligation, flag.status) == ("inspections", "missed")
    assert "refused with quota remaining: 1 of 3" in flag.reason


def test_one_inspection_a_year_from_the_same_state_is_enough(engine: ComplianceEngine) -> None:
    first = request("BB", "AA", "inspection", at(2026, 3, 1))
    engine.add(first)
    engine.add(reply(first, first.at + HOUR))
    again = request("BB", "AA", "inspection", at(2026, 5, 1))
    engine.add(again)
    assert (
        engine.check(reply(again, again.at + HOUR, accepted=False, reason="quota-filled"), NOW)
        == []
    )


def test_force_majeure_refusals_are_excused_and_not_counted(engine: ComplianceEngine) -> None:
    first = request("BB", "AA", "inspection", at(2026, 3, 1))
    engine.add(first)
    assert (
        engine.check(reply(first, first.at + HOUR, accepted=False, reason="force-majeure"), NOW)
        == []
    )
    second = request("CC", "AA", "inspection", at(2026, 3, 5))
    engine.add(second)
    (flag,) = engine.check(
        reply(second, second.at + HOUR, accepted=False, reason="quota-filled"), NOW
    )
    assert "0 of 3 accepted" in flag.reason


def test_an_inspection_answered_after_25_hours_is_late(engine: ComplianceEngine) -> None:
    asked = request("BB", "AA", "inspection", at(2026, 3, 1))
    engine.add(asked)
    engine.add(reply(asked, asked.at + 25 * HOUR))
    verdict = find(engine, "inspections", "AA", f"request/{asked.record_id}")
    assert (verdict.status, verdict.late_by) == (Status.LATE, 3_600)


def test_a_consultation_answered_after_49_hours_is_late(engine: ComplianceEngine) -> None:
    asked = request("BB", "AA", "consultation", at(2026, 3, 1), about="troops near the border")
    engine.add(asked)
    (flag,) = engine.check(reply(asked, asked.at + 49 * HOUR), NOW)
    assert (flag.obligation, flag.status) == ("consultation-on-unusual-activities", "late")
    assert flag.reason.startswith("late by 1 h")


def test_an_unanswered_consultation_is_pending_for_48_hours_then_missed(
    engine: ComplianceEngine,
) -> None:
    asked = request("BB", "AA", "consultation", at(2026, 3, 1))
    engine.add(asked)
    key = "consultation-on-unusual-activities"
    assert [v.status for v in duties_of(engine, key, asked.at + 48 * HOUR)] == [Status.PENDING]
    assert [v.status for v in duties_of(engine, key, asked.at + 49 * HOUR)] == [Status.MISSED]


def test_military_information_is_due_by_15_december_for_the_next_year(
    engine: ComplianceEngine,
) -> None:
    engine.add(exchange("AA", "military-information", 2027, at(2026, 12, 15, 23)))
    engine.add(exchange("BB", "military-information", 2027, at(2026, 12, 16, 1)))
    now = at(2027, 1, 2)
    found = {
        v.participant: v
        for v in engine.verdicts(now)
        if (v.obligation, v.period) == ("annual-military-information", "2027")
    }
    assert found["AA"].status is Status.MET
    assert (found["BB"].status, found["BB"].late_by) == (Status.LATE, 3_600)
    assert found["CC"].status is Status.MISSED


def test_seven_large_activities_in_one_year_break_the_limit_of_six(
    engine: ComplianceEngine,
) -> None:
    large = Forces(personnel=14_000)
    for month in range(1, 8):
        engine.add(
            notification("AA", filed=at(2025, 11, 1), start=at(2026, month, 3), forces=large)
        )
    verdict = find(engine, "constraint-large-activities-per-year", "AA", "2026")
    assert verdict.status is Status.MISSED
    assert len(verdict.evidence) == 7
    assert duties_of(engine, "constraint-larger-activities-per-year") == []  # none above 25,000


def test_six_large_activities_keep_within_the_limit(engine: ComplianceEngine) -> None:
    for month in range(1, 7):
        engine.add(
            notification(
                "AA", filed=at(2025, 11, 1), start=at(2026, month, 3), forces=Forces(14_000)
            )
        )
    assert find(engine, "constraint-large-activities-per-year", "AA", "2026").status is Status.MET


def test_a_fourth_large_activity_under_way_at_once_is_missed(engine: ComplianceEngine) -> None:
    for day, name in enumerate("abcd", start=1):
        engine.add(
            notification(
                "AA",
                filed=at(2026, 1, 1),
                start=at(2026, 5, day),
                days=10,
                activity_id=name,
                forces=Forces(14_000),
            )
        )
    statuses = {v.period: v.status for v in duties_of(engine, "constraint-simultaneous-activities")}
    assert statuses == {
        "activity/a": Status.MET,
        "activity/b": Status.MET,
        "activity/c": Status.MET,
        "activity/d": Status.MISSED,
    }


def test_two_very_large_activities_within_three_years_break_the_limit(
    engine: ComplianceEngine,
) -> None:
    huge = Forces(personnel=45_000)
    engine.add(notification("AA", filed=at(2024, 11, 1), start=at(2025, 2, 1), forces=huge))
    engine.add(notification("AA", filed=at(2025, 11, 1), start=at(2026, 2, 1), forces=huge))
    found = {v.period: v.status for v in duties_of(engine, "constraint-very-large-activities")}
    assert found == {"2023-2025": Status.MET, "2024-2026": Status.MISSED}
