"""Composing, updating and cancelling alerts in the console, over real HTTP: what the form
sends is what the API then returns; bad input shows the API's own messages beside the
fields and writes nothing; only an alert's own participant's focal points and admins may
issue, update or cancel; forms from elsewhere are refused; no inline code anywhere."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from lxml import etree
from markupsafe import escape
from sqlalchemy import func, select

from accord.adapters.sql.tables import records
from accord.bootstrap import Node
from accord.domain.alerts.cap import CAP_NAMESPACE
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, form_token, inline_code, sign_in
from tests.reference import REFERENCE

CAP = {"cap": CAP_NAMESPACE}
XSD = REFERENCE / "cap" / "oasis" / "CAP-v1.2.xsd"

POLYGON = "59.4,22.5 59.4,28.0 60.3,28.0 60.3,22.5 59.4,22.5"
VALID: dict[str, Any] = {
    "status": "Actual",
    "scope": "Restricted",
    "restriction": "TLP:AMBER",
    "note": "Issued from the console",
    "language": "en-GB",
    "category": "Met",
    "event": "Storm",
    "response_type": "Prepare",
    "urgency": "Expected",
    "severity": "Severe",
    "certainty": "Likely",
    "headline": "Storm warning for the Gulf of Finland",
    "description": "Westerly winds of 25 m/s.\nGusts to 32 m/s.",
    "instruction": "Stay ashore.",
    "expires": "2099-01-02T03:04",
    "sender_name": "Estonian Rescue Board",
    "area_desc": "Gulf of Finland",
    "polygon": POLYGON,
    "circle": "59.4,24.7 25",
    "geocode_name": "NUTS3",
    "geocode_value": "EE001",
    "tlp": "AMBER",
    "audience": ["LV"],
}


@contextmanager
def _console(server: LiveServer, node: Node, username: str) -> Iterator[httpx.Client]:
    node.sessions.set_password(username, PASSWORD)
    with server.client() as client:
        sign_in(client, username)
        yield client


def _post(client: httpx.Client, path: str, fields: dict[str, Any]) -> httpx.Response:
    page = client.get(path)
    return client.post(path, data={"csrf_token": form_token(page.text), **fields})


def _record_count(node: Node) -> int:
    with node.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(records)).scalar_one())


def _field_errors(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found is not None, f"no error shown at {field}"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def _api_alert(server: LiveServer, token: str, record_id: str) -> dict[str, Any]:
    with server.client(token) as client:
        response = client.get(f"/api/v1/alerts/{record_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _record_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/console/alerts/")
    return location.removeprefix("/console/alerts/")


def test_a_focal_point_composes_an_alert_the_api_returns_as_the_form_said(
    server: LiveServer, region: Region, node: Node
) -> None:
    with _console(server, node, "ee-focal-point") as client:
        page = client.get("/console/compose")
        assert page.status_code == 200
        assert 'href="/console/compose" aria-current="page"' in page.text
        assert page.text.count('aria-current="page"') == 1  # not Situation as well
        assert 'data-west="' in page.text
        assert 'data-lat-per-unit="' in page.text
        response = _post(client, "/console/compose", VALID)
    record_id = _record_id(response)
    body = _api_alert(server, region.tokens["EE:focal-point"], record_id)
    alert, info = body["alert"], body["alert"]["info"][0]
    assert body["author"] == "EE"
    assert body["scope"] == {"tlp": "AMBER", "audience": ["LV"]}
    assert re.fullmatch(r"EE-\d{8}T\d{6}-[0-9a-f]{12}", alert["identifier"])
    assert alert["sender"] == "ee-focal-point@ee.test-node"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", alert["sent"])
    assert {k: alert[k] for k in ("status", "msgType", "scope", "restriction", "note")} == {
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Restricted",
        "restriction": "TLP:AMBER",
        "note": "Issued from the console",
    }
    assert info == {
        "language": "en-GB",
        "category": ["Met"],
        "event": "Storm",
        "responseType": ["Prepare"],
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "expires": "2099-01-02T03:04:00+00:00",
        "senderName": "Estonian Rescue Board",
        "headline": VALID["headline"],
        "description": VALID["description"],
        "instruction": "Stay ashore.",
        "area": [
            {
                "areaDesc": "Gulf of Finland",
                "polygon": [POLYGON],
                "circle": ["59.4,24.7 25"],
                "geocode": [{"valueName": "NUTS3", "value": "EE001"}],
            }
        ],
    }
    for reader, status in (("LV:analyst", 200), ("LT:focal-point", 404)):
        with server.client(region.tokens[reader]) as api:
            assert api.get(f"/api/v1/alerts/{record_id}").status_code == status


def test_two_alerts_from_the_same_form_get_different_identifiers(
    server: LiveServer, region: Region, node: Node
) -> None:
    with _console(server, node, "ee-focal-point") as client:
        first = _record_id(_post(client, "/console/compose", VALID))
        second = _record_id(_post(client, "/console/compose", VALID))
    token = region.tokens["EE:focal-point"]
    identifiers = {_api_alert(server, token, r)["alert"]["identifier"] for r in (first, second)}
    assert len(identifiers) == 2


BAD_INPUT = [
    ({"category": ""}, "category", "'category' must hold at least one element"),
    ({"event": ""}, "event", "info lacks the required member 'event'"),
    ({"urgency": "Soon"}, "urgency", "<urgency> must be one of Immediate"),
    ({"severity": ""}, "severity", "info lacks the required member 'severity'"),
    ({"status": "Real"}, "status", "<status> must be one of Actual"),
    ({"language": "e n"}, "language", "<language> must be a language tag"),
    ({"expires": "tomorrow"}, "expires", "<expires> must look like 2002-05-24T16:49:00-07:00"),
    ({"expires": "2001-01-01T00:00"}, "expires", "<expires> 2001-01-01T00:00:00+00:00 is before"),
    ({"area_desc": ""}, "area_desc", "area lacks the required member 'areaDesc'"),
    ({"polygon": "59.4,22.5 60.3,28.0"}, "polygon", "it needs at least 4 coordinate pairs"),
    ({"polygon": "59.4,22.5 59.4,28 60.3,28 60,22"}, "polygon", "first and last pairs must"),
    ({"circle": "59.4,24.7"}, "circle", "<circle> must be 'lat,lon radius_km'"),
    ({"geocode_value": ""}, "geocode", "ValuePair lacks the required member 'value'"),
    (
        {"geocode_name": "ISO3166-1", "geocode_value": "ZZ"},
        "geocode",
        "<geocode> 'ZZ' is not an ISO 3166-1 alpha-2 country code",
    ),
    ({"geocode_country": "QQ"}, "geocode", "'QQ' is not an ISO 3166-1 alpha-2 country code"),
    ({"restriction": ""}, "scope", "scope Restricted needs a <restriction>"),
    ({"tlp": "CLEAR"}, "tlp", "a CAP Restricted alert needs TLP:GREEN or stricter"),
    ({"tlp": "PURPLE"}, "tlp", "TLP must be one of CLEAR"),
    ({"audience": ["LV", "ZZ"]}, "audience", "audience names unknown participants: ZZ"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_bad_input_shows_the_api_message_beside_its_field_and_writes_nothing(
    server: LiveServer,
    region: Region,
    node: Node,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with _console(server, node, "ee-focal-point") as client:
        before = _record_count(node)
        response = _post(client, "/console/compose", {**VALID, **change})
        assert _record_count(node) == before
    assert response.status_code == 422
    assert message in _field_errors(response.text, field)
    assert 'role="alert"' in response.text
    assert f'aria-describedby="{field}-error"' in response.text or (
        f"{field}-hint {field}-error" in response.text
    )
    kept = {k: v for k, v in change.items() if isinstance(v, str) and v}
    for value in kept.values():  # what was typed is kept, to be corrected
        assert html.escape(value) in response.text


def test_the_form_shows_the_same_problems_the_api_finds_in_the_same_alert(
    server: LiveServer, region: Region, node: Node
) -> None:
    """Several mistakes at once: every message the API gives for the same CAP JSON."""
    with _console(server, node, "ee-focal-point") as client:
        page = _post(
            client,
            "/console/compose",
            {**VALID, "urgency": "Soon", "language": "e n", "event": "", "category": ""},
        ).text
    cap = {
        "identifier": "X-1",
        "sender": "ee@example",
        "sent": "2030-01-01T00:00:00+00:00",
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [
            {
                "language": "e n",
                "category": [],
                "urgency": "Soon",
                "severity": "Severe",
                "certainty": "Likely",
                "area": [{"areaDesc": "Gulf", "polygon": [POLYGON]}],
            }
        ],
    }
    with server.client(region.tokens["EE:focal-point"]) as api:
        problems = api.post("/api/v1/alerts", json=cap).json()["errors"]
    shown = {
        "category": _field_errors(page, "category"),
        "event": _field_errors(page, "event"),
    }
    assert len(problems) == 2  # the shape's two; the schema's come once the shape is right
    assert {p["message"] for p in problems} <= {m.strip() for m in shown.values()}
    assert "language-error" not in page


@pytest.mark.parametrize("username", ["ee-analyst", "ee-observer", "reporter", "obs-observer"])
def test_roles_that_may_not_issue_get_no_form(
    server: LiveServer, region: Region, node: Node, username: str
) -> None:
    with _console(server, node, username) as client:
        page = client.get("/console/compose")
        token = form_token(client.get("/console").text)
        before = _record_count(node)
        posted = client.post("/console/compose", data={"csrf_token": token, **VALID})
        assert _record_count(node) == before
    assert page.status_code == 403
    assert 'action="/console/compose"' not in page.text
    assert 'href="/console/compose"' not in page.text  # nor a link in the menu
    assert "may not issue alerts" in page.text
    assert posted.status_code == 403


def test_a_form_from_elsewhere_is_refused_and_writes_nothing(
    server: LiveServer, region: Region, node: Node
) -> None:
    with _console(server, node, "ee-focal-point") as client:
        token = form_token(client.get("/console/compose").text)
        before = _record_count(node)
        forged = client.post("/console/compose", data={"csrf_token": "forged", **VALID})
        missing = client.post("/console/compose", data=VALID)
        cross_site = client.post(
            "/console/compose",
            data={"csrf_token": token, **VALID},
            headers={"Origin": "https://evil.example"},
        )
        assert _record_count(node) == before
    for response in (forged, missing, cross_site):
        assert response.status_code == 403
        assert "nothing was sent" in response.text


def test_signed_out_the_form_sends_to_sign_in(server: LiveServer) -> None:
    with server.client() as client:
        page = client.get("/console/compose", follow_redirects=False)
        posted = client.post("/console/compose", data=VALID, follow_redirects=False)
    assert page.status_code == posted.status_code == 303
    assert page.headers["location"] == "/signin?next=/console/compose"


def _issue(server: LiveServer, token: str, identifier: str, tlp: str = "CLEAR") -> str:
    scope = "Public" if tlp == "CLEAR" else "Restricted"
    with server.client(token) as api:
        response = api.post(
            "/api/v1/alerts",
            content=alert_xml(identifier, scope=scope, headline=f"Flood {identifier}"),
            headers={"Content-Type": "application/cap+xml"},
            params={"tlp": tlp},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def test_an_update_and_a_cancel_follow_the_alert_in_its_thread(
    server: LiveServer, region: Region, node: Node
) -> None:
    token = region.tokens["EE:focal-point"]
    first = _issue(server, token, "FLOOD-1", tlp="GREEN")
    original = _api_alert(server, token, first)
    with _console(server, node, "ee-focal-point") as client:
        page = client.get(f"/console/alerts/{first}/update")
        assert page.status_code == 200
        assert 'value="Flood FLOOD-1"' in page.text
        assert '<option value="GREEN" selected>' in page.text
        changed = {**VALID, "headline": "Flood worse", "tlp": "GREEN", "audience": []}
        update = _record_id(_post(client, f"/console/alerts/{first}/update", changed))
        cancel_page = client.get(f"/console/alerts/{update}/cancel")
        assert 'value="Cancelled: Flood worse"' in cancel_page.text
        assert '<option value="AllClear" selected>' in cancel_page.text
        form = _form_values(cancel_page.text)
        cancel = _record_id(_post(client, f"/console/alerts/{update}/cancel", form))
        after = client.get(f"/console/alerts/{cancel}/update")
    updated, cancelled = _api_alert(server, token, update), _api_alert(server, token, cancel)
    assert updated["alert"]["msgType"] == "Update"
    assert updated["alert"]["info"][0]["headline"] == "Flood worse"
    assert updated["alert"]["references"] == _reference(original["alert"])
    assert cancelled["alert"]["msgType"] == "Cancel"
    assert cancelled["alert"]["references"] == _reference(updated["alert"])
    assert cancelled["alert"]["info"][0]["area"] == updated["alert"]["info"][0]["area"]
    threads = {b["thread"]["id"] for b in (original, updated, cancelled)}
    assert len(threads) == 1
    assert _api_alert(server, token, first)["thread"]["state"] == "cancelled"
    assert after.status_code == 409


def test_only_the_issuing_participant_may_update_or_cancel(
    server: LiveServer, region: Region, node: Node
) -> None:
    public = _issue(server, region.tokens["EE:focal-point"], "PUB-1")
    secret = _issue(server, region.tokens["EE:focal-point"], "RED-1", tlp="RED")
    with _console(server, node, "lv-focal-point") as client:
        token = form_token(client.get("/console").text)
        before = _record_count(node)
        pages = {
            (record_id, action, method): (
                client.get(f"/console/alerts/{record_id}/{action}")
                if method == "GET"
                else client.post(
                    f"/console/alerts/{record_id}/{action}", data={"csrf_token": token, **VALID}
                )
            )
            for record_id in (public, secret)
            for action in ("update", "cancel")
            for method in ("GET", "POST")
        }
        assert _record_count(node) == before
    for (record_id, _, _), response in pages.items():
        assert response.status_code == (403 if record_id == public else 404)
        assert "Flood RED-1" not in response.text
    with _console(server, node, "ee-analyst") as analyst:
        assert analyst.get(f"/console/alerts/{public}/update").status_code == 403


def test_compose_pages_have_a_strict_policy_no_inline_code_and_escape_what_was_typed(
    server: LiveServer, region: Region, node: Node
) -> None:
    hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
    first = _issue(server, region.tokens["EE:focal-point"], "CSP-1")
    with _console(server, node, "ee-focal-point") as client:
        pages = {
            "compose": client.get("/console/compose"),
            "update": client.get(f"/console/alerts/{first}/update"),
            "cancel": client.get(f"/console/alerts/{first}/cancel"),
            "refused": _post(
                client,
                "/console/compose",
                {**VALID, "headline": hostile, "area_desc": hostile, "urgency": hostile},
            ),
            "script": client.get("/static/compose.js"),
        }
    for name, response in pages.items():
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy, name
        assert "'unsafe-inline'" not in policy, name
        if name != "script":
            assert inline_code(response.text) == [], name
            assert response.headers["cache-control"] == "no-store", name
            assert '<script src="/static/compose.js" defer></script>' in response.text
    assert pages["refused"].status_code == 422
    assert hostile not in pages["refused"].text
    assert str(escape(hostile)) in pages["refused"].text
    assert "addEventListener" in pages["script"].text


def test_a_country_picked_as_the_geocode_names_the_area_and_is_sent_as_iso_3166(
    server: LiveServer, region: Region, node: Node
) -> None:
    with _console(server, node, "ee-focal-point") as client:
        page = client.get("/console/compose").text
        response = _post(
            client, "/console/compose", {**VALID, "area_desc": "", "geocode_country": "EE"}
        )
        record_id = _record_id(response)
        update = client.get(f"/console/alerts/{record_id}/update").text
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', page, re.S))
    assert re.findall(r'<option value="(\w+)"', groups["This region"]) == ["EE", "LV", "LT"]
    everywhere = re.findall(r'<option value="(\w+)"', groups["All countries"])
    assert "FI" in everywhere
    assert "EE" not in everywhere
    assert '<option value="FI" data-name="Finland">Finland (FI)</option>' in page
    assert 'class="outline"' not in page
    token = region.tokens["EE:focal-point"]
    area = _api_alert(server, token, record_id)["alert"]["info"][0]["area"][0]
    assert area["areaDesc"] == "Estonia"
    assert area["geocode"] == [
        {"valueName": "ISO3166-1", "value": "EE"},
        {"valueName": "NUTS3", "value": "EE001"},
    ]
    with server.client(token) as api:
        xml = api.get(f"/api/v1/alerts/{record_id}", headers={"Accept": "application/cap+xml"})
    document = etree.fromstring(xml.content)
    geocodes = [
        (g.findtext("cap:valueName", namespaces=CAP), g.findtext("cap:value", namespaces=CAP))
        for g in document.iterfind("cap:info/cap:area/cap:geocode", namespaces=CAP)
    ]
    assert geocodes == [("ISO3166-1", "EE"), ("NUTS3", "EE001")]
    if XSD.exists():  # the shared reference corpus; CI has it
        assert etree.XMLSchema(etree.parse(str(XSD))).validate(document)
    assert '<option value="EE" data-name="Estonia" selected>' in update  # prefilled
    assert 'value="NUTS3"' in update
    assert '<path class="outline" d="M' in update
    assert "<title>Estonia (EE)</title>" in update


def test_show_on_the_map_draws_the_country_and_sends_nothing(
    server: LiveServer, region: Region, node: Node
) -> None:
    with _console(server, node, "ee-focal-point") as client:
        before = _record_count(node)
        fields = {**VALID, "area_desc": "", "geocode_country": "FI", "preview": "1"}
        shown = _post(client, "/console/compose", fields)
        unknown = _post(client, "/console/compose", {**fields, "geocode_country": "QQ"})
        assert _record_count(node) == before
    assert shown.status_code == 200
    assert "Not sent yet: the map shows Finland (FI)." in shown.text
    assert '<path class="outline" d="M' in shown.text
    assert 'id="field-area_desc" name="area_desc" type="text" value="Finland"' in shown.text
    assert '<option value="FI" data-name="Finland" selected>' in shown.text
    assert "Nothing was sent" not in shown.text
    assert unknown.status_code == 422
    assert "'QQ' is not an ISO 3166-1" in _field_errors(unknown.text, "geocode")
    assert '<option value="QQ" selected>QQ</option>' in unknown.text


def test_the_api_accepts_any_geocode_the_form_checks_only_its_own_iso_3166(
    server: LiveServer, region: Region
) -> None:
    """CAP allows any geocode system and value: the form's check is not the API's."""
    area = {"areaDesc": "Nowhere", "geocode": [{"valueName": "ISO3166-1", "value": "ZZ"}]}
    cap = {
        "identifier": "GEO-ZZ",
        "sender": "ee@example",
        "sent": "2030-01-01T00:00:00+00:00",
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [
            {
                "category": ["Met"],
                "event": "Storm",
                "urgency": "Expected",
                "severity": "Severe",
                "certainty": "Likely",
                "area": [area],
            }
        ],
    }
    with server.client(region.tokens["EE:focal-point"]) as api:
        response = api.post("/api/v1/alerts", json=cap)
    assert response.status_code == 201, response.text


def _reference(alert: dict[str, Any]) -> str:
    return f"{alert['sender']},{alert['identifier']},{alert['sent']}"


def _form_values(page: str) -> dict[str, Any]:
    """What a browser would post from the page's form, untouched."""
    values: dict[str, Any] = {}
    for name, value in re.findall(
        r'<input id="field-(\w+)" name="\w+" type="[\w-]+" value="([^"]*)"', page
    ):
        values[name] = html.unescape(value)
    for name, text in re.findall(r'<textarea id="field-(\w+)"[^>]*>(.*?)</textarea>', page, re.S):
        values[name] = html.unescape(text)
    for name, body in re.findall(r'<select id="field-(\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    values["audience"] = re.findall(r'name="audience" value="([^"]+)" checked', page)
    return values
