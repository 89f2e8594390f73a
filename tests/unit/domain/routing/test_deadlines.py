"""The deadline policy, its file form, the escalation ladder and stale threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain.alerts.cap import SEVERITIES, URGENCIES
from accord.domain.routing.deadlines import (
    ACKNOWLEDGE,
    DEFAULT_POLICY,
    NO_DEADLINES,
    RESPOND,
    DeadlinePolicy,
    Deadlines,
    Escalation,
    Step,
    due_escalations,
    next_due,
    policy_from_json,
    policy_to_json,
    stale_since,
)
from accord.domain.routing.matching import RoutedAlert, RoutedInfo
from accord.domain.sharing import Scope, Tlp
from accord.errors import InvalidInputError

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def info(urgency: str, severity: str) -> RoutedInfo:
    return RoutedInfo(
        "storm",
        frozenset({"Met"}),
        frozenset(),
        URGENCIES.index(urgency) if urgency in URGENCIES else len(URGENCIES),
        SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES),
        1,
    )


def alert(*infos: RoutedInfo) -> RoutedAlert:
    return RoutedAlert("Actual", "Alert", "s@x", "LV", Scope(Tlp.CLEAR), infos, None, frozenset())


# --- the default policy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "severity", "acknowledge", "respond", "update_every"),
    [
        ("Immediate", "Extreme", 15 * M, 1 * H, 6 * H),
        ("Immediate", "Severe", 30 * M, 2 * H, 6 * H),
        ("Immediate", "Moderate", 4 * H, 24 * H, 6 * H),
        ("Expected", "Extreme", 1 * H, 4 * H, 12 * H),
        ("Expected", "Severe", 1 * H, 4 * H, 12 * H),
        ("Expected", "Moderate", 4 * H, 24 * H, 12 * H),
        ("Future", "Extreme", 24 * H, None, 24 * H),
        ("Future", "Severe", 24 * H, None, 24 * H),
        ("Future", "Moderate", 24 * H, None, 24 * H),
        ("Immediate", "Minor", None, None, 6 * H),
        ("Expected", "Unknown", None, None, 12 * H),
        ("Past", "Extreme", None, None, None),
        ("Unknown", "Extreme", None, None, None),
        ("Soon", "Extreme", None, None, None),  # not CAP: ranks as Unknown
        ("Immediate", "Dire", None, None, 6 * H),
    ],
)
def test_default_table(
    urgency: str,
    severity: str,
    acknowledge: timedelta | None,
    respond: timedelta | None,
    update_every: timedelta | None,
) -> None:
    assert DEFAULT_POLICY.for_alert(alert(info(urgency, severity))) == Deadlines(
        acknowledge, respond, update_every
    )


def test_an_alert_without_info_has_no_deadlines() -> None:
    assert DEFAULT_POLICY.for_alert(alert()) == NO_DEADLINES


def test_the_most_pressing_demand_of_any_block_applies() -> None:
    # An Immediate but Minor block must not hide an Expected, Extreme one.
    mixed = alert(info("Immediate", "Minor"), info("Expected", "Extreme"), info("Future", "Severe"))
    assert DEFAULT_POLICY.for_alert(mixed) == Deadlines(1 * H, 4 * H, 6 * H)


def test_the_default_policy_cannot_be_changed_in_place() -> None:
    with pytest.raises(TypeError):
        DEFAULT_POLICY.table[("Past", "Extreme")] = (M, M)  # type: ignore[index]


# --- the file form ----------------------------------------------------------------------


def test_the_default_policy_round_trips_through_json() -> None:
    written = policy_to_json(DEFAULT_POLICY)
    assert written["deadlines"][0] == {
        "urgency": "Immediate",
        "severity": "Extreme",
        "acknowledge": 15,
        "respond": 60,
    }
    assert written["update_every"] == {"Immediate": 360, "Expected": 720, "Future": 1440}
    assert policy_from_json(written) == DEFAULT_POLICY


def test_a_custom_policy() -> None:
    policy = policy_from_json(
        {
            "deadlines": [
                {"urgency": "Past", "severity": "Minor", "acknowledge": 5, "respond": None},
                {"urgency": "Immediate", "severity": "Extreme", "respond": 30},
            ],
            "update_every": {"Past": 60, "Future": None},
        }
    )
    assert policy.for_alert(alert(info("Past", "Minor"))) == Deadlines(5 * M, None, 1 * H)
    assert policy.for_alert(alert(info("Immediate", "Extreme"))) == Deadlines(None, 30 * M, None)
    assert policy.for_alert(alert(info("Expected", "Extreme"))) == NO_DEADLINES
    assert policy_from_json(policy_to_json(policy)) == policy
    assert policy_from_json({}) == DeadlinePolicy({}, {})


def test_every_problem_in_a_policy_is_named() -> None:
    with pytest.raises(InvalidInputError) as caught:
        policy_from_json(
            {
                "deadlines": [
                    {"urgency": "Soon", "severity": "Extreme", "acknowledge": 0},
                    "fast",
                    {"urgency": "Immediate", "severity": "Bad", "respond": "1h", "escalate": 1},
                    {"urgency": "Future", "severity": "Minor", "acknowledge": True},
                    {"urgency": "Future", "severity": "Minor", "respond": 99_999},
                ],
                "update_every": {"Immediate": "often", "Later": 60},
                "version": 2,
            }
        )
    assert {(p.location, p.code) for p in caught.value.problems} == {
        ("deadlines[0].urgency", "UNKNOWN_VALUE"),
        ("deadlines[0].acknowledge", "INVALID_MINUTES"),
        ("deadlines[1]", "INVALID_ROW"),
        ("deadlines[2].severity", "UNKNOWN_VALUE"),
        ("deadlines[2].respond", "INVALID_MINUTES"),
        ("deadlines[2].escalate", "UNKNOWN_FIELD"),
        ("deadlines[3].acknowledge", "INVALID_MINUTES"),
        ("deadlines[4]", "DUPLICATE_ROW"),
        ("deadlines[4].respond", "INVALID_MINUTES"),
        ("update_every.Immediate", "INVALID_MINUTES"),
        ("update_every.Later", "UNKNOWN_VALUE"),
        ("version", "UNKNOWN_FIELD"),
    }


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], ("", "INVALID_POLICY")),
        ({"deadlines": {}}, ("deadlines", "INVALID_LIST")),
        ({"update_every": [360]}, ("update_every", "INVALID_CADENCE")),
    ],
)
def test_the_shape_of_a_policy(data: object, problem: tuple[str, str]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        policy_from_json(data)
    assert [(p.location, p.code) for p in caught.value.problems] == [problem]


# --- the ladder -------------------------------------------------------------------------

BOTH = Deadlines(15 * M, 1 * H, None)


def due(
    minutes: float,
    *,
    deadlines: Deadlines = BOTH,
    acknowledged: float | None = None,
    responded: float | None = None,
    fired: frozenset[tuple[str, Step]] = frozenset(),
) -> list[tuple[str, Step, float]]:
    steps = due_escalations(
        notified_at=T0,
        deadlines=deadlines,
        acknowledged_at=None if acknowledged is None else T0 + acknowledged * M,
        responded_at=None if responded is None else T0 + responded * M,
        now=T0 + minutes * M,
        fired=fired,
    )
    return [(e.kind, e.step, (e.due_at - T0) / M) for e in steps]


def test_the_whole_ladder_in_time_order() -> None:
    assert due(14.9) == []
    assert due(15) == [(ACKNOWLEDGE, Step.RENOTIFY, 15)]
    assert due(24 * 60) == [
        (ACKNOWLEDGE, Step.RENOTIFY, 15),
        (ACKNOWLEDGE, Step.FOCAL_POINT, 30),
        (ACKNOWLEDGE, Step.SECRETARIAT, 45),
        (RESPOND, Step.FOCAL_POINT, 60),
        (RESPOND, Step.SECRETARIAT, 120),
    ]


def test_each_step_fires_once() -> None:
    fired: frozenset[tuple[str, Step]] = frozenset()
    seen = []
    for minute in range(0, 200, 5):
        steps = due(minute, fired=fired)
        seen += steps
        fired |= {(kind, step) for kind, step, _ in steps}
    assert [(kind, step) for kind, step, _ in seen] == [
        (ACKNOWLEDGE, Step.RENOTIFY),
        (ACKNOWLEDGE, Step.FOCAL_POINT),
        (ACKNOWLEDGE, Step.SECRETARIAT),
        (RESPOND, Step.FOCAL_POINT),
        (RESPOND, Step.SECRETARIAT),
    ]


def test_an_acknowledgement_stops_the_steps_due_after_it() -> None:
    assert due(200, acknowledged=10, responded=50) == []
    # Acknowledged (late, at 20 minutes) before the worker looked: nobody is chased for the
    # acknowledgement any more; the respond ladder goes on.
    assert due(100, acknowledged=20) == [(RESPOND, Step.FOCAL_POINT, 60)]
    assert due(100, acknowledged=20, fired=frozenset({(ACKNOWLEDGE, Step.RENOTIFY)})) == [
        (RESPOND, Step.FOCAL_POINT, 60)
    ]


def test_a_response_decision_answers_both_ladders() -> None:
    assert due(200, responded=30) == []
    assert due(50, acknowledged=5) == []
    assert due(70, acknowledged=5) == [(RESPOND, Step.FOCAL_POINT, 60)]
    assert due(200, acknowledged=5, responded=90) == []


def test_no_deadlines_no_ladder() -> None:
    assert due(10_000, deadlines=NO_DEADLINES) == []
    assert due(10_000, deadlines=Deadlines(None, 1 * H, None)) == [
        (RESPOND, Step.FOCAL_POINT, 60),
        (RESPOND, Step.SECRETARIAT, 120),
    ]


def test_escalations_carry_their_due_time() -> None:
    (first,) = due_escalations(
        notified_at=T0,
        deadlines=BOTH,
        acknowledged_at=None,
        responded_at=None,
        now=T0 + 20 * M,
        fired=frozenset(),
    )
    assert first == Escalation(ACKNOWLEDGE, Step.RENOTIFY, T0 + 15 * M)


def scheduled(
    now_minutes: float,
    *,
    acknowledged: float | None = None,
    fired: frozenset[tuple[str, Step]] = frozenset(),
) -> float | None:
    at = next_due(
        notified_at=T0,
        deadlines=BOTH,
        acknowledged_at=None if acknowledged is None else T0 + acknowledged * M,
        responded_at=None,
        now=T0 + now_minutes * M,
        fired=fired,
    )
    return None if at is None else (at - T0) / M


def test_next_due() -> None:
    assert scheduled(0) == 15
    assert scheduled(16, fired=frozenset({(ACKNOWLEDGE, Step.RENOTIFY)})) == 30
    assert scheduled(16) == 15  # overdue and not fired: look again now
    assert scheduled(16, acknowledged=16, fired=frozenset({(ACKNOWLEDGE, Step.RENOTIFY)})) == 60
    every_step = frozenset({(k, s) for k in (ACKNOWLEDGE, RESPOND) for s in Step})
    assert scheduled(0, fired=every_step) is None


ACK_LADDER = ((Step.RENOTIFY, 1), (Step.FOCAL_POINT, 2), (Step.SECRETARIAT, 3))
RESPOND_LADDER = ((Step.FOCAL_POINT, 1), (Step.SECRETARIAT, 2))


@settings(max_examples=200)
@given(
    acknowledge=st.none() | st.integers(1, 120),
    respond=st.none() | st.integers(1, 240),
    acknowledged=st.none() | st.integers(0, 600),
    checks=st.lists(st.integers(0, 900), min_size=1, max_size=12).map(sorted),
)
def test_a_scheduler_fires_each_step_once_and_only_before_the_answer(
    acknowledge: int | None, respond: int | None, acknowledged: int | None, checks: list[int]
) -> None:
    """Check at arbitrary times, firing what is due: every step fires at most once, never
    before it is due, and exactly the steps found due while unanswered;
    ``next_due`` then always points past ``now``."""
    deadlines = Deadlines(
        None if acknowledge is None else acknowledge * M,
        None if respond is None else respond * M,
        None,
    )
    fired: frozenset[tuple[str, Step]] = frozenset()
    fired_at: dict[tuple[str, Step], int] = {}
    for minute in checks:
        now = T0 + minute * M
        answered_at = None
        if acknowledged is not None and acknowledged <= minute:
            answered_at = T0 + acknowledged * M  # the node knows of the answer only now
        for e in due_escalations(
            notified_at=T0,
            deadlines=deadlines,
            acknowledged_at=answered_at,
            responded_at=None,
            now=now,
            fired=fired,
        ):
            assert (e.kind, e.step) not in fired
            assert e.due_at <= now
            fired_at[(e.kind, e.step)] = minute
            fired |= {(e.kind, e.step)}
        later = next_due(
            notified_at=T0,
            deadlines=deadlines,
            acknowledged_at=answered_at,
            responded_at=None,
            now=now,
            fired=fired,
        )
        assert later is None or later > now  # everything due has fired
    # A step fires at the first check at or after its due time, unless the answer was
    # known by that check.
    expected = {
        (kind, step)
        for kind, deadline, ladder in (
            (ACKNOWLEDGE, acknowledge, ACK_LADDER),
            (RESPOND, respond, RESPOND_LADDER),
        )
        if deadline is not None
        for step, multiple in ladder
        if any(
            check >= deadline * multiple
            and not (kind == ACKNOWLEDGE and acknowledged is not None and acknowledged <= check)
            for check in checks
        )
    }
    assert set(fired_at) == expected


# --- stale threads ----------------------------------------------------------------------


def test_stale_since() -> None:
    cadence = Deadlines(None, None, 6 * H)
    assert stale_since(T0, cadence, T0 + 5 * H) is None
    assert stale_since(T0, cadence, T0 + 6 * H) == T0 + 6 * H
    assert stale_since(T0, cadence, T0 + 30 * H) == T0 + 6 * H
    assert stale_since(T0, NO_DEADLINES, T0 + 1000 * H) is None
