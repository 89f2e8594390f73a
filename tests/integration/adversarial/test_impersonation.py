"""A participant issues only under its own CAP senders, and message keys are each author's
own, so nobody can squat another's key or learn from a 409 what it may not read (issue 14,
class 2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from accord.bootstrap import Node, build
from accord.config import Settings
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region, serving

XML = {"Content-Type": "application/cap+xml"}


def _post(server: LiveServer, token: str, document: bytes, **params: str) -> httpx.Response:
    headers = {**XML, "Authorization": f"Bearer {token}"}
    return httpx.post(
        f"{server.url}/api/v1/alerts", content=document, headers=headers, params=params
    )


def test_an_alert_under_another_participants_sender_is_refused(
    node: Node, server: LiveServer, region: Region
) -> None:
    node.identity.add_sender("EE", "rescue.ee")
    forged = alert_xml("LT-AS-EE", sender="info@rescue.ee")
    subdomain = alert_xml("LT-AS-EE-2", sender="ops@north.rescue.ee")

    for document in (forged, subdomain):
        response = _post(server, region.tokens["LT:focal-point"], document)
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["code"] == "SENDER_NOT_YOURS"
    genuine = _post(server, region.tokens["EE:focal-point"], forged)
    assert genuine.status_code == 201, genuine.text
    listed = httpx.get(f"{server.url}/api/v1/alerts").json()["items"]
    assert [(item["author"], item["alert"]["identifier"]) for item in listed] == [
        ("EE", "LT-AS-EE")
    ]


def test_the_same_message_key_is_each_authors_own(server: LiveServer, region: Region) -> None:
    # LT sends first under a key EE will use; EE's genuine alert is still accepted (201,
    # not 409), and LT sending different content under EE's RED key learns nothing.
    squatted = alert_xml("KEY-1", sender="shared@example.org")
    assert _post(server, region.tokens["LT:focal-point"], squatted).status_code == 201
    genuine = _post(server, region.tokens["EE:focal-point"], squatted)
    assert genuine.status_code == 201, genuine.text

    secret = alert_xml("KEY-2", sender="shared@example.org", scope="Restricted")
    assert _post(server, region.tokens["EE:focal-point"], secret, tlp="RED").status_code == 201
    probe = alert_xml("KEY-2", sender="shared@example.org", headline="guess")
    assert _post(server, region.tokens["LT:focal-point"], probe).status_code == 201
    again = _post(server, region.tokens["LT:focal-point"], probe)
    assert again.status_code == 200  # its own duplicate, as any author's


def test_the_same_author_sending_different_content_under_its_key_is_a_conflict(
    server: LiveServer, region: Region
) -> None:
    assert _post(server, region.tokens["EE:focal-point"], alert_xml("MINE")).status_code == 201
    changed = alert_xml("MINE", headline="changed")
    assert _post(server, region.tokens["EE:focal-point"], changed).status_code == 409


@pytest.fixture
def production(settings: Settings) -> Iterator[Node]:
    built = build(dataclasses.replace(settings, mode="production", sqlite_synchronous="FULL"))
    yield built
    built.close()


def test_a_production_node_refuses_senders_nobody_registered(production: Node) -> None:
    identity = production.identity
    identity.add_participant("EE", "Estonia", "state")
    identity.add_user("ee-focal", "focal-point", "EE")
    token = identity.issue_token("ee-focal")["token"]
    identity.add_sender("EE", "ops@ema.ee")
    with serving(production) as server:
        refused = _post(server, token, alert_xml("UNREGISTERED", sender="someone@else.example"))
        accepted = _post(server, token, alert_xml("REGISTERED", sender="ops@ema.ee"))
    assert refused.status_code == 403, refused.text
    assert "not registered" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.text


def test_senders_are_registered_by_admins_only(server: LiveServer, region: Region) -> None:
    url = f"{server.url}/api/v1/participants/LT/senders"
    for token in ("LT:focal-point", "EE:focal-point"):
        headers = {"Authorization": f"Bearer {region.tokens[token]}"}
        assert httpx.post(url, json={"sender": "rescue.ee"}, headers=headers).status_code == 403
    admin = {"Authorization": f"Bearer {region.tokens['admin']}"}
    assert httpx.post(url, json={"sender": "lt.example"}, headers=admin).status_code == 201
    assert httpx.post(url, json={"sender": "lt.example"}, headers=admin).status_code == 409
    bad = httpx.post(url, json={"sender": "two words,x"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["code"] == "INVALID_SENDER"


def test_a_sender_naming_two_addresses_or_a_trailing_dot_does_not_slip_past(
    node: Node, server: LiveServer, region: Region
) -> None:
    node.identity.add_sender("EE", "ee.example")
    for sender in ("warnings@ee.example@lt.example", "warnings@EE.EXAMPLE."):
        response = _post(server, region.tokens["LT:focal-point"], alert_xml("X", sender=sender))
        assert response.status_code == 403, (sender, response.text)


def test_a_registration_never_hides_what_another_issued_before_it(
    node: Node, server: LiveServer, region: Region
) -> None:
    earlier = _post(server, region.tokens["EE:focal-point"], alert_xml("BEFORE", sender="w@x.ee"))
    assert earlier.status_code == 201
    node.identity.add_sender("LT", "x.ee")  # registered later, to someone else
    node.alerts.rebuild(lambda _original: ("unsigned", ""))
    listed = httpx.get(f"{server.url}/api/v1/alerts").json()["items"]
    assert [item["alert"]["identifier"] for item in listed] == ["BEFORE"]
    assert node.log_audit.run().is_clean


@pytest.mark.parametrize(
    "sender",
    [
        "info@rescue.ee\u200b",  # zero-width space
        "info@rescue.ee\u00ad",  # soft hyphen
        "info@rescue\u3002ee",  # ideographic full stop
        "info@rescue..ee",  # empty label
        "INFO@RESCUE.EE",
    ],
)
def test_a_disguised_sender_does_not_slip_past_its_owner(
    node: Node, server: LiveServer, region: Region, sender: str
) -> None:
    node.identity.add_sender("EE", "rescue.ee")
    response = _post(server, region.tokens["LV:focal-point"], alert_xml("X", sender=sender))
    assert response.status_code == 403, response.text
