"""Incremental evaluation is exact: an engine fed facts one at a time, and asked along the
way, answers as a fresh engine fed the same facts; and ``add`` names every duty whose
verdict the fact changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.facts import (
    Acceleration,
    Acknowledged,
    AlertIssued,
    Exchange,
    Fact,
    Forces,
    Notification,
    Observed,
    Participation,
    Renewal,
    Reply,
    Request,
    Share,
)
from accord.domain.agreements.model import Agreement, builtin_agreements
from accord.domain.agreements.verdicts import Verdict

from .factories import agreement, at, obligation

PARTIES = ("AA", "BB", "CC")
OTHERS = (*PARTIES, "ZZ")  # ZZ is no party: its facts must count for nothing
T0 = at(2026, 1, 1)
LATE = at(2026, 5, 1)


def _obligations() -> list[dict[str, Any]]:
    thresholds = {"personnel": 5000, "battle_tanks": 100}
    return [
        obligation(
            "notify",
            "prior-notification",
            {
                "activities": ["exercise", "alert-activity", "disaster-response-drill"],
                "thresholds": thresholds,
                "lead_days": 10,
                "exempt_kinds_lead_days": {"alert-activity": 0},
            },
        ),
        obligation(
            "per-year",
            "activity-limit",
            {"max_count": 2, "thresholds": thresholds, "per": "calendar-year"},
        ),
        obligation(
            "three-years",
            "activity-limit",
            {"max_count": 2, "thresholds": thresholds, "per": "3-calendar-years"},
        ),
        obligation(
            "at-once",
            "activity-limit",
            {"max_count": 1, "thresholds": thresholds, "per": "simultaneous"},
        ),
        obligation(
            "exchange", "periodic-exchange", {"kind": "info", "due": "02-15", "for_year_offset": 0}
        ),
        obligation(
            "quota",
            "request-quota",
            {
                "request_kind": "inspection",
                "accept_per_year": 2,
                "per_requester_per_year": 1,
                "answer_within_hours": 24,
            },
        ),
        obligation("consult", "consultation", {"answer_within_hours": 48}),
        obligation(
            "hotline",
            "alert-acknowledgement",
            {"acknowledge_within_minutes": 60, "minimum_severity": "Severe"},
        ),
        obligation("weekly", "periodic-sharing", {"kind": "weather", "every_days": 7}, tier=2),
        obligation("drills", "joint-exercise", {"per_year": 1}, tier=2),
    ]


def agreements() -> list[Agreement]:
    emergency = {"tiers": [2], "max_days": 20, "description": "crisis"}
    first = agreement(
        *_obligations(),
        name="first",
        sunset="2026-03-01",
        emergency=emergency,
        advance={"period": "month", "consecutive": 1},
    )
    twin = agreement(*_obligations(), name="twin", tier=2)  # shares rules with "first"
    vienna = next(a for a in builtin_agreements() if a.name == "vienna-document-2011")
    return [first, twin, vienna]


def engine_of(facts: Sequence[Fact]) -> ComplianceEngine:
    engine = ComplianceEngine(agreements(), PARTIES)
    for fact in facts:
        engine.add(fact)
    return engine


hours = st.integers(0, 24 * 110).map(lambda h: T0 + timedelta(hours=h))
who = st.sampled_from(OTHERS)
activity = st.sampled_from(["a1", "a2", "a3", "a4"])
forces = st.builds(
    Forces, st.sampled_from([1000, 5000, 14000, 30000, 45000]), st.sampled_from([0, 100])
)


@st.composite
def facts(draw: st.DrawFn, count: int) -> list[Fact]:
    """``count`` facts in arrival order (not time order), their references mostly tied to
    facts of the stream, in either direction, so that replies, acknowledgements and
    participations usually find what they answer."""
    made: list[Fact] = []
    for i in range(count):
        record, author, when = f"f{i}", draw(who), draw(hours)
        made.append(draw(_fact(record, author, when, f"f{draw(st.integers(0, count - 1))}")))
    return [draw(_linked(fact, made)) for fact in made]


def _linked(fact: Fact, made: list[Fact]) -> st.SearchStrategy[Fact]:
    """``fact`` with its reference pointed at a fact it can answer, most of the time."""
    requests = [f for f in made if isinstance(f, Request)]
    alerts = [f for f in made if isinstance(f, AlertIssued)]
    notices = [f for f in made if isinstance(f, Notification)]
    if isinstance(fact, Reply) and requests:
        return st.sampled_from(requests).map(
            lambda r: replace(fact, request_id=r.record_id, author=r.to)
        )
    if isinstance(fact, Acknowledged) and alerts:
        return st.tuples(st.sampled_from(alerts), who).map(
            lambda pair: replace(fact, alert_id=pair[0].record_id, author=pair[1])
        )
    if isinstance(fact, Participation) and notices:
        return st.sampled_from(notices).map(
            lambda n: replace(fact, activity_id=n.activity_id, conducted_by=n.author)
        )
    return st.just(fact)


# Requests and replies weigh more: the quota needs several to the same party to show.
WEIGHTED = (
    *["notice"] * 3, "observed", *["request"] * 3, *["reply"] * 3, "exchange", "share",
    "participation", "alert", *["ack"] * 2, "renewal", "acceleration",
)  # fmt: skip


def _fact(record: str, author: str, when: datetime, ref: str) -> st.SearchStrategy[Fact]:
    start = st.integers(-10, 30).map(lambda d: when + timedelta(days=d))
    days = st.integers(0, 6).map(lambda d: timedelta(days=d))
    head = (st.just(record), st.just(author), st.just(when))

    def notice(s: datetime, length: timedelta, **kw: Any) -> Notification:
        return Notification(record, author, when, end=s + length, start=s, area="x", **kw)

    def seen(s: datetime, length: timedelta, **kw: Any) -> Observed:
        return Observed(record, author, when, start=s, end=s + length, area="x", **kw)

    kinds: dict[str, st.SearchStrategy[Fact]] = {
        "notice": st.builds(
            notice, start, days, activity_id=activity,
            kind=st.sampled_from(["exercise", "alert-activity", "disaster-response-drill"]),
            forces=forces, participants=st.sampled_from([(), ("BB",), ("AA", "CC")]),
        ),
        "observed": st.builds(
            seen, start, days, conducted_by=who, kind=st.just("exercise"), forces=forces
        ),
        "request": st.builds(
            Request, *head, st.sampled_from(["inspection", "consultation"]),
            st.sampled_from(["AA", "BB"]),  # few addressees: quotas fill up
        ),
        "reply": st.builds(
            Reply, *head, st.just(ref), st.booleans(),
            st.sampled_from(["", "quota-filled", "force-majeure"]),
        ),
        "exchange": st.builds(Exchange, *head, st.just("info"), st.sampled_from([2026, 2027])),
        "share": st.builds(
            Share, *head, st.sampled_from(["weather", "hazard"]), st.sampled_from([(), ("BB",)])
        ),
        "participation": st.builds(Participation, *head, activity, who),
        "alert": st.builds(
            AlertIssued, *head, st.just("Immediate"), st.sampled_from(["Extreme", "Minor"]),
            st.sampled_from([(), ("CC",)]),
        ),
        "ack": st.builds(Acknowledged, *head, st.just(ref)),
        "renewal": st.builds(
            Renewal, *head, st.just("first"), st.sampled_from([date(2026, 2, 1), date(2026, 4, 1)])
        ),
        "acceleration": st.builds(
            Acceleration, *head, st.just("first"), st.sampled_from([2, 3]), start
        ),
    }  # fmt: skip
    return st.sampled_from(WEIGHTED).flatmap(kinds.__getitem__)


def by_key(verdicts: list[Verdict]) -> dict[object, Verdict]:
    return {v.key: v for v in verdicts}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30).flatmap(facts), st.lists(st.tuples(st.integers(0, 30), hours), max_size=4)
)
def test_fed_incrementally_and_asked_along_the_way_it_answers_as_a_fresh_engine(
    stream: list[Fact], queries: list[tuple[int, datetime]]
) -> None:
    engine = ComplianceEngine(agreements(), PARTIES)
    asked = sorted(queries, key=lambda q: q[0])
    for i, fact in enumerate(stream):
        for _, now in (q for q in asked if q[0] == i):
            assert engine.verdicts(now) == engine_of(stream[:i]).verdicts(now)
            engine.recommendations(now)
            engine.reciprocity(now)
        engine.add(fact)
    fresh = engine_of(stream)
    for now in (LATE, *(q[1] for q in asked)):
        assert engine.verdicts(now) == fresh.verdicts(now)
        assert [engine.verdict(v.key, now) for v in fresh.verdicts(now)] == fresh.verdicts(now)
        assert engine.recommendations(now) == fresh.recommendations(now)
        assert engine.concerns(now) == fresh.concerns(now)
        assert engine.reciprocity(now) == fresh.reciprocity(now)


def assert_add_names_every_change(stream: Sequence[Fact]) -> None:
    engine = ComplianceEngine(agreements(), PARTIES)
    before = by_key(engine.verdicts(LATE))
    for fact in stream:
        keys = engine.add(fact)
        after = by_key(engine.verdicts(LATE))
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        if not isinstance(fact, Renewal | Acceleration):  # these change where duties apply
            assert changed <= keys, fact
        before = after


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 25).flatmap(facts))
def test_add_names_every_duty_whose_verdict_changed(stream: list[Fact]) -> None:
    assert_add_names_every_change(stream)


def _at(day: int, hour: int = 0) -> datetime:
    return at(2026, 1, day, hour)


_R1 = Request("r1", "BB", _at(2), "inspection", "AA")
_R2 = Request("r2", "CC", _at(3), "inspection", "AA")
_DRILL = Notification(
    "n1", "AA", _at(1), "d1", "disaster-response-drill", _at(20), _at(22), "x",
    Forces(6000), participants=("BB",),
)  # fmt: skip
_BIG = Forces(14000)


@pytest.mark.parametrize(
    "stream",
    [
        # An acceptance filed after a later request's refusal changes that refusal's quota.
        [
            _R1,
            _R2,
            Reply("y2", "AA", _at(4), "r2", False, "busy"),
            Reply("y1", "AA", _at(5), "r1", True),
        ],
        # Replies, acknowledgements and participations before what they answer.
        [Reply("y1", "AA", _at(3), "r1", True), _R1],
        [
            Acknowledged("k1", "BB", _at(2, 1), "a1"),
            AlertIssued("a1", "AA", _at(2), "Immediate", "Extreme"),
        ],
        [Participation("p1", "BB", _at(2), "d1", "AA"), _DRILL],
        # An amendment moves an activity: limits and observations it covered move with it.
        [
            Notification("n2", "AA", _at(1), "x1", "exercise", _at(20), _at(25), "x", _BIG),
            Notification("n3", "AA", _at(1), "x2", "exercise", _at(22), _at(23), "x", _BIG),
            Observed("o1", "BB", _at(2), "AA", "exercise", _at(20), _at(21), "x", _BIG),
            Notification("n4", "AA", _at(2), "x1", "exercise", _at(27), _at(28), "x", _BIG),
        ],
    ],
    ids=["quota", "reply-first", "ack-first", "participation-first", "amendment"],
)
def test_add_names_every_change_when_facts_arrive_out_of_order(stream: list[Fact]) -> None:
    assert_add_names_every_change(stream)
