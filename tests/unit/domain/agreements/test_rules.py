"""Rule types one by one: sharing, exchanges, the hotline, joint activities, and the
registry a new rule type joins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import pytest

from accord.domain.agreements.duties import Duty, Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.facts import Exchange, Fact
from accord.domain.agreements.model import Agreement
from accord.domain.agreements.rules import RULE_TYPES, Rule, rule_type
from accord.domain.agreements.rules.base import Affected
from accord.domain.agreements.schema import Text, declare
from accord.domain.agreements.verdicts import Verdict

from .factories import (
    MINUTE,
    ack,
    agreement,
    alert,
    at,
    exchange,
    notification,
    obligation,
    participation,
    share,
)

PARTIES = ("AA", "BB", "CC")


def engine_for(*obligations: dict[str, Any]) -> ComplianceEngine:
    return ComplianceEngine([agreement(*obligations)], PARTIES)


def table(verdicts: Iterable[Verdict]) -> dict[tuple[str, str], Status]:
    return {(v.participant, v.period): v.status for v in verdicts}


def test_daily_sharing_is_one_duty_per_party_per_day() -> None:
    engine = engine_for(
        obligation("weather", "periodic-sharing", {"kind": "weather", "every_days": 1})
    )
    engine.add(share("AA", "weather", at(2026, 1, 1, 9)))
    engine.add(share("AA", "weather", at(2026, 1, 2, 9)))
    engine.add(share("BB", "weather", at(2026, 1, 2, 9)))
    engine.add(share("CC", "hazard", at(2026, 1, 1, 9)))
    found = table(engine.verdicts(at(2026, 1, 2, 12)))
    assert found == {
        ("AA", "2026-01-01"): Status.MET,
        ("AA", "2026-01-02"): Status.MET,
        ("BB", "2026-01-01"): Status.MISSED,
        ("BB", "2026-01-02"): Status.MET,
        ("CC", "2026-01-01"): Status.MISSED,
        ("CC", "2026-01-02"): Status.PENDING,
    }


def test_weekly_periods_count_from_the_agreements_start() -> None:
    engine = engine_for(
        obligation("disease", "periodic-sharing", {"kind": "disease", "every_days": 7})
    )
    engine.add(share("AA", "disease", at(2026, 1, 14, 23)))
    found = table(v for v in engine.verdicts(at(2026, 1, 22, 1)) if v.participant == "AA")
    assert found == {
        ("AA", "2026-01-01"): Status.MISSED,
        ("AA", "2026-01-08"): Status.MET,
        ("AA", "2026-01-15"): Status.MISSED,
        ("AA", "2026-01-22"): Status.PENDING,
    }


def test_an_annual_exchange_for_the_same_year_is_due_on_its_day() -> None:
    params = {"kind": "defence-planning", "due": "03-31", "for_year_offset": 0}
    engine = engine_for(obligation("planning", "periodic-exchange", params))
    engine.add(exchange("AA", "defence-planning", 2026, at(2026, 3, 31, 22)))
    engine.add(exchange("BB", "defence-planning", 2026, at(2026, 4, 2)))
    engine.add(exchange("BB", "defence-planning", 2026, at(2026, 4, 1, 1)))  # the earliest counts
    found = {v.participant: v for v in engine.verdicts(at(2026, 6, 1))}
    assert found["AA"].status is Status.MET
    assert (found["BB"].status, found["BB"].late_by) == (Status.LATE, 3600)
    assert found["CC"].status is Status.MISSED


HOTLINE = obligation(
    "hotline",
    "alert-acknowledgement",
    {"acknowledge_within_minutes": 60, "minimum_severity": "Severe"},
)


def test_every_addressee_acknowledges_an_alert_within_the_hour() -> None:
    engine = engine_for(HOTLINE)
    sent = alert("AA", at(2026, 2, 1, 10))
    engine.add(sent)
    engine.add(ack("BB", sent, sent.at + 59 * MINUTE))
    (flag,) = engine.check(ack("CC", sent, sent.at + 61 * MINUTE), at(2026, 3, 1))
    assert (flag.participant, flag.obligation, flag.status) == ("CC", "hotline", "late")
    assert flag.reason.startswith("late by 1 min")
    found = table(engine.verdicts(at(2026, 3, 1)))
    subject = f"alert/{sent.record_id}"
    assert found == {("BB", subject): Status.MET, ("CC", subject): Status.LATE}


def test_an_alert_to_some_parties_binds_only_them_and_minor_ones_bind_nobody() -> None:
    engine = engine_for(HOTLINE)
    engine.add(alert("AA", at(2026, 2, 1), audience=("CC", "ZZ")))
    engine.add(alert("AA", at(2026, 2, 2), severity="Moderate"))
    assert [(v.participant, v.status) for v in engine.verdicts(at(2026, 3, 1))] == [
        ("CC", Status.MISSED)
    ]


def test_an_acknowledgement_before_its_alert_arrives_still_counts() -> None:
    engine = engine_for(HOTLINE)
    sent = alert("AA", at(2026, 2, 1, 10))
    engine.add(ack("BB", sent, sent.at + MINUTE))
    keys = engine.add(sent)
    assert {k.participant for k in keys} == {"BB", "CC"}
    assert (
        table(engine.verdicts(at(2026, 2, 1, 10, 30)))[("BB", f"alert/{sent.record_id}")]
        is Status.MET
    )


DRILLS = obligation(
    "drills", "joint-exercise", {"per_year": 1, "activities": ["disaster-response-drill"]}
)


def test_joint_drills_count_for_the_conductor_and_each_participant() -> None:
    engine = engine_for(DRILLS)
    drill = notification(
        "AA",
        filed=at(2026, 3, 1),
        start=at(2026, 5, 1),
        kind="disaster-response-drill",
        participants=("BB",),
    )
    engine.add(drill)
    engine.add(participation("BB", drill, at(2026, 5, 2)))
    found = table(engine.verdicts(at(2027, 1, 2)))
    assert found[("AA", "2026")] is Status.MET
    assert found[("BB", "2026")] is Status.MET
    assert found[("CC", "2026")] is Status.MISSED


def test_a_planned_drill_does_not_count_before_it_starts() -> None:
    engine = engine_for(DRILLS)
    engine.add(
        notification(
            "AA",
            filed=at(2026, 3, 1),
            start=at(2026, 11, 1),
            kind="disaster-response-drill",
            participants=("BB",),
        )
    )
    assert table(engine.verdicts(at(2026, 6, 1)))[("AA", "2026")] is Status.PENDING
    assert table(engine.verdicts(at(2026, 12, 1)))[("AA", "2026")] is Status.MET


def test_other_kinds_of_joint_activity_do_not_count_as_drills() -> None:
    engine = engine_for(DRILLS)
    exercise = notification("AA", filed=at(2026, 3, 1), start=at(2026, 5, 1), participants=("BB",))
    engine.add(exercise)
    engine.add(participation("BB", exercise, at(2026, 5, 2)))
    found = table(v for v in engine.verdicts(at(2027, 1, 2)) if v.period == "2026")
    assert set(found.values()) == {Status.MISSED}


@rule_type("test-annual-report")
class AnnualReport(Rule):
    """A rule type written for this test: one Exchange of ``kind`` a year, any time."""

    fields = declare(kind=Text())
    consumes = (Exchange,)

    def affected(self, fact: Fact) -> Affected:
        return [(fact.author, str(fact.at.year))] if isinstance(fact, Exchange) else []

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        index = self.scope.index
        for (author, kind, _), filed in index.exchanges.items():
            if kind == self.params.text("kind"):
                yield Duty(author, str(filed.at.year), filed.at, None, filed.at, (filed.record_id,))

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        return next((d for d in self.duties(now) if d[:2] == (participant, subject)), None)


def test_a_new_rule_type_is_one_registered_class() -> None:
    assert RULE_TYPES["test-annual-report"] is AnnualReport
    mine: Agreement = agreement(obligation("report", "test-annual-report", {"kind": "annual"}))
    engine = ComplianceEngine([mine], PARTIES)
    keys = engine.add(exchange("BB", "annual", 2026, at(2026, 5, 1)))
    assert [k.subject for k in keys] == ["2026"]
    assert table(engine.verdicts(at(2026, 6, 1))) == {("BB", "2026"): Status.MET}


def test_registering_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        rule_type("test-annual-report")(type("Other", (AnnualReport,), {}))


def test_sharing_one_rule_between_agreements_keeps_counts_right() -> None:
    weekly = obligation("disease", "periodic-sharing", {"kind": "disease", "every_days": 7})
    one, two = agreement(weekly, name="one"), agreement(weekly, name="two")
    engine = ComplianceEngine([one, two], PARTIES)
    keys = engine.add(share("AA", "disease", at(2026, 1, 2)))
    assert {k.agreement for k in keys} == {"one", "two"}
    details = {v.detail for v in engine.verdicts(at(2026, 1, 3)) if v.participant == "AA"}
    assert details == {"1 disease share"}
