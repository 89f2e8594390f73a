"""The console's admin page over real HTTP: participants, agencies, users, passwords, API
tokens (shown once) and key rotation for admins; 403 and nothing changed for everyone else
and for forms without the session's CSRF token."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from accord.bootstrap import Node
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_forms import field_count, signed_in, unlabelled_fields
from tests.integration.web_pages import form_token, inline_code, sign_in

ADMIN_FORMS = {
    "/console/admin/participants": {"code": "FI", "name": "Finland", "kind": "state"},
    "/console/admin/agencies": {"participant": "EE", "name": "Rescue Board", "sector": "disaster"},
    "/console/admin/senders": {"participant": "LT", "sender": "rescue.ee"},
    "/console/admin/users": {"username": "mallory", "role": "admin", "participant": ""},
    "/console/admin/passwords": {"username": "admin", "password": "taken over by mallory"},
    "/console/admin/tokens": {"username": "admin", "label": "stolen"},
    "/console/admin/tokens/1/revoke": {},
    "/console/admin/keys/EE/rotate": {},
}


def _token(client: httpx.Client, path: str = "/console") -> str:
    return form_token(client.get(path).text)


def _state(node: Node) -> dict[str, Any]:
    """Everything an admin form could change."""
    return {
        "participants": node.identity.list_participants(),
        "agencies": node.identity.list_agencies(),
        "senders": node.identity.list_senders(),
        "users": node.identity.list_users(),
        "tokens": node.identity.list_tokens(),
        "keys": node.keys.published(),
    }


def _can_sign_in(server: LiveServer, username: str, password: str) -> bool:
    with server.client() as client:
        return sign_in(client, username, password).status_code == 303


def test_an_admin_adds_a_participant_an_agency_and_a_user_and_sets_their_password(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "admin") as client:
        page = client.get("/console/admin")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert 'href="/console/admin" aria-current="page"' in page.text
        csrf = form_token(page.text)
        added = client.post(
            "/console/admin/participants",
            data={"csrf_token": csrf, "code": "fi", "name": "<b>Suomi</b>", "kind": "state"},
        )
        assert added.status_code == 303
        assert added.headers["location"] == "/console/admin?done=participant#participants"
        area = "60.0,24.0 60.0,25.0 61.0,25.0 61.0,24.0"
        agency = client.post(
            "/console/admin/agencies",
            data={
                "csrf_token": csrf,
                "participant": "FI",
                "name": "Rescue",
                "sector": "disaster",
                "area": area,
            },
        )
        assert agency.status_code == 303
        user = client.post(
            "/console/admin/users",
            data={
                "csrf_token": csrf,
                "username": "fi-focal",
                "role": "focal-point",
                "participant": "FI",
                "agency": "Rescue",
            },
        )
        assert user.status_code == 303
        password = client.post(
            "/console/admin/passwords",
            data={"csrf_token": csrf, "username": "fi-focal", "password": "a new password here"},
        )
        assert password.status_code == 303
        page = client.get("/console/admin?done=password")
    assert "The password was set" in page.text
    assert "&lt;b&gt;Suomi&lt;/b&gt;" in page.text
    assert "<b>Suomi" not in page.text
    assert {"code": "FI", "name": "<b>Suomi</b>", "kind": "state"} in _state(node)["participants"]
    (rescue,) = node.identity.list_agencies("FI")
    assert rescue["jurisdiction"]["type"] == "Polygon"
    assert rescue["jurisdiction"]["coordinates"][0][0] == [24.0, 60.0]  # lon, lat; closed
    assert rescue["jurisdiction"]["coordinates"][0][-1] == [24.0, 60.0]
    assert {
        "username": "fi-focal",
        "role": "focal-point",
        "participant": "FI",
        "agency": "Rescue",
    } in node.identity.list_users()
    assert any(
        k["participant"] == "FI" and not k["retired_at"]
        for k in _state(node)["keys"]["participants"]
    )
    assert _can_sign_in(server, "fi-focal", "a new password here")


def test_a_new_token_is_shown_once_and_works_until_it_is_revoked(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "admin") as client:
        csrf = _token(client, "/console/admin")
        issued = client.post(
            "/console/admin/tokens",
            data={"csrf_token": csrf, "username": "lv-analyst", "label": "desk <system>"},
        )
        assert issued.status_code == 200
        assert issued.headers["cache-control"] == "no-store"
        found = re.search(
            r'id="issued-token" class="secret" type="text" readonly value="([^"]+)"', issued.text
        )
        assert found is not None
        token = found.group(1)
        assert "desk &lt;system&gt;" in issued.text
        assert token not in issued.headers.get("location", "")
        assert all(token not in c for c in issued.headers.get_list("set-cookie"))
        with server.client(token) as api:
            assert api.get("/api/v1/whoami").json()["username"] == "lv-analyst"
        again = client.get("/console/admin")
        assert token not in again.text
        (row,) = [
            t for t in node.identity.list_tokens("lv-analyst") if t["label"] == "desk <system>"
        ]
        assert f"Revoke token {row['id']} of lv-analyst" in again.text
        revoked = client.post(
            f"/console/admin/tokens/{row['id']}/revoke", data={"csrf_token": csrf}
        )
        assert revoked.status_code == 303
        with server.client(token) as api:
            assert api.get("/api/v1/whoami").status_code == 401
        twice = client.post(f"/console/admin/tokens/{row['id']}/revoke", data={"csrf_token": csrf})
        assert twice.status_code == 422
        assert f"No active token {row['id']}." in twice.text


def test_bad_input_is_shown_beside_its_field_in_the_apis_words_and_nothing_is_added(
    server: LiveServer, node: Node, region: Region
) -> None:
    before = _state(node)
    with signed_in(server, node, "admin") as client:
        csrf = _token(client, "/console/admin")
        code = client.post(
            "/console/admin/participants",
            data={"csrf_token": csrf, "code": "QQ", "name": "", "kind": "state"},
        )
        assert code.status_code == 422
        assert re.search(
            r'id="participant-code-error">.*is not an ISO 3166-1 alpha-2 code', code.text
        )
        assert re.search(r'id="participant-name-error">.*name must not be empty', code.text)
        assert (
            'name="code" type="text" autocomplete="off" value="QQ" aria-invalid="true"' in code.text
        )
        duplicate = client.post(
            "/console/admin/participants",
            data={"csrf_token": csrf, "code": "EE", "name": "Again", "kind": "state"},
        )
        assert duplicate.status_code == 422
        assert "Participant EE already exists." in duplicate.text
        area = client.post(
            "/console/admin/agencies",
            data={
                "csrf_token": csrf,
                "participant": "EE",
                "name": "X",
                "sector": "health",
                "area": "north of here",
            },
        )
        assert area.status_code == 422
        assert re.search(r'id="agency-area-error">.*lat,lon pairs', area.text)
        short = client.post(
            "/console/admin/passwords",
            data={"csrf_token": csrf, "username": "ee-analyst", "password": "short"},
        )
        assert short.status_code == 422
        assert re.search(r'id="password-password-error">.*at least 12 characters', short.text)
        assert 'value="short"' not in short.text  # a password is never sent back
        role = client.post(
            "/console/admin/users",
            data={"csrf_token": csrf, "username": "x", "role": "superuser", "participant": "EE"},
        )
        assert role.status_code == 422
        assert 'id="user-role-error"' in role.text
        unknown = client.post(
            "/console/admin/tokens", data={"csrf_token": csrf, "username": "nobody", "label": ""}
        )
        assert unknown.status_code == 422
        assert "No user &#39;nobody&#39;." in unknown.text
        assert 'id="issued-token"' not in unknown.text
    assert _state(node) == before
    assert not _can_sign_in(server, "ee-analyst", "short")


def test_rotating_a_key_asks_first_then_replaces_the_current_key(
    server: LiveServer, node: Node, region: Region
) -> None:
    def current() -> str:
        keys = node.keys.published()["participants"]
        return str(
            next(k["key_id"] for k in keys if k["participant"] == "EE" and not k["retired_at"])
        )

    old = current()
    with signed_in(server, node, "admin") as client:
        page = client.get("/console/admin")
        assert node.keys.published()["log"] in page.text
        assert 'href="/console/admin/keys/EE/rotate"' in page.text
        confirm = client.get("/console/admin/keys/EE/rotate")
        assert confirm.status_code == 200
        assert "Rotate EE's key" in confirm.text
        assert current() == old  # asking changes nothing
        assert client.get("/console/admin/keys/ZZ/rotate").status_code == 404
        rotated = client.post(
            "/console/admin/keys/EE/rotate", data={"csrf_token": form_token(confirm.text)}
        )
        assert rotated.status_code == 303
        assert rotated.headers["location"] == "/console/admin?done=key#keys"
        assert current() != old
        page = client.get("/console/admin?done=key")
        assert "was rotated" in page.text
        assert re.search(rf"{old}</code>.*?retired", page.text, re.S)
        missing = client.post(
            "/console/admin/keys/ZZ/rotate", data={"csrf_token": form_token(confirm.text)}
        )
        assert missing.status_code == 422
        assert "This node holds no key of ZZ." in missing.text


@pytest.mark.parametrize("username", ["ee-focal-point", "ee-analyst", "obs-observer", "reporter"])
def test_no_one_but_an_admin_may_open_an_admin_page_or_post_an_admin_form(
    server: LiveServer, node: Node, region: Region, username: str
) -> None:
    before = _state(node)
    with signed_in(server, node, username) as client:
        csrf = _token(client)
        assert 'href="/console/admin"' not in client.get("/console").text
        for path in ("/console/admin", "/console/admin?done=key", "/console/admin/keys/EE/rotate"):
            refused = client.get(path)
            assert refused.status_code == 403, path
            assert "Only a node admin" in refused.text
            assert node.keys.published()["log"] not in refused.text
        for path, fields in ADMIN_FORMS.items():
            refused = client.post(path, data={"csrf_token": csrf, **fields})
            assert refused.status_code == 403, path
            assert 'id="issued-token"' not in refused.text
    assert _state(node) == before
    assert not _can_sign_in(server, "admin", "taken over by mallory")


def test_signed_out_visitors_are_sent_to_sign_in_and_change_nothing(
    server: LiveServer, node: Node, region: Region
) -> None:
    before = _state(node)
    with server.client() as client:
        page = client.get("/console/admin")
        assert page.status_code == 303
        assert page.headers["location"] == "/signin?next=/console/admin"
        for path, fields in ADMIN_FORMS.items():
            assert client.post(path, data=fields).status_code == 303, path
    assert _state(node) == before


@pytest.mark.parametrize(
    ("csrf", "origin"),
    [(None, None), ("forged-token", None), ("session", "https://evil.example")],
    ids=["no token", "wrong token", "other origin"],
)
def test_every_admin_form_refuses_a_request_without_the_sessions_csrf_token(
    server: LiveServer, node: Node, region: Region, csrf: str | None, origin: str | None
) -> None:
    before = _state(node)
    with signed_in(server, node, "admin") as client:
        token = _token(client, "/console/admin") if csrf == "session" else csrf
        headers = {"Origin": origin} if origin else {}
        for path, fields in ADMIN_FORMS.items():
            data = {**fields, **({"csrf_token": token} if token else {})}
            refused = client.post(path, data=data, headers=headers)
            assert refused.status_code == 403, path
            assert "did not come from this site" in refused.text
            assert 'id="issued-token"' not in refused.text
    assert _state(node) == before


def test_admin_pages_are_sent_with_the_policy_and_hold_no_inline_code(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "admin") as client:
        csrf = _token(client, "/console/admin")
        pages = {
            "page": client.get("/console/admin"),
            "confirm": client.get("/console/admin/keys/EE/rotate"),
            "issued": client.post(
                "/console/admin/tokens", data={"csrf_token": csrf, "username": "admin"}
            ),
            "problems": client.post(
                "/console/admin/participants", data={"csrf_token": csrf, "code": "?"}
            ),
            "refused": client.post("/console/admin/users", data={}),
        }
    for name, response in pages.items():
        assert "default-src 'self'" in response.headers["content-security-policy"], name
        assert "unsafe-inline" not in response.headers["content-security-policy"], name
        assert response.headers["cache-control"] == "no-store", name
        assert inline_code(response.text) == [], name
        assert unlabelled_fields(response.text) == [], name
    assert field_count(pages["page"].text) >= 15
    assert html.unescape(pages["issued"].text).count('name="csrf_token"') >= 6


def test_an_admin_registers_a_participants_sender_and_bad_ones_are_shown_beside_the_field(
    server: LiveServer, node: Node, region: Region
) -> None:
    with signed_in(server, node, "admin") as client:
        csrf = _token(client, "/console/admin")
        added = client.post(
            "/console/admin/senders",
            data={"csrf_token": csrf, "participant": "EE", "sender": "Rescue.EE"},
        )
        assert added.status_code == 303
        assert "rescue.ee" in client.get(added.headers["location"]).text
        bad = client.post(
            "/console/admin/senders",
            data={"csrf_token": csrf, "participant": "EE", "sender": "two words"},
        )
        assert bad.status_code == 422
        assert "INVALID_SENDER" in bad.text or "give an address" in bad.text
    assert node.identity.list_senders() == [{"sender": "rescue.ee", "participant": "EE"}]
