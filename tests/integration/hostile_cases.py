"""The hostile requests of issue 14, and their variants, as data: who sends what where, and
what the answer must be. One list serves the resource test
(tests/integration/test_hostile_resources.py) and the benchmark (benchmarks/hostile.py).

Bodies are built on demand (``HostileCase.body()``): some are megabytes, and collecting the
tests must not build them. ``stage`` prepares a node through its services (participants,
users, a registered sender, an alert to cancel, the Vienna Document, and a huge alert stored
straight through the service as a careless peer's would be) and returns the tokens and the
huge alert's record id that the cases need.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from lxml import etree

from accord.adapters.cap_xml import element_to_alert, read_cap_xml
from accord.bootstrap import Node
from accord.domain.alerts.cap_json import alert_to_json
from accord.services.alerts import IncomingAlert
from tests.integration.cap_samples import BASE_TIME, alert_xml

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
XML = "application/cap+xml"
JSON = "application/json"
VIENNA = "vienna-document-2011"
EE_SENDER = "warnings@ee.example"
HUGE = "{huge}"  # stands for the huge alert's record id in a path
Outcome = Literal["problem", "rejected", "page"]


@dataclass(frozen=True)
class HostileCase:
    """One request. ``outcome``: ``problem`` a 4xx problem+json; ``rejected`` a 200 batch
    answer whose every item is rejected; ``page`` a 200 page (a read, bounded)."""

    name: str
    role: str | None  # a key of Stage.tokens; None: anonymous
    method: str
    path: str
    body: Callable[[], bytes] = bytes
    content_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = "problem"


@dataclass(frozen=True)
class Stage:
    tokens: dict[str, str]
    huge_record_id: str

    def path(self, case: HostileCase) -> str:
        return case.path.replace(HUGE, self.huge_record_id)


def stage(node: Node) -> Stage:
    """Prepare ``node`` for the cases, through its services."""
    identity = node.identity
    identity.add_participant("SEC", "Secretariat", "organisation")
    for code in ("EE", "LV", "LT"):
        identity.add_participant(code, code, "state")
    identity.add_sender("EE", "rescue.ee")
    users = {"admin": ("admin", "SEC"), "EE": ("focal-point", "EE"), "LT": ("focal-point", "LT")}
    tokens = {}
    for key, (role, participant) in users.items():
        identity.add_user(f"hostile-{key.lower()}", role, participant)
        tokens[key] = identity.issue_token(f"hostile-{key.lower()}")["token"]
    node.compliance.load_builtin(identity.authenticate(tokens["admin"]), VIENNA)
    ee = identity.authenticate(tokens["EE"])
    _store(node, ee, alert_xml("EE-GREEN", sender=EE_SENDER), "GREEN")
    return Stage(tokens, _store(node, ee, huge_alert_xml(), "CLEAR"))


def _store(node: Node, account: Any, document: bytes, tlp: str) -> str:
    parser = etree.XMLParser(huge_tree=True)
    alert = element_to_alert(etree.fromstring(document, parser))
    (receipt,) = node.alerts.issue(
        account, [IncomingAlert(alert, document, XML)], tlp=[tlp], audience=[None]
    )
    return str(receipt.record_id)  # type: ignore[union-attr]


def ring(points: int) -> str:
    """A closed ring of ``points`` corners off the Estonian coast, 17 bytes a corner."""
    turns = [2 * math.pi * n / points for n in range(points - 1)]
    corners = [f"{59 + math.sin(t):.4f},{24 + math.cos(t):.5f}" for t in turns]
    return " ".join([*corners, corners[0]])


@cache
def huge_alert_xml() -> bytes:
    """400,000 corners, 300,000 characters of description, 2,000 areas: about 9 MB."""
    areas = f"<area><areaDesc>Whole coast</areaDesc><polygon>{ring(400_000)}</polygon></area>"
    areas += "".join(f"<area><areaDesc>Parish {n}</areaDesc></area>" for n in range(2_000))
    description = "Winds of 120 km/h. " * 16_000
    document = alert_xml("HUGE-1", headline="H" * 5_000, polygon=None)
    return document.replace(
        b"</info>", f"<description>{description}</description>{areas}</info>".encode()
    )


@cache
def big_polygon_alert() -> bytes:
    """An alert of 6.4 MiB whose one polygon has 400,000 points."""
    return _bare(alert_xml("BIG-POLYGON", polygon=ring(400_000)))


def _bare(document: bytes) -> bytes:
    return document.split(b"?>", 1)[1]


def _wrapper(*alerts: bytes) -> bytes:
    return f'<alerts xmlns="{CAP}">'.encode() + b"".join(alerts) + b"</alerts>"


def many_attributes(count: int) -> bytes:
    attributes = "".join(f' a{n}="v"' for n in range(count))
    return alert_xml("ATTR-1").replace(b"<alert ", f"<alert{attributes} ".encode(), 1)


def _cancel() -> bytes:
    reference = f"{EE_SENDER},EE-GREEN,{BASE_TIME.isoformat()}"
    return alert_xml("LT-CANCEL", sender="desk@lt.example", msg_type="Cancel", references=reference)


def _dated(sent: str, expires: str | None) -> bytes:
    text = re.sub(r"<sent>[^<]*</sent>", f"<sent>{sent}</sent>", alert_xml("X-1").decode())
    if expires is not None:
        text = re.sub(r"<expires>[^<]*</expires>", f"<expires>{expires}</expires>", text)
    return text.encode()


def _as_json(document: bytes) -> dict[str, Any]:
    """CAP JSON of ``alert_xml("X-1")`` with ``document``'s sent and expires, however extreme."""
    alert = alert_to_json(read_cap_xml(alert_xml("X-1"))[0].alert)
    text = document.decode()
    alert["sent"] = _between(text, "sent")
    alert["info"][0]["expires"] = _between(text, "expires")
    return alert


def _between(text: str, tag: str) -> str:
    found = re.search(f"<{tag}>([^<]*)</{tag}>", text)
    assert found is not None
    return found.group(1)


def _json(value: object) -> Callable[[], bytes]:
    return lambda: json.dumps(value).encode()


def _deep(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


EXTREME_DATES = {
    "sent 9999-12-31T23:59:59-14:00": ("9999-12-31T23:59:59-14:00", None),
    "sent 0001-01-01T00:00:00+14:00": ("0001-01-01T00:00:00+14:00", None),
    "sent 0001-01-01T00:00:00+00:00": ("0001-01-01T00:00:00+00:00", None),
    "expires 9999-12-31T24:00:00-14:00": ("2026-11-01T12:00:00+00:00", "9999-12-31T24:00:00-14:00"),
}
DEEP_JSON = {
    "/api/v1/alerts": "EE",
    "/api/v1/alerts:batch": "EE",
    "/api/v1/filings": "EE",
    "/api/v1/subscriptions": "EE",
    "/api/v1/agreements": "admin",
    "/api/v1/participants": "admin",
}
CURSORS = {
    "past any 64-bit position": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk",
    "_100, which int() reads": "XzEwMA",
    "65 characters": "A" * 65,
}


def _identity_cases() -> list[HostileCase]:
    cancel, forged = _cancel(), alert_xml("LT-AS-EE", sender="info@rescue.ee")
    subdomain = alert_xml("LT-AS-EE-2", sender="ops@north.rescue.ee")
    post = "/api/v1/alerts"
    return [
        HostileCase("Cancel of another's alert", "LT", "POST", post, lambda: cancel, XML),
        HostileCase(
            "Cancel of another's alert, in an XML batch", "LT", "POST", f"{post}:batch",
            lambda: _wrapper(_bare(cancel)), XML, outcome="rejected",
        ),
        HostileCase("alert under another's sender", "LT", "POST", post, lambda: forged, XML),
        HostileCase(
            "alert under another's sender's subdomain", "LT", "POST", post, lambda: subdomain, XML
        ),
    ]  # fmt: skip


def _size_cases() -> list[HostileCase]:
    batch = "/api/v1/alerts:batch"
    return [
        HostileCase(
            "6.4 MiB alert, 400,000-point polygon, in an XML batch", "EE", "POST", batch,
            lambda: _wrapper(big_polygon_alert()), XML, outcome="rejected",
        ),
        HostileCase(
            "6.4 MiB alert, 400,000-point polygon, alone", "EE", "POST", "/api/v1/alerts",
            big_polygon_alert, XML,
        ),
        HostileCase(
            "6.4 MiB alert, 400,000-point polygon, in a JSON batch", "EE", "POST", batch,
            lambda: json.dumps({"items": [{"xml": big_polygon_alert().decode()}]}).encode(),
            JSON, outcome="rejected",
        ),
        *[
            HostileCase(
                f"{count:,} attributes on <alert>", "EE", "POST", "/api/v1/alerts",
                lambda count=count: many_attributes(count), XML,  # type: ignore[misc]
            )
            for count in (40_000, 100_000)
        ],
    ]  # fmt: skip


def _date_cases() -> list[HostileCase]:
    compliance = f"/api/v1/agreements/{VIENNA}/compliance"
    cases = [
        HostileCase(f"compliance at {at}", "admin", "GET", compliance, params={"at": at})
        for at in ("7658-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00")
    ]
    for label, (sent, expires) in EXTREME_DATES.items():
        document = _dated(sent, expires)
        cases += [
            HostileCase(f"{label}, XML", "EE", "POST", "/api/v1/alerts", lambda d=document: d, XML),
            HostileCase(
                f"{label}, JSON", "EE", "POST", "/api/v1/alerts", _json(_as_json(document)), JSON
            ),
        ]
    return cases


def _json_cases() -> list[HostileCase]:
    cases = [
        HostileCase(
            f"JSON nested 100,000 deep, {path}", role, "POST", path, lambda: _deep(100_000), JSON
        )
        for path, role in DEEP_JSON.items()
    ]
    cases += [
        HostileCase(
            f"forged cursor: {label}", "EE", "GET", "/api/v1/alerts", params={"cursor": cursor}
        )
        for label, cursor in CURSORS.items()
    ]
    filing = '{"kind": "request", "request": "inspection", "to": "LV", "about": "a%sb"}'
    subscription = '{"name": "x%s", "filter": {}, "endpoints": []}'
    alert = json.dumps({**_as_json(alert_xml("X-1")), "identifier": "J-%s"})
    for character, label in (("\\ud800", "lone surrogate"), ("\\u0000", "NUL")):
        for what, path, template in (
            ("an alert's identifier", "/api/v1/alerts", alert),
            ("a filing", "/api/v1/filings", filing),
            ("a subscription's name", "/api/v1/subscriptions", subscription),
        ):
            text = template.replace("%s", character)
            cases.append(HostileCase(f"{label} in {what}", "EE", "POST", path, text.encode, JSON))
    raw = filing.replace("%s", "\x00").encode()
    cases.append(
        HostileCase("raw NUL byte in a filing", "EE", "POST", "/api/v1/filings", lambda: raw, JSON)
    )
    return cases


def _page_cases() -> list[HostileCase]:
    return [
        HostileCase("portal page of an alert with a 400,000-point polygon", None, "GET",
                    f"/alerts/{HUGE}", outcome="page"),
        HostileCase("portal front page with that alert", None, "GET", "/", outcome="page"),
        HostileCase("Atom feed with that alert", None, "GET", "/feeds/cap.atom", outcome="page"),
    ]  # fmt: skip


def hostile_cases() -> list[HostileCase]:
    """Every hostile request against a staged node, in the order of issue 14."""
    return [
        *_identity_cases(),
        *_size_cases(),
        *_date_cases(),
        *_json_cases(),
        *_page_cases(),
    ]


CLI_CASES = {f"{count:,} attributes on <alert>": count for count in (40_000, 100_000)}
