"""The server-drawn SVG map: its frame, projection and the alert areas on it."""

from __future__ import annotations

import re

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
