"""The situation page's live map and timeline over real HTTP: the page hands its stream its
filters, its map's frame and its timeline's axis; each new alert the user may read and the
filters let through arrives with its area drawn in the page's projection and its bar on
the page's axis; an update redraws its thread, a cancellation takes the area off."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accord.bootstrap import Node
from accord.domain.geometry import area_shape
from accord.entrypoints.web import maps
from accord.entrypoints.web.timeline import Axis
from tests.integration.cap_samples import alert_xml, reference_to
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, sign_in

XML = {"Content-Type": "application/cap+xml"}
SENDER = "warnings@met.example"
ESTONIA = "59.0,24.0 59.0,25.0 60.0,25.0 60.0,24.0 59.0,24.0"
IBERIA = "40.0,-4.0 40.0,-3.0 41.0,-3.0 41.0,-4.0 40.0,-4.0"  # far outside a Baltic frame


@pytest.fixture(autouse=True)
def passwords(node: Node, region: Region) -> None:
    for username in ("ee-focal-point", "lt-observer"):
        node.sessions.set_password(username, PASSWORD)


@contextmanager
def _signed_in(server: LiveServer, username: str) -> Iterator[httpx.Client]:
    with server.client() as client:
        assert sign_in(client, username).status_code == 303
        yield client


def _issue(server: LiveServer, region: Region, xml: bytes, tlp: str = "GREEN") -> dict[str, Any]:
    with server.client(region.tokens["LV:focal-point"]) as client:
        response = client.post("/api/v1/alerts", content=xml, headers=XML, params={"tlp": tlp})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _stream_of(page: str) -> str:
    """The address the situation page's script opens, as the browser reads it."""
    found = re.search(r'data-stream="([^"]+)"', page)
    assert found is not None, "the page has no live stream"
    return html.unescape(found.group(1))


def _events(response: httpx.Response, count: int) -> list[dict[str, Any]]:
    events = []
    for line in response.iter_lines():
        if line.startswith("data:"):
            events.append(json.loads(line[5:]))
            if len(events) == count:
                break
    return events


def test_the_page_hands_its_stream_its_filters_its_maps_frame_and_its_axis(
    server: LiveServer, region: Region
) -> None:
    _issue(server, region, alert_xml("ee-1", polygon=ESTONIA))
    with _signed_in(server, "ee-focal-point") as client:
        page = client.get("/console", params={"category": "Met", "urgency": "Expected"}).text
    address = urlsplit(_stream_of(page))
    params = {name: values[0] for name, values in parse_qs(address.query).items()}
    assert address.path == "/console/stream"
    assert params.keys() == {"category", "urgency", "bbox", "axis"}
    assert (params["category"], params["urgency"]) == ("Met", "Expected")
    bbox = maps.parse_bbox(params["bbox"])
    west, south, east, north = bbox
    assert west < 24 < 25 < east  # fitted to the alert's area
    assert south < 59 < 60 < north
    view_box = re.search(r'class="map-svg" viewBox="0 0 (\d+) (\d+)"', page)
    assert view_box is not None
    assert int(view_box.group(2)) == maps.Projection(bbox).height  # the frame drawn
    axis = Axis.parse(params["axis"])
    assert axis.start < axis.end


def test_a_new_alert_arrives_drawn_in_the_pages_projection_and_on_its_axis(
    server: LiveServer, region: Region, node: Node
) -> None:
    _issue(server, region, alert_xml("ee-1", polygon=ESTONIA))
    sent = node.clock.now().replace(microsecond=0) - timedelta(hours=1)
    with _signed_in(server, "ee-focal-point") as client:
        stream = _stream_of(client.get("/console").text)
        params = parse_qs(urlsplit(stream).query)
        bbox, axis = maps.parse_bbox(params["bbox"][0]), Axis.parse(params["axis"][0])
        with client.stream("GET", stream) as response:
            first = _issue(
                server, region, alert_xml("far-1", sent=sent, polygon=IBERIA, headline="Far")
            )
            update = _issue(
                server,
                region,
                alert_xml(
                    "far-2",
                    sent=sent + timedelta(minutes=5),
                    msg_type="Update",
                    references=reference_to(SENDER, "far-1", sent),
                    polygon=ESTONIA,
                    headline="Near",
                ),
            )
            cancel = _issue(
                server,
                region,
                alert_xml(
                    "far-3",
                    sent=sent + timedelta(minutes=10),
                    msg_type="Cancel",
                    references=reference_to(SENDER, "far-2", sent + timedelta(minutes=5)),
                    headline="Over",
                ),
            )
            arrived, updated, cancelled = _events(response, 3)
    assert [e["record_id"] for e in (arrived, updated, cancelled)] == [
        first["record_id"],
        update["record_id"],
        cancel["record_id"],
    ]
    projection = maps.Projection(bbox)
    assert arrived["shape"]["path"] == projection.path(area_shape([IBERIA], []))
    assert arrived["shape"]["title"] == "Far (Severe; Test area)"
    x, _ = (float(v) for v in arrived["shape"]["path"][1:].split("L")[0].split(","))
    assert x < 0  # west of the frame: drawn where it is, for the map to clip
    assert arrived["bar"]["x"] == axis.x_of(sent)
    assert arrived["bar"]["open_ended"]  # expires in ten years, past the axis
    assert arrived["is_live"]
    assert updated["is_live"]
    assert updated["thread"] == arrived["thread"] == cancelled["thread"]
    assert updated["shape"]["path"] == projection.path(area_shape([ESTONIA], []))
    assert updated["bar"]["x"] > arrived["bar"]["x"]
    assert not cancelled["is_live"]
    assert cancelled["shape"] is None  # the map takes the thread's area off
    assert cancelled["bar"]["title"].startswith("Over (Severe): sent ")


def test_only_what_the_filters_and_the_users_scope_let_through_is_drawn(
    server: LiveServer, region: Region
) -> None:
    with _signed_in(server, "lt-observer") as client:
        stream = _stream_of(client.get("/console", params={"category": "Fire"}).text)
        with client.stream("GET", stream) as response:
            _issue(server, region, alert_xml("rain-1", headline="Rain"))  # Met: filtered out
            _issue(  # RED for LV alone: not LT's to read
                server,
                region,
                alert_xml("red-1", category="Fire", headline="Secret", scope="Restricted"),
                tlp="RED",
            )
            fire = _issue(server, region, alert_xml("fire-1", category="Fire", headline="Fire"))
            (event,) = _events(response, 1)
    assert event["record_id"] == fire["record_id"]
    assert event["shape"]["title"].startswith("Fire ")


def test_the_stream_keeps_to_the_pages_sector_and_tlp(server: LiveServer, region: Region) -> None:
    with _signed_in(server, "lt-observer") as client:
        page = client.get("/console", params={"sector": "health", "tlp": "GREEN"}).text
        stream = _stream_of(page)
        with client.stream("GET", stream) as response:
            _issue(server, region, alert_xml("storm-1", headline="Storm"), tlp="GREEN")  # Met
            _issue(  # Health, but CLEAR
                server,
                region,
                alert_xml("flu-0", category="Health", headline="Flu clear"),
                tlp="CLEAR",
            )
            flu = _issue(
                server,
                region,
                alert_xml("flu-1", category="Health", headline="Flu", scope="Restricted"),
                tlp="GREEN",
            )
            (event,) = _events(response, 1)
    assert parse_qs(urlsplit(stream).query)["sector"] == ["health"]
    assert event["record_id"] == flu["record_id"]
    assert event["tlp"] == "GREEN"


@pytest.mark.parametrize(
    "params",
    [
        {"sector": "space"},
        {"tlp": "PINK"},
        {"sector": "health", "category": "Met"},
        {"bbox": "20,50,30"},
        {"bbox": "20,50,30,nan"},
        {"bbox": "30,50,20,60"},
        {"bbox": "20,50,30,95"},
        {"axis": "2026-11-01T00:00:00+00:00"},
        {"axis": "2026-11-02T00:00:00+00:00/2026-11-01T00:00:00+00:00"},
        {"axis": "2026-11-01T00:00:00/2026-11-02T00:00:00"},
    ],
)
def test_a_filter_frame_or_axis_that_is_not_valid_is_refused(
    server: LiveServer, region: Region, params: dict[str, str]
) -> None:
    with _signed_in(server, "lt-observer") as client:
        assert client.get("/console/stream", params=params).status_code == 400
