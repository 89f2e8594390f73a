"""The server-drawn SVG map: its frame, projection and the alert areas on it."""

from __future__ import annotations

import re

import pytest
import shapely

from accord.entrypoints.web import maps
from accord.entrypoints.web.summaries import AlertArea, AlertSummary


def _alert(
    record_id: str, shape: shapely.Geometry | None, severity: str = "Severe", thread: int = 0
) -> AlertSummary:
    return AlertSummary(
        record_id=record_id,
        thread_id=thread or hash(record_id),
        identifier="X",
        sender="s@example",
        sender_name="",
        headline=f"Headline {record_id}",
        event="Storm",
        severity=severity,
        urgency="Expected",
        certainty="Likely",
        categories=("Met",),
        sent="2026-11-24T12:00:00+00:00",
        expires="",
        status="Actual",
        msg_type="Alert",
        tlp="CLEAR",
        state="active",
        description="",
        instruction="",
        areas=(AlertArea("Somewhere", shape),),
    )


def test_with_no_alerts_the_map_shows_the_world() -> None:
    assert maps.fit([]) == maps.WORLD


def test_the_frame_contains_every_area_with_a_margin_and_keeps_its_proportions() -> None:
    areas = [shapely.box(24, 59, 25, 60), shapely.Point(27, 58).buffer(0.5)]
    min_lon, min_lat, max_lon, max_lat = maps.fit(areas)
    assert min_lon < 24
    assert min_lat < 57.5
    assert max_lon > 27.5
    assert max_lat > 60
    projection = maps.Projection((min_lon, min_lat, max_lon, max_lat))
    assert maps.ASPECT[0] <= projection.height / maps.WIDTH <= maps.ASPECT[1] + 0.01


def test_the_projection_puts_north_up_and_west_left() -> None:
    projection = maps.Projection((20.0, 50.0, 30.0, 60.0))
    assert projection.point(20, 60) == "0.0,0.0"
    x, y = (float(v) for v in projection.point(30, 50).split(","))
    assert x == maps.WIDTH
    assert abs(y - projection.height) <= 1


def test_live_alerts_are_drawn_coloured_by_severity_and_expired_ones_are_not() -> None:
    live = _alert("a1", shapely.box(24, 59, 25, 60), "Extreme")
    gone = _alert("a2", shapely.box(10, 40, 11, 41))
    gone = AlertSummary(**{**{f: getattr(gone, f) for f in gone.__slots__}, "state": "expired"})
    drawn = maps.situation_map([live, gone])
    assert [s.record_id for s in drawn.shapes] == ["a1"]
    assert drawn.shapes[0].severity_class == "extreme"
    assert re.fullmatch(r"(M[\d.,L-]+Z)+", drawn.shapes[0].path)


def test_the_basemap_has_the_countries_around_the_alerts() -> None:
    drawn = maps.situation_map([_alert("a1", shapely.box(24, 59, 25, 60))])
    assert len(drawn.land) >= 3  # Estonia, Finland, Russia at least
    assert all(path.startswith("M") for path in drawn.land)


def test_an_unknown_severity_gets_the_unknown_class_not_its_own_text() -> None:
    odd = _alert("a1", shapely.box(24, 59, 25, 60), severity='x" onload="alert(1)')
    assert odd.severity_class == "unknown"


def test_a_thread_is_drawn_once_as_its_newest_message() -> None:
    update = _alert("a2", shapely.box(24, 59, 26, 60), thread=7)
    original = _alert("a1", shapely.box(24, 59, 25, 60), thread=7)
    drawn = maps.situation_map([update, original])
    assert [s.record_id for s in drawn.shapes] == ["a2"]


def test_an_alerts_own_page_draws_its_area_even_when_it_has_expired() -> None:
    gone = _alert("a1", shapely.box(24, 59, 25, 60))
    gone = AlertSummary(**{**{f: getattr(gone, f) for f in gone.__slots__}, "state": "expired"})
    assert maps.situation_map([gone]).shapes == ()
    assert [s.record_id for s in maps.situation_map([gone], live_only=False).shapes] == ["a1"]


def test_a_frame_goes_to_the_live_feed_and_back_unchanged() -> None:
    drawn = maps.situation_map([_alert("a1", shapely.box(24.1, 59.3, 25.7, 60.2))])
    assert maps.parse_bbox(maps.bbox_param(drawn.bbox)) == drawn.bbox


@pytest.mark.parametrize(
    "text",
    ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "0,0,inf,10", "10,0,5,10", "0,10,5,5", "0,0,200,5"],
)
def test_a_frame_that_is_not_four_edges_in_order_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        maps.parse_bbox(text)


def test_a_live_alert_is_drawn_as_the_page_draws_it_even_outside_its_frame() -> None:
    near = _alert("a1", shapely.box(24, 59, 25, 60), thread=3)
    far = _alert("a2", shapely.box(-4, 40, -3, 41), "Minor", thread=4)
    page = maps.situation_map([near])
    (on_page,) = page.shapes
    assert maps.shape_of(near, page.bbox) == on_page
    arrived = maps.shape_of(far, page.bbox)
    assert arrived is not None
    assert (arrived.thread_id, arrived.severity_class) == (4, "minor")
    assert float(arrived.path[1:].split(",")[0]) < 0  # west of the frame, left to the clip
    assert maps.shape_of(_alert("a3", None), page.bbox) is None
