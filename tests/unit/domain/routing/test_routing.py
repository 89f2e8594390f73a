"""Filters, matching and deadlines: the rules on their own, and the index against them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from accord.domain.alerts.cap import CATEGORIES, SEVERITIES, URGENCIES
from accord.domain.identity import Role
from accord.domain.routing.deadlines import (
    DEFAULT_POLICY,
    Deadlines,
    Step,
    due_escalations,
    next_due,
    policy_from_json,
    policy_to_json,
    stale_since,
)
from accord.domain.routing.filters import Filter, filter_from_json, filter_to_json
from accord.domain.routing.matching import (
    RoutedAlert,
    RoutedInfo,
    Subscription,
    SubscriptionIndex,
    matches,
    status_admits,
)
from accord.domain.routing.retries import MAX_ATTEMPTS, next_attempt
from accord.domain.sharing import Reader, Scope, Tlp
from accord.errors import InvalidInputError

FOCAL_EE = Reader(Role.FOCAL_POINT, "EE")
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def info(**overrides: object) -> RoutedInfo:
    values: dict[str, object] = {
        "event": "storm",
        "categories": frozenset({"Met"}),
        "event_codes": frozenset(),
        "urgency_rank": 1,
        "severity_rank": 1,
        "certainty_rank": 1,
    }
    values.update(overrides)
    return RoutedInfo(**values)  # type: ignore[arg-type]


def alert(**overrides: object) -> RoutedAlert:
    values: dict[str, object] = {
        "status": "Actual",
        "msg_type": "Alert",
        "sender": "met@lv",
        "author": "LV",
        "scope": Scope(Tlp.CLEAR),
        "infos": (info(),),
        "area": box(24, 59, 25, 60),
        "geocodes": frozenset(),
    }
    values.update(overrides)
    return RoutedAlert(**values)  # type: ignore[arg-type]


def sub(reader: Reader = FOCAL_EE, **filter_fields: object) -> Subscription:
    return Subscription(1, reader, filter_from_json(filter_fields))


def test_status_rules() -> None:
    assert status_admits("Actual", exercises=False, test=False)
    assert status_admits("Exercise", exercises=True, test=False)
    assert not status_admits("Exercise", exercises=False, test=True)
    assert status_admits("Test", exercises=False, test=True)
    assert not status_admits("Test", exercises=True, test=False)
    assert not status_admits("Draft", exercises=True, test=True)


def test_msg_types_default_to_alert_update_cancel() -> None:
    assert matches(sub(), alert(msg_type="Cancel"))
    assert not matches(sub(), alert(msg_type="Ack"))
    assert matches(sub(msg_types=["Ack"]), alert(msg_type="Ack"))


def test_one_info_block_must_satisfy_every_info_condition() -> None:
    mixed = alert(
        infos=(
            info(event="flood", severity_rank=3),
            info(event="storm", severity_rank=0),
        )
    )
    assert matches(sub(events=["Storm"], min_severity="Extreme"), mixed)
    assert not matches(sub(events=["Flood"], min_severity="Extreme"), mixed)


def test_tlp_ceiling_and_scope() -> None:
    amber = alert(scope=Scope(Tlp.AMBER))
    assert matches(sub(), amber)
    assert not matches(sub(tlp_ceiling="GREEN"), amber)
    red_for_lt = alert(scope=Scope(Tlp.RED, frozenset({"LT"})))
    assert not matches(sub(), red_for_lt)
    assert matches(sub(Reader(Role.FOCAL_POINT, "LT")), red_for_lt)
    assert not matches(sub(Reader(Role.OBSERVER, "LT")), red_for_lt)


def test_areas_geocodes_and_unlocated_alerts() -> None:
    area = {"type": "Polygon", "coordinates": [[[24.5, 59.5], [26, 59.5], [26, 61], [24.5, 59.5]]]}
    located = sub(area=area)
    assert matches(located, alert())
    assert not matches(located, alert(area=box(10, 50, 11, 51)))
    coded = sub(geocodes=[{"valueName": "EMMA_ID", "value": "EE001"}])
    assert matches(coded, alert(area=None, geocodes=frozenset({("EMMA_ID", "EE001")})))
    assert not matches(coded, alert(area=None))
    assert not matches(located, alert(area=None))
    assert matches(sub(area=area, include_unlocated=True), alert(area=None))


def test_bad_filters_name_every_problem() -> None:
    with pytest.raises(InvalidInputError) as caught:
        filter_from_json(
            {
                "categories": ["Weather", "Met"],
                "min_urgency": "Now",
                "tlp_ceiling": "PINK",
                "area": {"type": "Point", "coordinates": [1, 2]},
                "exercises": "yes",
                "shade": 1,
            }
        )
    locations = {p.location for p in caught.value.problems}
    assert locations == {
        "filter.categories[0]",
        "filter.min_urgency",
        "filter.tlp_ceiling",
        "filter.area",
        "filter.exercises",
        "filter.shade",
    }


lists = st.lists(st.sampled_from(["a", "b", "Storm", "Ωmega"]), max_size=3, unique=True)
filters = st.builds(
    dict,
    categories=st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True),
    events=lists,
    senders=lists,
    min_urgency=st.none() | st.sampled_from(URGENCIES),
    min_severity=st.none() | st.sampled_from(SEVERITIES),
    tlp_ceiling=st.sampled_from([t.value for t in Tlp]),
    exercises=st.booleans(),
    include_unlocated=st.booleans(),
    geocodes=st.lists(
        st.builds(dict, valueName=st.just("EMMA_ID"), value=st.sampled_from(["A", "B"])),
        max_size=2,
        unique_by=lambda d: d["value"],
    ),
)


@given(filters)
def test_filters_round_trip_through_json(raw: dict[str, object]) -> None:
    parsed = filter_from_json(raw)
    assert filter_from_json(filter_to_json(parsed)) == parsed


def _random_filter(rng: random.Random) -> Filter:
    raw: dict[str, object] = {}
    if rng.random() < 0.6:
        x, y = rng.uniform(0, 20), rng.uniform(40, 60)
        w, h = rng.uniform(0.1, 5), rng.uniform(0.1, 5)
        raw["area"] = {
            "type": "Polygon",
            "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]],
        }
    if rng.random() < 0.3:
        raw["geocodes"] = [{"valueName": "G", "value": rng.choice("ABC")}]
    if rng.random() < 0.3:
        raw["categories"] = [rng.choice(["Met", "Env", "Health"])]
    if rng.random() < 0.3:
        raw["min_severity"] = rng.choice(SEVERITIES)
    raw["exercises"] = rng.random() < 0.5
    raw["include_unlocated"] = rng.random() < 0.3
    raw["tlp_ceiling"] = rng.choice([t.value for t in Tlp])
    return filter_from_json(raw)


def _random_alert(rng: random.Random) -> RoutedAlert:
    x, y = rng.uniform(0, 20), rng.uniform(40, 60)
    area = (
        box(x, y, x + rng.uniform(0.1, 3), y + rng.uniform(0.1, 3)) if rng.random() < 0.8 else None
    )
    return alert(
        status=rng.choice(["Actual", "Exercise", "Test", "Draft"]),
        scope=Scope(rng.choice(list(Tlp)), frozenset(rng.sample(["EE", "LV", "LT"], 1))),
        author=rng.choice(["EE", "LV"]),
        infos=(
            info(
                categories=frozenset({rng.choice(["Met", "Env", "Health"])}),
                severity_rank=rng.randrange(5),
            ),
        ),
        area=area,
        geocodes=frozenset({("G", rng.choice("ABCD"))}) if rng.random() < 0.4 else frozenset(),
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_the_index_agrees_with_the_plain_rule(seed: int) -> None:
    rng = random.Random(seed)
    readers = [
        Reader(role, code)
        for role in (Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER)
        for code in ("EE", "LV", "LT")
    ]
    subscriptions = [
        Subscription(i, rng.choice(readers), _random_filter(rng)) for i in range(1, 80)
    ]
    index = SubscriptionIndex(subscriptions)
    for _ in range(25):
        routed = _random_alert(rng)
        assert index.match(routed) == [s.id for s in subscriptions if matches(s, routed)]


def test_default_deadlines_follow_urgency_and_severity() -> None:
    extreme_now = alert(infos=(info(urgency_rank=0, severity_rank=0),))
    assert DEFAULT_POLICY.for_alert(extreme_now) == Deadlines(
        timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6)
    )
    minor = alert(infos=(info(urgency_rank=0, severity_rank=3),))
    assert DEFAULT_POLICY.for_alert(minor).acknowledge is None
    assert policy_from_json(policy_to_json(DEFAULT_POLICY)) == DEFAULT_POLICY


def test_policy_files_are_checked() -> None:
    with pytest.raises(InvalidInputError) as caught:
        policy_from_json(
            {
                "deadlines": [{"urgency": "Soon", "severity": "Extreme", "acknowledge": 0}],
                "update_every": {"Immediate": "often"},
            }
        )
    assert {p.location for p in caught.value.problems} == {
        "deadlines[0].urgency",
        "deadlines[0].acknowledge",
        "update_every.Immediate",
    }


def test_the_ladder_fires_each_step_once_and_stops_when_answered() -> None:
    deadlines = Deadlines(timedelta(minutes=15), timedelta(hours=1), None)
    fired: frozenset[tuple[str, Step]] = frozenset()

    def due(minutes: int, acknowledged: datetime | None = None) -> list[tuple[str, Step]]:
        steps = due_escalations(
            notified_at=T0,
            deadlines=deadlines,
            acknowledged_at=acknowledged,
            responded_at=None,
            now=T0 + timedelta(minutes=minutes),
            fired=fired,
        )
        return [(s.kind, s.step) for s in steps]

    assert due(14) == []
    assert due(16) == [("acknowledge", Step.RENOTIFY)]
    fired = frozenset({("acknowledge", Step.RENOTIFY)})
    assert due(16) == []
    assert due(50) == [("acknowledge", Step.FOCAL_POINT), ("acknowledge", Step.SECRETARIAT)]
    assert due(50, acknowledged=T0 + timedelta(minutes=20)) == []
    assert next_due(
        notified_at=T0,
        deadlines=deadlines,
        acknowledged_at=None,
        responded_at=None,
        now=T0,
        fired=fired,
    ) == T0 + timedelta(minutes=30)


def test_stale_threads() -> None:
    cadence = Deadlines(None, None, timedelta(hours=6))
    assert stale_since(T0, cadence, T0 + timedelta(hours=5)) is None
    assert stale_since(T0, cadence, T0 + timedelta(hours=7)) == T0 + timedelta(hours=6)


def test_retries_follow_the_standard_webhooks_schedule() -> None:
    rng = random.Random(1)
    first = next_attempt(1, T0, rng)
    assert first is not None
    assert timedelta(seconds=4.5) <= first - T0 <= timedelta(seconds=5.5)
    assert next_attempt(MAX_ATTEMPTS, T0, rng) is None
