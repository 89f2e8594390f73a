"""``filter_from_json`` / ``filter_to_json``: every problem named at once, and a lossless
round trip for every filter the JSON form can express."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from accord.domain.alerts.cap import CATEGORIES, CERTAINTIES, MSG_TYPES, SEVERITIES, URGENCIES
from accord.domain.routing.filters import (
    MAX_ITEMS,
    Filter,
    event_key,
    filter_from_json,
    filter_to_json,
)
from accord.domain.sharing import Tlp
from accord.errors import InvalidInputError, Problem

SQUARE = {"type": "Polygon", "coordinates": [[[24, 59], [25, 59], [25, 60], [24, 60], [24, 59]]]}


def problems_of(data: object, location: str = "filter") -> list[Problem]:
    with pytest.raises(InvalidInputError) as caught:
        filter_from_json(data, location)
    return list(caught.value.problems)


def test_no_filter_and_an_empty_one_take_everything() -> None:
    assert filter_from_json(None) == Filter()
    assert filter_from_json({}) == Filter()
    assert filter_to_json(Filter()) == {}


def test_a_full_filter_is_read_as_written() -> None:
    parsed = filter_from_json(
        {
            "categories": ["Met", "Env"],
            "events": ["  Flood   WARNING "],
            "event_codes": [{"valueName": "SAME", "value": "FLW"}],
            "min_urgency": "Expected",
            "min_severity": "Severe",
            "min_certainty": "Likely",
            "senders": [" met@example.ee "],
            "msg_types": ["Alert", "Ack"],
            "tlp_ceiling": "AMBER",
            "area": SQUARE,
            "geocodes": [{"valueName": "NUTS3", "value": "EE001"}],
            "exercises": True,
            "include_unlocated": True,
        }
    )
    assert parsed.categories == {"Met", "Env"}
    assert parsed.events == {"flood warning"}
    assert parsed.event_codes == {("SAME", "FLW")}
    assert (parsed.min_urgency, parsed.min_severity, parsed.min_certainty) == (
        "Expected",
        "Severe",
        "Likely",
    )
    assert parsed.senders == {"met@example.ee"}
    assert parsed.msg_types == {"Alert", "Ack"}
    assert parsed.tlp_ceiling is Tlp.AMBER
    assert parsed.area is not None
    assert parsed.area.equals(box(24, 59, 25, 60))
    assert parsed.geocodes == {("NUTS3", "EE001")}
    assert parsed.exercises
    assert parsed.include_unlocated


def test_every_bad_field_is_named_in_one_error() -> None:
    found = problems_of(
        {
            "categories": ["Weather", "Met", 3],
            "events": [""],
            "event_codes": [{"valueName": "SAME"}],
            "min_urgency": "Now",
            "min_severity": "Terrible",
            "min_certainty": 0.9,
            "senders": "met@example.ee",
            "msg_types": ["Alert", "Notice"],
            "tlp_ceiling": "PINK",
            "area": {"type": "Point", "coordinates": [24, 59]},
            "geocodes": [["NUTS3", "EE001"]],
            "exercises": "yes",
            "include_unlocated": 1,
            "colour": "red",
        }
    )
    assert {(p.location, p.code) for p in found} == {
        ("filter.categories[0]", "UNKNOWN_VALUE"),
        ("filter.categories[2]", "INVALID_TEXT"),
        ("filter.events[0]", "INVALID_TEXT"),
        ("filter.event_codes[0]", "INVALID_PAIR"),
        ("filter.min_urgency", "UNKNOWN_VALUE"),
        ("filter.min_severity", "UNKNOWN_VALUE"),
        ("filter.min_certainty", "UNKNOWN_VALUE"),
        ("filter.senders", "INVALID_LIST"),
        ("filter.msg_types[1]", "UNKNOWN_VALUE"),
        ("filter.tlp_ceiling", "UNKNOWN_VALUE"),
        ("filter.area", "INVALID_GEOJSON"),
        ("filter.geocodes[0]", "INVALID_PAIR"),
        ("filter.exercises", "INVALID_FLAG"),
        ("filter.include_unlocated", "INVALID_FLAG"),
        ("filter.colour", "UNKNOWN_FIELD"),
    }
    assert all(p.message and p.code.isupper() for p in found)


def test_problems_are_located_under_the_callers_location() -> None:
    found = problems_of({"min_urgency": "Now"}, "/filter")
    assert [p.location for p in found] == ["/filter.min_urgency"]


@pytest.mark.parametrize("data", [[], "Met", 3, True])
def test_a_filter_is_an_object(data: object) -> None:
    assert [(p.location, p.code) for p in problems_of(data)] == [("filter", "INVALID_FILTER")]


def test_the_cap_enumerations_are_the_allowed_values() -> None:
    assert filter_from_json({"categories": list(CATEGORIES)}).categories == set(CATEGORIES)
    assert filter_from_json({"msg_types": list(MSG_TYPES)}).msg_types == set(MSG_TYPES)
    for name, values in (
        ("min_urgency", URGENCIES),
        ("min_severity", SEVERITIES),
        ("min_certainty", CERTAINTIES),
    ):
        for value in values:
            assert getattr(filter_from_json({name: value}), name) == value
    assert problems_of({"categories": ["met"]})[0].code == "UNKNOWN_VALUE"  # exact CAP case


@pytest.mark.parametrize(
    "area",
    [
        {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]},  # bowtie
        {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"type": "Polygon", "coordinates": "nowhere"},
        {"coordinates": []},
        "Estonia",
    ],
)
def test_areas_must_be_valid_wgs84_polygons(area: object) -> None:
    assert [(p.location, p.code) for p in problems_of({"area": area})] == [
        ("filter.area", "INVALID_GEOJSON")
    ]


def test_null_means_absent() -> None:
    nulls = dict.fromkeys(("categories", "area", "exercises", "min_severity"))
    assert filter_from_json(nulls) == Filter()


def test_lists_are_bounded() -> None:
    found = problems_of({"senders": ["s"] * (MAX_ITEMS + 1)})
    assert [(p.location, p.code) for p in found] == [("filter.senders", "TOO_MANY_ITEMS")]


def test_events_compare_without_case_or_extra_whitespace() -> None:
    assert event_key("  Flood\tWARNING ") == event_key("flood warning") == "flood warning"
    assert event_key("STRASSE") == event_key("Straße")
    assert filter_from_json({"events": ["Flood", "FLOOD"]}).events == {"flood"}


def test_filters_compare_by_area_coordinates() -> None:
    one = filter_from_json({"area": SQUARE})
    same = filter_from_json({"area": json.loads(json.dumps(SQUARE))})
    other = filter_from_json(
        {"area": {**SQUARE, "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]}}
    )
    assert one == same
    assert hash(one) == hash(same)
    assert one != other
    assert one != Filter()
    assert one.is_located
    assert not Filter().is_located


def test_to_json_leaves_out_defaults_and_sorts() -> None:
    written = filter_to_json(
        Filter(
            categories=frozenset({"Met", "Env"}),
            geocodes=frozenset({("B", "2"), ("A", "1")}),
            tlp_ceiling=Tlp.GREEN,
            area=box(0, 0, 1, 1),
        )
    )
    assert written["categories"] == ["Env", "Met"]
    assert written["geocodes"] == [
        {"valueName": "A", "value": "1"},
        {"valueName": "B", "value": "2"},
    ]
    assert written["tlp_ceiling"] == "GREEN"
    assert written["area"]["type"] == "Polygon"
    assert isinstance(written["area"]["coordinates"][0][0], list)
    assert set(written) == {"categories", "geocodes", "tlp_ceiling", "area"}


# --- the round trip ---------------------------------------------------------------------

_TEXT = st.text(min_size=1, max_size=20).filter(lambda t: bool(t.strip()))
_PAIRS = st.frozensets(st.tuples(_TEXT, _TEXT), max_size=3)
_COORD = st.floats(-170, 165, allow_nan=False, allow_infinity=False)
_LAT = st.floats(-80, 80, allow_nan=False, allow_infinity=False)
_SIZE = st.floats(0.01, 9, allow_nan=False, allow_infinity=False)


@st.composite
def boxes(draw: st.DrawFn) -> Polygon:
    x, y = draw(_COORD), draw(_LAT)
    return box(x, y, x + draw(_SIZE), y + draw(_SIZE), ccw=draw(st.booleans()))


@st.composite
def areas(draw: st.DrawFn) -> BaseGeometry:
    first = draw(boxes())
    kind = draw(st.sampled_from(["box", "holed", "multi", "triangle"]))
    if kind == "holed":
        min_x, min_y, max_x, max_y = first.bounds
        dx, dy = (max_x - min_x) / 4, (max_y - min_y) / 4
        hole = box(min_x + dx, min_y + dy, max_x - dx, max_y - dy).exterior.coords
        return Polygon(first.exterior.coords, [hole])
    if kind == "multi":
        min_x, min_y, max_x, max_y = first.bounds
        second = box(max_x + 1, min_y, max_x + 2, max_y)
        return MultiPolygon([first, second])
    if kind == "triangle":
        min_x, min_y, max_x, max_y = first.bounds
        return Polygon([(min_x, min_y), (max_x, min_y), (min_x, max_y)])
    return first


filters = st.builds(
    Filter,
    categories=st.frozensets(st.sampled_from(CATEGORIES)),
    events=st.frozensets(_TEXT.map(event_key), max_size=3),
    event_codes=_PAIRS,
    min_urgency=st.none() | st.sampled_from(URGENCIES),
    min_severity=st.none() | st.sampled_from(SEVERITIES),
    min_certainty=st.none() | st.sampled_from(CERTAINTIES),
    senders=st.frozensets(_TEXT.map(str.strip), max_size=3),
    msg_types=st.frozensets(st.sampled_from(MSG_TYPES)),
    tlp_ceiling=st.sampled_from(Tlp),
    area=st.none() | areas(),
    geocodes=_PAIRS,
    exercises=st.booleans(),
    include_unlocated=st.booleans(),
)


@settings(max_examples=300)
@given(filters)
def test_round_trip(f: Filter) -> None:
    written = filter_to_json(f)
    assert filter_from_json(written) == f
    stored: Any = json.loads(json.dumps(written))  # what the database gives back
    assert stored == written
    assert filter_from_json(stored) == f
