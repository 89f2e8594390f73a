"""The console's subscriptions over real HTTP: create with filters and an endpoint, the
webhook secret and feed URL shown once, rotate, pause and resume, add endpoints, delivery
health, disable; another user's subscription is "not found" and never shown; forms
without the session's CSRF token change nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from accord.bootstrap import Node
from accord.services.delivery_ports import SubscriptionRow
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_forms import signed_in, unlabelled_fields
from tests.integration.web_pages import form_token, inline_code

PAGE = "/console/subscriptions"
HOOK = "https://desk.example.ee/hooks/accord?who=<ee>&x=1"
AREA = "59.0,21.0 60.5,21.0 60.5,28.5 59.0,28.5"
SECRET = re.compile(r'class="secret" type="text" readonly value="(whsec_[^"]+)"')
FEED = re.compile(r'id="feed-url" class="secret" type="text" readonly value="([^"]+)"')


def _create(client: httpx.Client, **fields: Any) -> httpx.Response:
    data = {
        "csrf_token": form_token(client.get(PAGE).text),
        "name": "Storms in the Gulf",
        "categories": ["Met", "Env"],
        "min_severity": "Moderate",
        "tlp_ceiling": "AMBER",
        "area": AREA,
        "exercises": "true",
        "kind": "webhook",
        "url": HOOK,
        "format": "json",
        **fields,
    }
    return client.post(PAGE, data=data)


def _mine(node: Node, region: Region, who: str = "EE:focal-point") -> list[SubscriptionRow]:
    return node.subscriptions.mine(node.identity.authenticate(region.tokens[who]))


def _state(node: Node, region: Region) -> list[SubscriptionRow]:
    """Every live subscription (an admin's view), with endpoints, states and secrets."""
    return node.subscriptions.mine(node.identity.authenticate(region.tokens["admin"]))


def test_a_focal_point_subscribes_with_a_webhook_and_sees_its_secret_once(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "ee-focal-point") as client:
        page = client.get(PAGE)
        assert page.status_code == 200
        assert 'href="/console/subscriptions" aria-current="page"' in page.text
        assert "No subscriptions yet." in page.text
        created = _create(client)
        assert created.status_code == 200
        assert created.headers["cache-control"] == "no-store"
        found = SECRET.search(created.text)
        assert found is not None
        secret = found.group(1)
        assert all(secret not in c for c in created.headers.get_list("set-cookie"))
        (row,) = _mine(node, region)
        assert row.name == "Storms in the Gulf"
        assert row.filter["categories"] == ["Env", "Met"]
        assert row.filter["min_severity"] == "Moderate"
        assert row.filter["tlp_ceiling"] == "AMBER"
        assert row.filter["exercises"] is True
        assert row.filter["area"]["coordinates"][0][0] == [21.0, 59.0]
        (endpoint,) = row.endpoints
        assert endpoint.kind == "webhook"
        assert endpoint.target == HOOK
        assert [s.value for s in endpoint.secrets] == [secret]
        detail = client.get(f"{PAGE}/{row.id}")
        listing = client.get(PAGE)
    for response in (detail, listing):
        assert secret not in response.text
        assert "whsec_" not in response.text
    assert "59.0,21.0 59.0,21.0" not in detail.text
    assert "Severity at least</dt><dd>Moderate" in detail.text
    assert "hooks/accord?who=&lt;ee&gt;&amp;x=1" in detail.text
    assert "<ee>" not in detail.text
    assert f'href="/console/subscriptions/{row.id}">Storms in the Gulf</a>' in listing.text


def test_bad_input_is_shown_beside_its_field_and_nothing_is_made(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "ee-focal-point") as client:
        bad = _create(client, name="", url="ftp://desk.example.ee/x", min_urgency="Soon")
        assert bad.status_code == 422
        assert re.search(r'id="new-name-error">.*name: 1 to 200 characters', bad.text)
        assert re.search(r'id="new-url-error">.*url: an http or https URL', bad.text)
        assert re.search(r'id="new-min_urgency-error">.*must be one of', bad.text)
        assert 'value="ftp://desk.example.ee/x"' in bad.text  # what was typed is kept
        assert 'value="Met" checked' in bad.text
        area = _create(client, area="somewhere north")
        assert area.status_code == 422
        assert re.search(r'id="new-area-error">.*lat,lon pairs', area.text)
        email = _create(client, kind="email", address="duty@example.ee")
        assert email.status_code == 422
        assert re.search(r'id="new-kind-error">.*this node has no SMTP server', email.text)
        for response in (bad, area, email):
            assert inline_code(response.text) == []
            assert unlabelled_fields(response.text) == []
    assert _mine(node, region) == []


def test_rotating_pausing_adding_and_a_feed_work_on_the_users_own_subscription(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "ee-focal-point") as client:
        first = SECRET.search(_create(client).text)
        assert first is not None
        (row,) = _mine(node, region)
        (endpoint,) = row.endpoints
        base = f"{PAGE}/{row.id}/endpoints/{endpoint.id}"
        csrf = form_token(client.get(f"{PAGE}/{row.id}").text)
        rotated = client.post(f"{base}/rotate", data={"csrf_token": csrf, "overlap_hours": "2"})
        assert rotated.status_code == 200
        assert rotated.headers["cache-control"] == "no-store"
        second = SECRET.search(rotated.text)
        assert second is not None
        assert second.group(1) != first.group(1)
        (endpoint,) = _mine(node, region)[0].endpoints
        assert [s.value for s in endpoint.secrets] == [first.group(1), second.group(1)]
        assert endpoint.secrets[0].expires_at is not None
        too_long = client.post(f"{base}/rotate", data={"csrf_token": csrf, "overlap_hours": "900"})
        assert too_long.status_code == 422
        assert re.search(
            rf'id="rotate-{endpoint.id}-overlap_hours-error">.*0 to 168 hours', too_long.text
        )
        paused = client.post(f"{base}/pause", data={"csrf_token": csrf})
        assert paused.status_code == 303
        assert _mine(node, region)[0].endpoints[0].state == "disabled"
        assert f"Resume endpoint {endpoint.id}" in client.get(paused.headers["location"]).text
        client.post(f"{base}/resume", data={"csrf_token": csrf})
        assert _mine(node, region)[0].endpoints[0].state == "active"
        added = client.post(
            f"{PAGE}/{row.id}/endpoints",
            data={"csrf_token": csrf, "kind": "webhook", "url": "https://b.example/h"},
        )
        assert added.status_code == 200
        assert SECRET.search(added.text) is not None
        assert len(_mine(node, region)[0].endpoints) == 2
        refused = client.post(
            f"{PAGE}/{row.id}/endpoints", data={"csrf_token": csrf, "kind": "webhook", "url": ""}
        )
        assert refused.status_code == 422
        assert re.search(r'id="endpoint-url-error">.*http or https', refused.text)
        feed = client.post(f"{PAGE}/{row.id}/feed", data={"csrf_token": csrf})
        found = FEED.search(feed.text)
        assert found is not None
        url = found.group(1)
        assert url.startswith(f"{server.url}/feeds/subscriptions/")
        assert url not in client.get(f"{PAGE}/{row.id}").text
        assert client.get(url).status_code == 200
        client.post(f"{PAGE}/{row.id}/feed", data={"csrf_token": csrf})
        assert client.get(url).status_code == 404  # the new URL replaced it


def test_disabling_asks_first_and_then_the_subscription_is_gone(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "ee-analyst") as client:
        _create(client, kind="none")
        (row,) = _mine(node, region, "EE:analyst")
        confirm = client.get(f"{PAGE}/{row.id}/disable")
        assert confirm.status_code == 200
        assert "Disable “Storms in the Gulf”" in confirm.text
        assert _mine(node, region, "EE:analyst") == [row]
        done = client.post(
            f"{PAGE}/{row.id}/disable", data={"csrf_token": form_token(confirm.text)}
        )
        assert done.status_code == 303
        assert _mine(node, region, "EE:analyst") == []
        assert "was disabled" in client.get(done.headers["location"]).text
        assert client.get(f"{PAGE}/{row.id}").status_code == 404


def test_delivery_health_shows_each_endpoints_deliveries(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "lv-focal-point") as client:
        _create(client, area="", tlp_ceiling="", categories=["Met"])
        (row,) = _mine(node, region, "LV:focal-point")
        assert "Nothing delivered to this endpoint yet." in client.get(f"{PAGE}/{row.id}").text
        with server.client(region.tokens["EE:focal-point"]) as api:
            issued = api.post(
                "/api/v1/alerts",
                content=alert_xml("W-HEALTH-1"),
                headers={"Content-Type": "application/cap+xml"},
            )
            assert issued.status_code == 201, issued.text
        page = client.get(f"{PAGE}/{row.id}").text
    counts = {
        state: int(n) for n, state in re.findall(r'class="count count-\w+">(\d+) (\w+)', page)
    }
    assert sum(counts.values()) == 1
    assert "Latest deliveries to this endpoint" in page


def _others_row(server: LiveServer, node: Node, region: Region) -> tuple[SubscriptionRow, str]:
    """EE's focal point's subscription with a webhook, and its secret."""
    with signed_in(server, node, "ee-focal-point") as client:
        found = SECRET.search(_create(client).text)
    assert found is not None
    (row,) = _mine(node, region)
    return row, found.group(1)


@pytest.mark.parametrize("username", ["lv-focal-point", "ee-analyst", "obs-observer"])
def test_another_users_subscription_is_not_found_never_shown_and_never_changed(
    server: LiveServer, node: Node, region: Region, username: str
) -> None:
    theirs, secret = _others_row(server, node, region)
    endpoint = theirs.endpoints[0].id
    before = _state(node, region)
    with signed_in(server, node, username) as client:
        _create(client, name="My own", kind="webhook", url="https://mine.example/h")
        mine = next(r for r in _state(node, region) if r.username == username)
        after_own = _state(node, region)
        listing = client.get(PAGE)
        assert "desk.example.ee" not in listing.text
        csrf = form_token(listing.text)
        gets = [f"{PAGE}/{theirs.id}", f"{PAGE}/{theirs.id}/disable"]
        posts = [
            f"{PAGE}/{theirs.id}/disable",
            f"{PAGE}/{theirs.id}/endpoints",
            f"{PAGE}/{theirs.id}/feed",
            f"{PAGE}/{theirs.id}/endpoints/{endpoint}/rotate",
            f"{PAGE}/{theirs.id}/endpoints/{endpoint}/pause",
            f"{PAGE}/{mine.id}/endpoints/{endpoint}/rotate",  # their endpoint under mine
            f"{PAGE}/{mine.id}/endpoints/{endpoint}/pause",
        ]
        answers = [client.get(path) for path in gets] + [
            client.post(
                path, data={"csrf_token": csrf, "kind": "webhook", "url": "https://x.example/"}
            )
            for path in posts
        ]
    for response in answers:
        assert response.status_code == 404, response.url
        assert "desk.example.ee" not in response.text
        assert secret not in response.text
        assert "Storms in the Gulf" not in response.text
    assert _state(node, region) == after_own
    assert [r for r in after_own if r.id == theirs.id] == [r for r in before if r.id == theirs.id]


def test_an_admin_sees_every_subscription_as_the_api_does(
    server: LiveServer, node: Node, region: Region
) -> None:
    theirs, secret = _others_row(server, node, region)
    with signed_in(server, node, "admin") as client:
        listing = client.get(PAGE)
        detail = client.get(f"{PAGE}/{theirs.id}")
    assert "Storms in the Gulf" in listing.text
    assert '<th scope="col">Owner</th>' in listing.text
    assert detail.status_code == 200
    assert secret not in detail.text


@pytest.mark.parametrize(
    ("csrf", "origin"),
    [(None, None), ("forged-token", None), ("session", "https://evil.example")],
    ids=["no token", "wrong token", "other origin"],
)
def test_every_subscription_form_refuses_a_request_without_the_sessions_csrf_token(
    server: LiveServer, node: Node, region: Region, csrf: str | None, origin: str | None
) -> None:
    theirs, _secret = _others_row(server, node, region)
    endpoint = theirs.endpoints[0].id
    before = _state(node, region)
    with signed_in(server, node, "ee-focal-point") as client:
        token = form_token(client.get(PAGE).text) if csrf == "session" else csrf
        headers = {"Origin": origin} if origin else {}
        paths = [
            PAGE,
            f"{PAGE}/{theirs.id}/disable",
            f"{PAGE}/{theirs.id}/endpoints",
            f"{PAGE}/{theirs.id}/feed",
            f"{PAGE}/{theirs.id}/endpoints/{endpoint}/rotate",
            f"{PAGE}/{theirs.id}/endpoints/{endpoint}/pause",
        ]
        for path in paths:
            data = {"name": "x", "kind": "webhook", "url": "https://x.example/"}
            refused = client.post(
                path, data={**data, **({"csrf_token": token} if token else {})}, headers=headers
            )
            assert refused.status_code == 403, path
            assert "did not come from this site" in refused.text
            assert "whsec_" not in refused.text
    assert _state(node, region) == before


def test_signed_out_visitors_are_sent_to_sign_in(
    server: LiveServer, node: Node, region: Region
) -> None:
    theirs, _secret = _others_row(server, node, region)
    before = _state(node, region)
    with server.client() as client:
        for path in (PAGE, f"{PAGE}/{theirs.id}", f"{PAGE}/{theirs.id}/disable"):
            assert client.get(path).status_code == 303
        assert client.post(f"{PAGE}/{theirs.id}/disable", data={}).status_code == 303
        assert client.post(f"{PAGE}/{theirs.id}/feed", data={}).status_code == 303
    assert _state(node, region) == before


def test_subscription_pages_carry_the_policy_no_inline_code_and_labels(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "ee-focal-point") as client:
        created = _create(client)
        (row,) = _mine(node, region)
        csrf = form_token(created.text)
        pages = {
            "list": client.get(PAGE),
            "created": created,
            "detail": client.get(f"{PAGE}/{row.id}"),
            "confirm": client.get(f"{PAGE}/{row.id}/disable"),
            "feed": client.post(f"{PAGE}/{row.id}/feed", data={"csrf_token": csrf}),
            "missing": client.get(f"{PAGE}/999999"),
            "nonsense": client.get(f"{PAGE}/not-a-number"),
        }
    assert pages["missing"].status_code == 404
    assert pages["nonsense"].status_code == 404
    for name, response in pages.items():
        assert "default-src 'self'" in response.headers["content-security-policy"], name
        assert response.headers["cache-control"] == "no-store", name
        assert inline_code(response.text) == [], name
        assert unlabelled_fields(response.text) == [], name
