"""The input limits hold on every path over real HTTP and in the CLI: an alert over the size
of one document is refused inside a batch (XML wrapper or CAP JSON item) while its siblings
are accepted, and an element with 100,000 attributes is refused, naming the limit, by the
API and by ``accord cap validate`` alike (quickly: this used to take minutes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree
from typer.testing import CliRunner

from accord.adapters.cap_xml import element_to_alert
from accord.bootstrap import Node
from accord.domain.alerts import limits
from accord.domain.alerts.cap_json import alert_to_json
from accord.entrypoints.cli.main import app
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region

XML = {"Content-Type": "application/cap+xml"}
POINTS = 40_000  # under the polygon limit; three such polygons pass the document's size
CAP = "urn:oasis:names:tc:emergency:cap:1.2"


def _ring(points: int) -> str:
    corners = [f"{59 + n / points:.6f},{24 + (n % 2) / 10:.6f}" for n in range(points - 1)]
    return " ".join([*corners, corners[0]])


RING = _ring(POINTS)


def _big_xml(identifier: str) -> bytes:
    """An alert of three areas, each within every limit, together over 2 MiB."""
    areas = "".join(
        f"<area><areaDesc>Zone {n}</areaDesc><polygon>{RING}</polygon></area>" for n in range(3)
    )
    document = alert_xml(identifier, polygon=None).replace(b"</info>", areas.encode() + b"</info>")
    assert len(document) > limits.MAX_DOCUMENT_BYTES
    return document


def _bare(document: bytes) -> bytes:
    return document.split(b"?>", 1)[1]


def _statuses(body: dict[str, Any]) -> list[str]:
    return [result["status"] for result in body["results"]]


def _count(node: Node) -> int:
    with node.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM alerts").scalar_one())


def test_an_xml_batch_refuses_the_alert_over_the_size_limit_and_accepts_its_siblings(
    server: LiveServer, region: Region, node: Node
) -> None:
    wrapper = (
        f'<alerts xmlns="{CAP}">'.encode()
        + _bare(alert_xml("S-1"))
        + _bare(_big_xml("S-BIG"))
        + _bare(alert_xml("S-2"))
        + b"</alerts>"
    )
    with server.client(region.tokens["EE:focal-point"]) as client:
        response = client.post("/api/v1/alerts:batch", content=wrapper, headers=XML)
    assert response.status_code == 200, response.text
    body = response.json()
    assert _statuses(body) == ["created", "rejected", "created"]
    (error,) = body["results"][1]["problem"]["errors"]
    assert (error["location"], error["code"]) == ("/alerts/alert[2]", "TOO_LARGE")
    assert _count(node) == 2


def test_a_json_batch_refuses_a_cap_json_item_over_the_size_limit_and_accepts_the_rest(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        as_json = client.post(
            "/api/v1/alerts", content=_big_xml("J-BIG"), headers=XML, params={"tlp": "GREEN"}
        )
        assert as_json.status_code == 413  # one document: refused as it is read
        small = alert_xml("J-1").decode()
        big_alert = _json_of(_big_xml("J-BIG"))
        items = [{"xml": small}, {"alert": big_alert}, {"xml": _big_xml("X-BIG").decode()}]
        response = client.post("/api/v1/alerts:batch", json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert _statuses(body) == ["created", "rejected", "rejected"]
    for result in body["results"][1:]:
        assert [e["code"] for e in result["problem"]["errors"]] == ["TOO_LARGE"]
    assert _count(node) == 1


def _json_of(document: bytes) -> dict[str, Any]:
    """The CAP JSON of a document, mapped as the API maps it (no limits on the way)."""
    return alert_to_json(element_to_alert(etree.fromstring(document)))


def _many_attributes(count: int) -> bytes:
    attributes = "".join(f' a{n}="v"' for n in range(count))
    return alert_xml("ATTR-1").replace(b"<alert ", f"<alert{attributes} ".encode(), 1)


def test_an_alert_with_100000_attributes_on_one_element_is_refused_naming_the_limit(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        response = client.post("/api/v1/alerts", content=_many_attributes(100_000), headers=XML)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["location"], e["code"]) for e in errors] == [("/alert", "TOO_MANY_ATTRIBUTES")]


def test_cap_validate_refuses_100000_attributes_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "attributes.xml"
    path.write_bytes(_many_attributes(100_000))
    result = CliRunner().invoke(app, ["cap", "validate", str(path)])
    assert result.exit_code == 1
    assert "attributes.xml: INVALID" in result.output
    assert "TOO_MANY_ATTRIBUTES" in result.output
    assert len(result.output.splitlines()) < 5
