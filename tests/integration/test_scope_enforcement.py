"""Adversarial: random alerts under random scopes, read by every kind of reader over HTTP.

Each reader lists everything it can (every status, every page) and asks for every alert by
id; what comes back must be exactly what the independent oracle allows — no leaks, and
nothing withheld that the policy grants.
"""

from __future__ import annotations

import random

from accord.adapters.cap_xml import read_cap_xml
from accord.bootstrap import Node
from accord.domain.identity import Role
from accord.domain.sharing import Reader
from accord.services.alerts import IncomingAlert
from accord.services.ports import AlertQuery
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.policy_oracle import oracle_may_read

TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
STATES = ("EE", "LV", "LT")
XML = {"Content-Type": "application/cap+xml"}


def _readers(region: Region) -> dict[str, tuple[str, str | None, str | None]]:
    """name -> (role, participant, token)"""
    readers: dict[str, tuple[str, str | None, str | None]] = {
        "anonymous": ("public", None, None),
        "reporter": ("reporter", "SEC", region.tokens["reporter"]),
        "admin": ("admin", "SEC", region.tokens["admin"]),
        "OBS:observer": ("observer", "OBS", region.tokens["OBS:observer"]),
    }
    for key, token in region.tokens.items():
        if ":" in key and key not in readers:
            participant, role = key.split(":")
            readers[key] = (role, participant, token)
    return readers


def test_no_reader_sees_an_alert_the_policy_withholds(server: LiveServer, region: Region) -> None:
    rng = random.Random(20261124)
    sent: list[tuple[str, str, frozenset[str], str]] = []  # record id, tlp, audience, author
    for n in range(60):
        author = rng.choice(STATES)
        tlp = rng.choice(TLPS)
        audience = frozenset(rng.sample((*STATES, "OBS"), rng.randint(0, 2)))
        status = rng.choice(("Actual", "Actual", "Exercise"))
        with server.client(region.tokens[f"{author}:focal-point"]) as client:
            response = client.post(
                "/api/v1/alerts",
                content=alert_xml(f"S-{n}", status=status),
                headers=XML,
                params={"tlp": tlp, "audience": ",".join(sorted(audience))},
            )
        assert response.status_code == 201, response.text
        sent.append((response.json()["record_id"], tlp, audience, author))

    pairs = 0
    for name, (role, participant, token) in _readers(region).items():
        expected = {
            rid
            for rid, tlp, audience, author in sent
            if oracle_may_read(role, participant, tlp, audience, author)
        }
        with server.client(token) as client:
            listed = {
                item["record_id"]
                for item in client.get(
                    "/api/v1/alerts", params={"status": ["Actual", "Exercise"], "limit": 500}
                ).json()["items"]
            }
            fetched = {
                rid for rid, *_ in sent if client.get(f"/api/v1/alerts/{rid}").status_code == 200
            }
        assert listed == expected, name
        assert fetched == expected, name
        pairs += len(sent)
    assert pairs >= 60 * 13


def test_thousands_of_random_pairs_agree_with_the_oracle_in_sql(node: Node, region: Region) -> None:
    rng = random.Random(9457)
    readers = _readers(region)
    accounts = {
        code: node.identity.authenticate(region.tokens[f"{code}:focal-point"]) for code in STATES
    }
    items: list[tuple[IncomingAlert, str, list[str], str]] = []
    for n in range(300):
        author = rng.choice(STATES)
        (document,) = read_cap_xml(alert_xml(f"Q-{n}"))
        incoming = IncomingAlert(document.alert, document.xml, "application/cap+xml")
        audience = rng.sample((*STATES, "OBS"), rng.randint(0, 3))
        items.append((incoming, rng.choice(TLPS), audience, author))
    for incoming, tlp, audience, author in items:
        (receipt,) = node.alerts.issue(accounts[author], [incoming], tlp=[tlp], audience=[audience])
        assert not isinstance(receipt, Exception)
    everything = {
        v.row.record_id: v for v in node.alerts.search(Reader(Role.ADMIN), AlertQuery(limit=1000))
    }
    assert len(everything) == 300
    pairs = 0
    for role, participant, _token in readers.values():
        reader = Reader(Role(role), participant)
        visible = {v.row.record_id for v in node.alerts.search(reader, AlertQuery(limit=1000))}
        for record_id, view in everything.items():
            expected = oracle_may_read(
                role,
                participant,
                view.row.scope.tlp.value,
                view.row.scope.audience,
                view.row.author,
            )
            assert (record_id in visible) is expected, (role, participant, view.row.scope)
            pairs += 1
    assert pairs == 300 * len(readers)
