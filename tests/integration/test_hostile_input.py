"""Hostile input over real HTTP, on SQLite and PostgreSQL: extreme dates in CAP XML and
JSON, JSON nested thousands deep, forged cursors, NUL and lone surrogates in every kind of
body, form and query, and times that would make one request burn the node. Each gets a 4xx
problem naming what is wrong, and nothing is written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.adapters.cap_xml import read_cap_xml
from accord.adapters.sql.tables import records
from accord.bootstrap import Node
from accord.domain.alerts.cap_json import alert_to_json
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_forms import signed_in
from tests.integration.web_pages import form_token

XML = {"Content-Type": "application/cap+xml"}
JSON = {"Content-Type": "application/json"}
PROBLEM = "application/problem+json"
VIENNA = "vienna-document-2011"


def _record_count(node: Node) -> int:
    with node.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(records)).scalar_one())


def _refused(response: httpx.Response, location: str, code: str | None = None) -> None:
    """A 422 problem+json naming ``location`` (and ``code``) among its errors."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    errors = response.json()["errors"]
    assert any(e["location"] == location and code in (None, e["code"]) for e in errors), errors


def _with_times(xml: bytes, sent: str | None = None, expires: str | None = None) -> str:
    text = xml.decode()
    if sent is not None:
        text = re.sub(r"<sent>[^<]*</sent>", f"<sent>{sent}</sent>", text)
    if expires is not None:
        text = re.sub(r"<expires>[^<]*</expires>", f"<expires>{expires}</expires>", text)
    return text


def _as_json(xml: str) -> dict[str, Any]:
    """The CAP JSON of ``xml`` with its sent and expires as written, however extreme."""
    alert = alert_to_json(read_cap_xml(alert_xml("J-1"))[0].alert)
    sent = re.search(r"<sent>([^<]*)</sent>", xml)
    expires = re.search(r"<expires>([^<]*)</expires>", xml)
    assert sent is not None
    assert expires is not None
    alert["sent"] = sent.group(1)
    alert["info"][0]["expires"] = expires.group(1)
    return alert


EXTREME_DATES = {
    "sent at the end of year 9999, 14 hours behind UTC": (
        "9999-12-31T23:59:59-14:00",
        None,
        "/alert/sent[1]",
    ),
    "sent in year 1, 14 hours ahead of UTC": ("0001-01-01T00:00:00+14:00", None, "/alert/sent[1]"),
    "sent in year 1 at UTC": ("0001-01-01T00:00:00+00:00", None, "/alert/sent[1]"),
    "expires after 9999 once read as UTC": (
        "2026-11-01T12:00:00+00:00",
        "9999-12-31T24:00:00-14:00",
        "/alert/info[1]/expires[1]",
    ),
}


@pytest.mark.parametrize("case", list(EXTREME_DATES), ids=list(EXTREME_DATES))
def test_a_batch_item_dated_beyond_the_range_is_rejected_naming_the_date(
    server: LiveServer, region: Region, node: Node, case: str
) -> None:
    sent, expires, location = EXTREME_DATES[case]
    xml = _with_times(alert_xml("B-1"), sent=sent, expires=expires)
    items = {"items": [{"xml": xml}, {"alert": _as_json(xml)}]}
    before = _record_count(node)
    with server.client(region.tokens["EE:focal-point"]) as client:
        answer = client.post("/api/v1/alerts:batch", json=items)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == 2
    for result in answer.json()["results"]:
        assert location in [e["location"] for e in result["problem"]["errors"]]
    assert _record_count(node) == before


@pytest.mark.parametrize("form", ["xml", "json"])
@pytest.mark.parametrize("case", list(EXTREME_DATES), ids=list(EXTREME_DATES))
def test_an_alert_dated_beyond_what_the_node_can_hold_is_refused_naming_the_date(
    server: LiveServer, region: Region, node: Node, form: str, case: str
) -> None:
    sent, expires, location = EXTREME_DATES[case]
    xml = _with_times(alert_xml("X-1"), sent=sent, expires=expires)
    before = _record_count(node)
    with server.client(region.tokens["EE:focal-point"]) as client:
        if form == "xml":
            answer = client.post("/api/v1/alerts", content=xml, headers=XML)
        else:
            answer = client.post("/api/v1/alerts", json=_as_json(xml))
    _refused(answer, location, "INVALID_DATE")
    assert _record_count(node) == before


def test_a_reference_to_a_message_sent_beyond_the_range_is_refused(
    server: LiveServer, region: Region, node: Node
) -> None:
    xml = alert_xml(
        "U-1", msg_type="Update", references="warnings@met.example,X-0,9999-12-31T23:59:59-14:00"
    )
    before = _record_count(node)
    with server.client(region.tokens["EE:focal-point"]) as client:
        answer = client.post("/api/v1/alerts", content=xml, headers=XML)
    _refused(answer, "/alert/references[1]", "INVALID_REFERENCES")
    assert _record_count(node) == before


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


JSON_ENDPOINTS: dict[str, tuple[str, str]] = {
    "alert": ("/api/v1/alerts", "EE:focal-point"),
    "batch of alerts": ("/api/v1/alerts:batch", "EE:focal-point"),
    "filing": ("/api/v1/filings", "EE:focal-point"),
    "subscription": ("/api/v1/subscriptions", "EE:focal-point"),
    "agreement": ("/api/v1/agreements", "admin"),
    "participant": ("/api/v1/participants", "admin"),
}


@pytest.mark.parametrize("depth", [100, 100_000])
@pytest.mark.parametrize("endpoint", list(JSON_ENDPOINTS))
def test_json_nested_too_deep_is_refused_on_every_endpoint_that_reads_json(
    server: LiveServer, region: Region, node: Node, endpoint: str, depth: int
) -> None:
    path, role = JSON_ENDPOINTS[endpoint]
    before = _record_count(node)
    with server.client(region.tokens[role]) as client:
        answer = client.post(path, content=_deep(depth), headers=JSON)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert [e["code"] for e in answer.json()["errors"]] == ["TOO_DEEP"]
    assert _record_count(node) == before


FORBIDDEN = {"NUL": "\\u0000", "lone surrogate": "\\ud800"}


def _alert_json_text(identifier: str) -> str:
    return json.dumps(_as_json(alert_xml("J-1").decode())).replace('"J-1"', f'"{identifier}"')


BODIES: dict[str, tuple[str, str, Callable[[str], str], str]] = {
    "an alert's identifier": (
        "/api/v1/alerts",
        "EE:focal-point",
        lambda bad: _alert_json_text(f"J-{bad}"),
        "/identifier",
    ),
    "a batch item's alert": (
        "/api/v1/alerts:batch",
        "EE:focal-point",
        lambda bad: f'{{"items": [{{"alert": {_alert_json_text(f"J-{bad}")}}}]}}',
        "/items/0/alert/identifier",
    ),
    "a filing's subject": (
        "/api/v1/filings",
        "EE:focal-point",
        lambda bad: (
            f'{{"kind": "request", "request": "inspection", "to": "LV", "about": "a{bad}b"}}'
        ),
        "/about",
    ),
    "a subscription's name": (
        "/api/v1/subscriptions",
        "EE:focal-point",
        lambda bad: f'{{"name": "x{bad}", "filter": {{}}, "endpoints": []}}',
        "/name",
    ),
    "a member name": (
        "/api/v1/subscriptions",
        "EE:focal-point",
        lambda bad: f'{{"name": "x", "filter": {{"k{bad}": 1}}, "endpoints": []}}',
        "/filter/k{char}",
    ),
    "a participant's name": (
        "/api/v1/participants",
        "admin",
        lambda bad: f'{{"code": "FI", "name": "F{bad}", "kind": "state"}}',
        "/name",
    ),
}


@pytest.mark.parametrize("character", list(FORBIDDEN))
@pytest.mark.parametrize("body", list(BODIES))
def test_nul_and_lone_surrogates_are_refused_in_every_json_body_naming_the_field(
    server: LiveServer, region: Region, node: Node, body: str, character: str
) -> None:
    path, role, make, location = BODIES[body]
    escape = FORBIDDEN[character]
    expected = location.format(char=escape)  # a pointer writes the character as its escape
    before = _record_count(node)
    with server.client(region.tokens[role]) as client:
        answer = client.post(path, content=make(escape), headers=JSON)
    _refused(answer, expected, "FORBIDDEN_CHARACTER")
    assert _record_count(node) == before


@pytest.mark.parametrize(
    "cursor",
    [
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk",  # 9999…: past any 64-bit position
        "LTE",  # -1
        "XzEwMA",  # _100, which int() would read
        "not base64 at all!",
        "A" * 65,
    ],
)
def test_a_forged_cursor_is_refused_naming_the_cursor(
    server: LiveServer, region: Region, cursor: str
) -> None:
    with server.client(region.tokens["EE:analyst"]) as client:
        answer = client.get("/api/v1/alerts", params={"cursor": cursor})
    _refused(answer, "cursor" if len(cursor) <= 64 else "/query/cursor")


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/alerts?event=%00x", "event"),
        ("/api/v1/alerts?sender=a%00b", "sender"),
        (f"/api/v1/agreements/{VIENNA}/compliance?participant=E%00E", "participant"),
        ("/api/v1/agencies?participant=%00", "participant"),
        ("/api/v1/alerts/abc%00def", "path"),
        ("/console?category=%00", "category"),
    ],
)
def test_a_nul_in_a_query_or_a_path_is_refused_naming_it(
    server: LiveServer, region: Region, path: str, parameter: str
) -> None:
    with server.client(region.tokens["admin"]) as client:
        answer = client.get(path)
    _refused(answer, parameter, "FORBIDDEN_CHARACTER")


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1066-10-14T09:00:00Z"]
)
def test_a_search_bounded_by_a_time_beyond_the_range_is_refused_naming_it(
    server: LiveServer, region: Region, name: str, moment: str
) -> None:
    with server.client(region.tokens["EE:analyst"]) as client:
        answer = client.get("/api/v1/alerts", params={name: moment})
    _refused(answer, name, "DATE_OUT_OF_RANGE")


@pytest.mark.parametrize(
    "at",
    [
        "7658-01-01T00:00:00+00:00",  # the 90-second, 19 MB request
        "9999-12-31T23:59:59-14:00",
        "2011-11-30T00:00:00+00:00",  # before the agreement starts
        "2100-01-01T00:00:00+00:00",  # more than a year ahead
    ],
)
def test_compliance_at_a_time_outside_the_agreement_and_the_horizon_is_refused(
    server: LiveServer, region: Region, at: str
) -> None:
    with server.client(region.tokens["admin"]) as client:
        assert client.post("/api/v1/agreements", json={"builtin": VIENNA}).status_code == 201
        answer = client.get(f"/api/v1/agreements/{VIENNA}/compliance", params={"at": at})
        within = client.get(
            f"/api/v1/agreements/{VIENNA}/compliance", params={"at": "2026-01-01T00:00:00+00:00"}
        )
    _refused(answer, "at", "OUT_OF_RANGE")
    assert within.status_code == 200, within.text


def test_a_filing_dated_beyond_the_range_is_refused_naming_the_field(
    server: LiveServer, region: Region, node: Node
) -> None:
    filing = {
        "kind": "notification",
        "activity_id": "FAR",
        "activity": "exercise",
        "start": "0001-01-01T00:00:00+14:00",
        "end": "9999-12-31T23:59:59-14:00",
    }
    before = _record_count(node)
    with server.client(region.tokens["EE:focal-point"]) as client:
        answer = client.post("/api/v1/filings", json=filing)
    _refused(answer, "/start", "DATE_OUT_OF_RANGE")
    _refused(answer, "/end", "DATE_OUT_OF_RANGE")
    assert _record_count(node) == before


CONSOLE_FORMS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "compose": (
        "ee-focal-point",
        "/console/compose",
        "/console/compose",
        {"event": "Storm", "headline": "a\x00b"},
    ),
    "subscription": (
        "ee-focal-point",
        "/console/subscriptions",
        "/console/subscriptions",
        {"name": "x\x00y", "kind": "webhook", "url": "https://desk.example.ee/x"},
    ),
    "participant": (
        "admin",
        "/console/admin",
        "/console/admin/participants",
        {"code": "FI", "name": "F\x00", "kind": "state"},
    ),
}


@pytest.mark.parametrize("form", list(CONSOLE_FORMS))
def test_a_nul_in_a_console_form_is_refused_naming_the_field_and_nothing_is_written(
    server: LiveServer, region: Region, node: Node, form: str
) -> None:
    username, page, action, fields = CONSOLE_FORMS[form]
    before = _record_count(node)
    with signed_in(server, node, username) as client:
        token = form_token(client.get(page).text)
        answer = client.post(action, data={"csrf_token": token, **fields})
    bad = next(name for name, value in fields.items() if "\x00" in value)
    _refused(answer, bad, "FORBIDDEN_CHARACTER")
    assert _record_count(node) == before


@pytest.mark.parametrize("expires", ["2026-13-45T10:00", "2026-02-30T25:61", "0001-01-01T00:00"])
def test_a_malformed_date_in_the_compose_form_is_shown_beside_its_field(
    server: LiveServer, region: Region, node: Node, expires: str
) -> None:
    before = _record_count(node)
    with signed_in(server, node, "ee-focal-point") as client:
        token = form_token(client.get("/console/compose").text)
        fields = {
            "csrf_token": token,
            "status": "Actual",
            "scope": "Public",
            "category": "Met",
            "event": "Storm",
            "urgency": "Expected",
            "severity": "Severe",
            "certainty": "Likely",
            "area_desc": "Gulf of Finland",
            "tlp": "GREEN",
            "expires": expires,
        }
        answer = client.post("/console/compose", data=fields)
    assert answer.status_code == 422, answer.text[:500]
    assert 'id="expires-error"' in answer.text
    assert _record_count(node) == before
