"""``matches`` rule by rule on CAP alerts built by hand, then ``SubscriptionIndex`` against
``matches`` on random subscriptions and alerts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from accord.domain.alerts.cap import MSG_TYPES, STATUSES, Alert, Area, Info, ValuePair
from accord.domain.identity import Role
from accord.domain.routing.filters import Filter, filter_from_json, filter_to_json
from accord.domain.routing.matching import (
    RoutedAlert,
    RoutedInfo,
    Subscription,
    SubscriptionIndex,
    matches,
    routed_alert,
    status_admits,
)
from accord.domain.sharing import Reader, Scope, Tlp
from tests.strategies import alerts

INFO = Info(
    categories=("Met",), event="Storm", urgency="Expected", severity="Severe", certainty="Likely"
)
ALERT = Alert(
    identifier="LV-1",
    sender="met@example.lv",
    sent="2026-11-24T12:00:00-00:00",
    status="Actual",
    msg_type="Alert",
    scope="Public",
    infos=(INFO,),
)
# CAP writes "lat,lon": a square around Riga (lon 23.9-24.3, lat 56.8-57.1).
RIGA = Area(area_desc="Riga", polygons=("56.8,23.9 56.8,24.3 57.1,24.3 57.1,23.9 56.8,23.9",))
FOCAL_EE = Reader(Role.FOCAL_POINT, "EE")


CLEAR = Scope(Tlp.CLEAR)


def routed(alert: Alert = ALERT, *, scope: Scope = CLEAR, author: str = "LV") -> RoutedAlert:
    return routed_alert(alert, scope, author)


def with_infos(*infos: Info, **changes: object) -> Alert:
    return replace(ALERT, infos=infos, **changes)  # type: ignore[arg-type]


def info(**changes: object) -> Info:
    return replace(INFO, **changes)  # type: ignore[arg-type]


def sub(reader: Reader = FOCAL_EE, **filter_fields: object) -> Subscription:
    return Subscription(1, reader, filter_from_json(filter_fields))


def geojson(geometry: BaseGeometry) -> dict[str, object]:
    area: dict[str, object] = filter_to_json(Filter(area=geometry))["area"]
    return area


# --- reading an alert -------------------------------------------------------------------


def test_routed_alert_reads_what_matching_needs() -> None:
    alert = with_infos(
        info(
            event="  Storm  WARNING",
            categories=("Met", "Safety"),
            urgency="Immediate",
            severity="Extreme",
            certainty="Observed",
            event_codes=(ValuePair("SAME", "SVR"),),
            areas=(replace(RIGA, geocodes=(ValuePair("NUTS3", "LV006"),)),),
        ),
        info(event="Flood", urgency="Bogus", areas=(Area(area_desc="x", circles=("50,10 5",)),)),
        msg_type="Update",
    )
    got = routed_alert(alert, Scope(Tlp.AMBER, frozenset({"EE"})), "LV")
    assert (got.status, got.msg_type, got.sender, got.author) == (
        "Actual",
        "Update",
        "met@example.lv",
        "LV",
    )
    assert got.scope == Scope(Tlp.AMBER, frozenset({"EE"}))
    assert got.infos[0] == RoutedInfo(
        "storm warning", frozenset({"Met", "Safety"}), frozenset({("SAME", "SVR")}), 0, 0, 0
    )
    assert got.infos[1].urgency_rank == 5  # not a CAP value: weaker than every CAP value
    assert got.geocodes == {("NUTS3", "LV006")}
    assert got.area is not None
    assert got.area.intersects(Point(24.1, 56.9))
    assert got.area.intersects(Point(10, 50))  # the circle


def test_a_given_area_is_used_and_an_empty_one_is_no_area() -> None:
    given_area = box(0, 0, 1, 1)
    assert routed_alert(ALERT, Scope(Tlp.CLEAR), "LV", given_area).area is given_area
    assert routed_alert(with_infos(info(areas=(RIGA,))), Scope(Tlp.CLEAR), "LV").area is not None
    assert routed_alert(ALERT, Scope(Tlp.CLEAR), "LV", Polygon()).area is None


# --- status and message type ------------------------------------------------------------


def test_status_admits() -> None:
    for exercises in (False, True):
        for test in (False, True):
            assert status_admits("Actual", exercises=exercises, test=test)
            assert status_admits("Exercise", exercises=exercises, test=test) is exercises
            assert status_admits("Test", exercises=exercises, test=test) is test
            assert status_admits("System", exercises=exercises, test=test) is test
            assert not status_admits("Draft", exercises=exercises, test=test)
            assert not status_admits("actual", exercises=exercises, test=test)


@pytest.mark.parametrize(
    ("status", "plain", "with_exercises"),
    [
        ("Actual", True, True),
        ("Exercise", False, True),
        ("Test", True, True),  # the caller keeps them to test endpoints
        ("System", True, True),
        ("Draft", False, False),
    ],
)
def test_statuses(status: str, plain: bool, with_exercises: bool) -> None:
    alert = routed(replace(ALERT, status=status))
    assert matches(sub(), alert) is plain
    assert matches(sub(exercises=True), alert) is with_exercises


@pytest.mark.parametrize("msg_type", MSG_TYPES)
def test_message_types_default_to_alert_update_cancel(msg_type: str) -> None:
    alert = routed(replace(ALERT, msg_type=msg_type))
    assert matches(sub(), alert) is (msg_type in ("Alert", "Update", "Cancel"))
    assert matches(sub(msg_types=[msg_type]), alert)
    other = "Error" if msg_type != "Error" else "Alert"
    assert not matches(sub(msg_types=[other]), alert)


def test_senders() -> None:
    assert matches(sub(senders=["met@example.lv", "x@y"]), routed())
    assert not matches(sub(senders=["other@example.lv"]), routed())


# --- TLP ceiling and the owner's right to read -------------------------------------------


@pytest.mark.parametrize("tlp", list(Tlp))
def test_tlp_ceiling(tlp: Tlp) -> None:
    alert = routed(scope=Scope(tlp))
    admin = Reader(Role.ADMIN)  # reads everything, so only the ceiling decides
    for ceiling in Tlp:
        assert matches(sub(admin, tlp_ceiling=ceiling.value), alert) is (tlp.rank <= ceiling.rank)


def test_red_goes_to_the_authors_staff_and_the_audiences_focal_points_only() -> None:
    red = routed(scope=Scope(Tlp.RED, frozenset({"EE"})), author="LV")
    assert matches(sub(Reader(Role.FOCAL_POINT, "EE")), red)
    assert not matches(sub(Reader(Role.ANALYST, "EE")), red)
    assert not matches(sub(Reader(Role.FOCAL_POINT, "LT")), red)
    assert matches(sub(Reader(Role.ANALYST, "LV")), red)
    assert not matches(sub(Reader(Role.OBSERVER, "LV")), red)


def test_amber_goes_to_members_of_the_audience_or_everyone_without_one() -> None:
    to_all = routed(scope=Scope(Tlp.AMBER), author="LV")
    to_ee = routed(scope=Scope(Tlp.AMBER, frozenset({"EE"})), author="LV")
    observer_lt = Reader(Role.OBSERVER, "LT")
    assert matches(sub(observer_lt), to_all)
    assert not matches(sub(observer_lt), to_ee)
    assert matches(sub(Reader(Role.OBSERVER, "EE")), to_ee)
    strict = routed(scope=Scope(Tlp.AMBER_STRICT), author="LV")
    assert not matches(sub(observer_lt), strict)
    assert matches(sub(Reader(Role.ANALYST, "LT")), strict)


def test_readers_outside_the_community_get_only_clear() -> None:
    reporter = Reader(Role.REPORTER, "EE")
    assert matches(sub(reporter), routed(scope=Scope(Tlp.CLEAR)))
    assert not matches(sub(reporter), routed(scope=Scope(Tlp.GREEN)))


# --- info conditions --------------------------------------------------------------------


def test_one_info_block_must_satisfy_every_info_condition() -> None:
    mixed = routed(
        with_infos(
            info(categories=("Met",), event="Flood", severity="Minor"),
            info(categories=("Env",), event="Storm", severity="Extreme"),
        )
    )
    assert matches(sub(categories=["Env"], min_severity="Extreme"), mixed)
    assert matches(sub(events=["Flood"], categories=["Met"]), mixed)
    assert not matches(sub(categories=["Met"], min_severity="Severe"), mixed)
    assert not matches(sub(events=["Storm"], categories=["Met"]), mixed)


def test_minimum_ranks_mean_at_least_this_strong() -> None:
    def at(severity: str, urgency: str = "Expected", certainty: str = "Likely") -> RoutedAlert:
        return routed(with_infos(info(severity=severity, urgency=urgency, certainty=certainty)))

    wants_severe = sub(min_severity="Severe")
    assert matches(wants_severe, at("Extreme"))
    assert matches(wants_severe, at("Severe"))
    assert not matches(wants_severe, at("Moderate"))
    assert not matches(wants_severe, at("Unknown"))
    assert matches(sub(min_severity="Unknown"), at("Unknown"))
    assert not matches(sub(min_urgency="Immediate"), at("Severe"))
    assert matches(sub(min_urgency="Future"), at("Severe"))
    assert not matches(sub(min_certainty="Observed"), at("Severe"))
    assert matches(sub(min_certainty="Possible"), at("Severe"))
    all_three = sub(min_urgency="Expected", min_severity="Severe", min_certainty="Likely")
    assert matches(all_three, at("Severe"))
    assert not matches(all_three, at("Severe", urgency="Future"))


def test_categories_events_and_event_codes() -> None:
    alert = routed(
        with_infos(
            info(
                categories=("Met", "Safety"),
                event="Storm Warning",
                event_codes=(ValuePair("SAME", "SVR"), ValuePair("X", "1")),
            )
        )
    )
    assert matches(sub(categories=["Safety", "Fire"]), alert)
    assert not matches(sub(categories=["Fire"]), alert)
    assert matches(sub(events=["STORM   warning"]), alert)
    assert not matches(sub(events=["Storm"]), alert)
    assert matches(sub(event_codes=[{"valueName": "SAME", "value": "SVR"}]), alert)
    assert not matches(sub(event_codes=[{"valueName": "SAME", "value": "FLW"}]), alert)


def test_an_alert_without_info_passes_only_filters_without_info_conditions() -> None:
    bare_cancel = routed(with_infos(msg_type="Cancel"))
    assert matches(sub(), bare_cancel)
    assert matches(sub(senders=["met@example.lv"]), bare_cancel)
    assert not matches(sub(categories=["Met"]), bare_cancel)
    assert not matches(sub(min_urgency="Unknown"), bare_cancel)


# --- where ------------------------------------------------------------------------------

LATVIA = box(21, 55.7, 28.2, 58.1)
ESTONIA = box(21.8, 57.5, 28.2, 59.7)


def test_polygons_circles_and_multipolygons() -> None:
    riga = routed(with_infos(info(areas=(RIGA,))))
    assert matches(sub(area=geojson(LATVIA)), riga)
    assert not matches(sub(area=geojson(box(10, 50, 11, 51))), riga)
    assert matches(sub(area=geojson(MultiPolygon([box(10, 50, 11, 51), LATVIA]))), riga)
    circle = routed(with_infos(info(areas=(Area(area_desc="c", circles=("57.4,24.0 20",)),))))
    assert matches(sub(area=geojson(ESTONIA)), circle)  # reaches over the border
    assert not matches(sub(area=geojson(box(24.5, 57.7, 25, 58))), circle)


def test_touching_counts_as_meeting() -> None:
    alert = routed_alert(ALERT, Scope(Tlp.CLEAR), "LV", box(0, 0, 1, 1))
    assert matches(sub(area=geojson(box(1, 0, 2, 1))), alert)


def test_geocodes() -> None:
    coded = Area(area_desc="Riga", geocodes=(ValuePair("NUTS3", "LV006"),))
    alert = routed(with_infos(info(areas=(coded,))))
    assert alert.area is None
    assert matches(sub(geocodes=[{"valueName": "NUTS3", "value": "LV006"}]), alert)
    assert not matches(sub(geocodes=[{"valueName": "NUTS3", "value": "LV007"}]), alert)
    assert not matches(sub(geocodes=[{"valueName": "EMMA_ID", "value": "LV006"}]), alert)
    both = sub(area=geojson(ESTONIA), geocodes=[{"valueName": "NUTS3", "value": "LV006"}])
    assert matches(both, alert)  # either way in
    assert not matches(sub(area=geojson(LATVIA)), alert)  # geocodes are not geometry


def test_unlocated_alerts_reach_area_filters_only_when_asked() -> None:
    nowhere = routed()
    assert nowhere.area is None
    assert not nowhere.geocodes
    assert matches(sub(), nowhere)
    assert not matches(sub(area=geojson(LATVIA)), nowhere)
    assert matches(sub(area=geojson(LATVIA), include_unlocated=True), nowhere)
    coded = [{"valueName": "NUTS3", "value": "EE001"}]
    assert matches(sub(geocodes=coded, include_unlocated=True), nowhere)
    elsewhere = routed(with_infos(info(areas=(Area(area_desc="x", circles=("50,10 5",)),))))
    assert not matches(sub(area=geojson(LATVIA), include_unlocated=True), elsewhere)
    other_code = Area(area_desc="x", geocodes=(ValuePair("NUTS3", "DE001"),))
    coded_elsewhere = routed(with_infos(info(areas=(other_code,))))
    assert not matches(sub(geocodes=coded, include_unlocated=True), coded_elsewhere)


# --- the index against the rule ---------------------------------------------------------


def brute_force(subscriptions: list[Subscription], alert: RoutedAlert) -> list[int]:
    return sorted(s.id for s in subscriptions if matches(s, alert))


def test_an_index_over_nothing_matches_nothing() -> None:
    index = SubscriptionIndex([])
    assert len(index) == 0
    assert index.match(routed()) == []


def test_the_index_keeps_its_subscriptions_and_sorts_ids() -> None:
    subscriptions = [Subscription(i, FOCAL_EE, Filter()) for i in (5, 3, 9)]
    index = SubscriptionIndex(subscriptions)
    assert index.subscriptions == tuple(subscriptions)
    assert index.match(routed()) == [3, 5, 9]
    assert index.match(routed(replace(ALERT, status="Draft"))) == []


def test_a_large_alert_over_many_small_areas() -> None:
    """Hundreds of bounding-box candidates, most of them outside the alert's diamond."""
    diamond = Polygon([(15, 50), (10, 55), (5, 50), (10, 45)])
    subscriptions = [
        Subscription(
            i,
            FOCAL_EE,
            Filter(area=box(x / 2, y / 2, x / 2 + 0.4, y / 2 + 0.4), exercises=i % 3 == 0),
        )
        for i, (x, y) in enumerate((x, y) for x in range(10, 30) for y in range(90, 110))
    ]
    index = SubscriptionIndex(subscriptions)
    for status in ("Actual", "Exercise"):
        alert = routed_alert(replace(ALERT, status=status), Scope(Tlp.CLEAR), "LV", diamond)
        expected = brute_force(subscriptions, alert)
        assert 0 < len(expected) < len(subscriptions)
        assert index.match(alert) == expected


PARTICIPANTS = ("EE", "LV", "LT")
CATEGORY_POOL = ("Met", "Env", "Health")
GEOCODE_POOL = (("G", "A"), ("G", "B"), ("G", "C"), ("H", "A"))
WORLD_X = st.floats(0, 20, allow_nan=False)
WORLD_Y = st.floats(40, 60, allow_nan=False)


@st.composite
def shapes(draw: st.DrawFn, min_size: float = 0.05, max_size: float = 8) -> BaseGeometry:
    """Boxes, triangles, discs and two-part areas in a small world, so that they meet."""
    x, y = draw(WORLD_X), draw(WORLD_Y)
    w = draw(st.floats(min_size, max_size, allow_nan=False))
    h = draw(st.floats(min_size, max_size, allow_nan=False))
    kind = draw(st.sampled_from(["box", "triangle", "disc", "multi"]))
    if kind == "triangle":
        return Polygon([(x, y), (x + w, y), (x, y + h)])
    if kind == "disc":
        return Point(x, y).buffer(w / 2, quad_segs=4)
    if kind == "multi":
        return MultiPolygon([box(x, y, x + w, y + h), box(x + w + 1, y, x + w + 2, y + 1)])
    return box(x, y, x + w, y + h)


filters = st.builds(
    Filter,
    categories=st.frozensets(st.sampled_from(CATEGORY_POOL), max_size=2),
    events=st.frozensets(st.sampled_from(["storm", "flood"]), max_size=1),
    event_codes=st.frozensets(st.sampled_from([("C", "1"), ("C", "2")]), max_size=1),
    min_urgency=st.none() | st.sampled_from(["Immediate", "Expected", "Unknown"]),
    min_severity=st.none() | st.sampled_from(["Extreme", "Severe", "Minor"]),
    min_certainty=st.none() | st.sampled_from(["Observed", "Possible"]),
    senders=st.frozensets(st.sampled_from(["a@x", "b@x"]), max_size=1),
    msg_types=st.frozensets(st.sampled_from(MSG_TYPES), max_size=2),
    tlp_ceiling=st.sampled_from(Tlp),
    area=st.none() | shapes(),
    geocodes=st.frozensets(st.sampled_from(GEOCODE_POOL), max_size=2),
    exercises=st.booleans(),
    include_unlocated=st.booleans(),
)
readers = st.builds(
    Reader,
    st.sampled_from([Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER, Role.REPORTER, Role.ADMIN]),
    st.sampled_from(PARTICIPANTS),
)
routed_infos = st.builds(
    RoutedInfo,
    event=st.sampled_from(["storm", "flood", "heat"]),
    categories=st.frozensets(st.sampled_from(CATEGORY_POOL), min_size=1, max_size=2),
    event_codes=st.frozensets(st.sampled_from([("C", "1"), ("C", "2")]), max_size=1),
    urgency_rank=st.integers(0, 5),
    severity_rank=st.integers(0, 5),
    certainty_rank=st.integers(0, 5),
)
routed_alerts = st.builds(
    RoutedAlert,
    status=st.sampled_from([*STATUSES, "Bogus"]),
    msg_type=st.sampled_from(MSG_TYPES),
    sender=st.sampled_from(["a@x", "b@x", "c@x"]),
    author=st.sampled_from(PARTICIPANTS),
    scope=st.builds(
        Scope, st.sampled_from(Tlp), st.frozensets(st.sampled_from(PARTICIPANTS), max_size=2)
    ),
    infos=st.lists(routed_infos, max_size=3).map(tuple),
    area=st.none() | shapes(max_size=15) | st.builds(Point, WORLD_X, WORLD_Y),
    geocodes=st.frozensets(st.sampled_from(GEOCODE_POOL), max_size=2),
)


@st.composite
def subscription_lists(draw: st.DrawFn) -> list[Subscription]:
    chosen = draw(st.lists(st.tuples(readers, filters), max_size=40))
    ids = draw(st.permutations(range(1, len(chosen) + 1)))
    return [Subscription(i, reader, f) for i, (reader, f) in zip(ids, chosen, strict=True)]


@settings(max_examples=150, deadline=None)
@given(subscription_lists(), st.lists(routed_alerts, min_size=1, max_size=8))
def test_the_index_agrees_with_the_plain_rule(
    subscriptions: list[Subscription], routed: list[RoutedAlert]
) -> None:
    index = SubscriptionIndex(subscriptions)
    for alert in routed:
        assert index.match(alert) == brute_force(subscriptions, alert)


WORLD_SUBSCRIPTIONS = [
    Subscription(i, reader, filter_from_json(raw))
    for i, (reader, raw) in enumerate(
        [
            (FOCAL_EE, {}),
            (FOCAL_EE, {"area": geojson(box(-180, 0, 0, 90))}),
            (FOCAL_EE, {"area": geojson(box(0, -90, 180, 0)), "include_unlocated": True}),
            (Reader(Role.OBSERVER, "LV"), {"area": geojson(box(-30, -30, 30, 30))}),
            (Reader(Role.ADMIN), {"exercises": True, "msg_types": list(MSG_TYPES)}),
            (Reader(Role.ADMIN), {"min_severity": "Severe", "area": geojson(box(0, 0, 90, 90))}),
        ],
        start=1,
    )
]


@settings(max_examples=100, deadline=None)
@given(alerts(), st.sampled_from(Tlp), st.sampled_from(PARTICIPANTS))
def test_the_index_agrees_on_real_cap_alerts(alert: Alert, tlp: Tlp, author: str) -> None:
    index = SubscriptionIndex(WORLD_SUBSCRIPTIONS)
    got = routed_alert(alert, Scope(tlp), author)
    assert index.match(got) == brute_force(WORLD_SUBSCRIPTIONS, got)


@st.composite
def crowded(draw: st.DrawFn) -> list[Subscription]:
    """Many small areas and few other conditions: large alerts meet dozens at once."""
    small = st.builds(
        Filter,
        area=shapes(max_size=1),
        tlp_ceiling=st.sampled_from([Tlp.AMBER, Tlp.RED]),
        exercises=st.booleans(),
        geocodes=st.frozensets(st.sampled_from(GEOCODE_POOL), max_size=1),
    )
    chosen = draw(st.lists(small, min_size=20, max_size=80))
    return [Subscription(i, Reader(Role.ADMIN), f) for i, f in enumerate(chosen, start=1)]


@settings(max_examples=60, deadline=None)
@given(crowded(), st.lists(shapes(min_size=4, max_size=20), min_size=1, max_size=4))
def test_the_index_agrees_when_large_alerts_meet_many_areas(
    subscriptions: list[Subscription], areas: list[BaseGeometry]
) -> None:
    index = SubscriptionIndex(subscriptions)
    for area in areas:
        alert = routed_alert(ALERT, Scope(Tlp.GREEN), "LV", area)
        assert index.match(alert) == brute_force(subscriptions, alert)
