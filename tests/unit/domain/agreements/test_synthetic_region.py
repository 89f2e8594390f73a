"""A year in a synthetic region: five parties under the Vienna Document and the regional
ladder (at tier 3, so every obligation applies) cooperate through 2026, with violations of
every rule type injected at known places. Every injected violation must be found with the
status injected, and every other duty of the year must be met or not applicable."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest

from accord.domain.agreements.duties import DutyKey, Status
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.facts import Fact, Forces
from accord.domain.agreements.model import Agreement, builtin_agreements
from accord.domain.agreements.rules import known_rule_types
from accord.domain.agreements.verdicts import Verdict

from .factories import (
    DAY,
    HOUR,
    MINUTE,
    ack,
    alert,
    at,
    exchange,
    notification,
    observed,
    participation,
    reply,
    request,
    share,
)

PARTIES = ("EE", "FI", "LT", "LV", "PL")
VD, LADDER = "vienna-document-2011", "baltic-confidence-ladder"
NOW = at(2027, 1, 5)
YEAR = (at(2026, 1, 1), at(2027, 1, 1))
TROOPS, LARGE, HUGE = Forces(10_000), Forces(14_000), Forces(45_000)


@dataclass
class Region:
    """The facts of the year, and the verdicts the injected violations must produce."""

    facts: list[Fact] = field(default_factory=list)
    expected: dict[DutyKey, Status] = field(default_factory=dict)

    def add(self, *facts: Fact) -> None:
        self.facts += facts

    def expect(
        self, agreement: str, obligation: str, who: str, subject: str, status: Status
    ) -> None:
        self.expected[DutyKey(agreement, obligation, who, subject)] = status


def daily_life(region: Region) -> None:
    """What every party does all year when nothing goes wrong (but for two skipped shares,
    injected here: FI's weather on 14 July and LV's disease data for the week of 2 April)."""
    skipped = {
        ("FI", "weather", date(2026, 7, 14)),
        ("LV", "disease-surveillance", date(2026, 4, 2)),
    }
    day = date(2026, 1, 1)
    while day.year == 2026:
        morning = at(day.year, day.month, day.day, 8)
        weekly = (day - date(2026, 1, 1)).days % 7 == 0
        for party in PARTIES:
            for kind in ("weather", "hazard", *(("disease-surveillance",) if weekly else ())):
                if (party, kind, day) not in skipped:
                    region.add(share(party, kind, morning))
        day += DAY
    region.expect(LADDER, "share-weather", "FI", "2026-07-14", Status.MISSED)
    region.expect(LADDER, "share-disease-surveillance", "LV", "2026-04-02", Status.MISSED)


def hotline(region: Region) -> None:
    """A severe alert a month, acknowledged by everyone within 20 minutes, except LT's
    late answer in March and PL's silence in July."""
    for month in range(1, 13):
        issuer = PARTIES[month % 5]
        sent = alert(issuer, at(2026, month, 12, 14))
        region.add(sent)
        for party in (p for p in PARTIES if p != issuer):
            if (month, party) == (7, "PL"):
                region.expect(LADDER, "hotline", "PL", f"alert/{sent.record_id}", Status.MISSED)
                continue
            late = (month, party) == (3, "LT")
            region.add(ack(party, sent, sent.at + (61 if late else 20) * MINUTE))
            if late:
                region.expect(LADDER, "hotline", "LT", f"alert/{sent.record_id}", Status.LATE)


def drills(region: Region) -> None:
    """Each party but PL conducts a joint disaster-response drill with all the others;
    all but PL take part in the others' drills."""
    for month, conductor in enumerate(PARTIES[:4], start=3):
        drill = notification(
            conductor, filed=at(2026, month, 1), start=at(2026, month, 20), days=2,
            kind="disaster-response-drill", forces=Forces(500),
            participants=tuple(p for p in PARTIES if p != conductor),
        )  # fmt: skip
        region.add(drill)
        region.add(
            *(participation(p, drill, at(2026, month, 21)) for p in PARTIES[:4] if p != conductor)
        )
    region.expect(LADDER, "joint-disaster-drills", "PL", "2026", Status.MISSED)


def exercise(
    conductor: str,
    name: str,
    start: datetime,
    forces: Forces = TROOPS,
    *,
    ahead: int = 60,
    days: int = 3,
) -> Fact:
    return notification(
        conductor,
        filed=start - ahead * DAY,
        start=start,
        days=days,
        activity_id=name,
        forces=forces,
    )


def activities(region: Region) -> None:
    late = "notify-land-and-air-activities"
    region.add(exercise("FI", "fi-normal", at(2026, 4, 15)))
    region.add(exercise("LT", "lt-small", at(2026, 2, 2), Forces(2_000), ahead=5))
    # Notified 41 days ahead: late under the Vienna Document's 42, in time for the ladder's 21.
    region.add(exercise("EE", "ee-late", at(2026, 5, 10), ahead=41))
    region.expect(VD, late, "EE", "activity/ee-late", Status.LATE)
    # Notified 20 days ahead: late under both.
    region.add(exercise("FI", "fi-short", at(2026, 6, 10), ahead=20))
    region.expect(VD, late, "FI", "activity/fi-short", Status.LATE)
    region.expect(LADDER, "notify-large-exercises", "FI", "activity/fi-short", Status.LATE)
    # Seen by LV, never notified by LT.
    seen = observed("LV", "LT", start=at(2026, 8, 3), forces=Forces(12_000))
    region.add(seen)
    region.expect(VD, late, "LT", f"observed/{seen.record_id}", Status.MISSED)
    region.expect(
        LADDER, "notify-large-exercises", "LT", f"observed/{seen.record_id}", Status.MISSED
    )


def constraints(region: Region) -> None:
    # Seven large activities in a year, one a month: one more than VIII (67.2) allows.
    region.add(*(exercise("PL", f"pl-{m}", at(2026, m, 10), LARGE) for m in range(2, 9)))
    region.expect(VD, "constraint-large-activities-per-year", "PL", "2026", Status.MISSED)
    # Four large activities under way at once: one more than VIII (67.3) allows.
    region.add(*(exercise("LV", f"lv-{d}", at(2026, 10, d), LARGE, days=10) for d in range(1, 5)))
    region.expect(VD, "constraint-simultaneous-activities", "LV", "activity/lv-4", Status.MISSED)
    # Two very large activities within three calendar years: one more than VIII (67.1).
    region.add(
        exercise("EE", "ee-huge-1", at(2026, 3, 1), HUGE),
        exercise("EE", "ee-huge-2", at(2026, 9, 1), HUGE),
    )
    region.expect(VD, "constraint-very-large-activities", "EE", "2024-2026", Status.MISSED)


def exchanges(region: Region) -> None:
    for party in PARTIES:
        region.add(
            exchange(party, "annual-calendar", 2027, at(2026, 11, 20 if party == "FI" else 1))
        )
        if party != "LT":
            region.add(exchange(party, "military-information", 2027, at(2026, 12, 1)))
    region.expect(VD, "annual-calendar", "FI", "2027", Status.LATE)
    region.expect(VD, "annual-military-information", "LT", "2027", Status.MISSED)
    region.expect(LADDER, "military-information", "LT", "2027", Status.MISSED)


def ask(
    region: Region, requester: str, to: str, kind: str, when: datetime,
    after: timedelta | None = HOUR, *, accepted: bool = True, reason: str = "",
) -> str:  # fmt: skip
    asked = request(requester, to, kind, when)
    region.add(asked)
    if after is not None:
        region.add(reply(asked, when + after, accepted=accepted, reason=reason))
    return f"request/{asked.record_id}"


def requests(region: Region) -> None:
    # FI accepts EE's inspection, then refuses LT's with quota left under both agreements.
    ask(region, "EE", "FI", "inspection", at(2026, 3, 1))
    refused = ask(region, "LT", "FI", "inspection", at(2026, 4, 1), accepted=False, reason="busy")
    region.expect(VD, "inspections", "FI", refused, Status.MISSED)
    region.expect(LADDER, "inspections", "FI", refused, Status.MISSED)
    # LV answers after 30 hours: late under the VD's 24, in time for the ladder's 48.
    slow = ask(region, "PL", "LV", "inspection", at(2026, 5, 1), 30 * HOUR)
    region.expect(VD, "inspections", "LV", slow, Status.LATE)
    # PL accepts three and refuses a fourth with its quota filled: nothing to flag.
    for day, requester in enumerate(("EE", "FI", "LT"), start=1):
        ask(region, requester, "PL", "inspection", at(2026, 6, day))
    ask(region, "LV", "PL", "inspection", at(2026, 7, 1), accepted=False, reason="quota-filled")
    # LT refuses its only evaluation visit of the year; EE never answers an observation visit.
    evaluation = ask(
        region, "EE", "LT", "evaluation-visit", at(2026, 8, 1), accepted=False, reason="busy"
    )
    region.expect(VD, "evaluation-visits", "LT", evaluation, Status.MISSED)
    silent = ask(region, "FI", "EE", "observation-visit", at(2026, 9, 1), None)
    region.expect(LADDER, "observation-visits", "EE", silent, Status.MISSED)
    # Consultations: answered in 5 hours, after 49 hours, and never.
    ask(region, "FI", "LV", "consultation", at(2026, 2, 1), 5 * HOUR)
    slow = ask(region, "LV", "PL", "consultation", at(2026, 6, 1), 49 * HOUR)
    region.expect(VD, "consultation-on-unusual-activities", "PL", slow, Status.LATE)
    never = ask(region, "EE", "FI", "consultation", at(2026, 10, 1), None)
    region.expect(VD, "consultation-on-unusual-activities", "FI", never, Status.MISSED)


@pytest.fixture(scope="module")
def region() -> Region:
    made = Region()
    for step in (daily_life, hotline, drills, activities, constraints, exchanges, requests):
        step(made)
    return made


@pytest.fixture(scope="module")
def verdicts(region: Region) -> list[Verdict]:
    shipped = {a.name: a for a in builtin_agreements()}
    ladder: Agreement = replace(shipped[LADDER], parties=PARTIES, tier=3)
    engine = ComplianceEngine([shipped[VD], ladder], PARTIES)
    for fact in sorted(region.facts, key=lambda f: f.at):
        engine.add(fact)
    return [v for v in engine.verdicts(NOW) if YEAR[0] <= v.arose_at < YEAR[1]]


def test_every_injected_violation_is_found(region: Region, verdicts: list[Verdict]) -> None:
    found = {v.key: v.status for v in verdicts}
    assert {key: found.get(key) for key in region.expected} == region.expected


def test_nothing_else_is_late_or_missed(region: Region, verdicts: list[Verdict]) -> None:
    short = {
        v.key: v.status for v in verdicts if v.status not in (Status.MET, Status.NOT_APPLICABLE)
    }
    assert short == region.expected


def test_violations_of_every_rule_type_were_injected(
    region: Region, verdicts: list[Verdict]
) -> None:
    rules = {v.rule for v in verdicts if v.key in region.expected}
    assert rules == set(known_rule_types()) - {"test-annual-report"}


def test_the_year_was_busy(verdicts: list[Verdict]) -> None:
    statuses = {v.status for v in verdicts}
    assert {Status.MET, Status.NOT_APPLICABLE, Status.LATE, Status.MISSED} <= statuses
    assert len(verdicts) > 4_000
