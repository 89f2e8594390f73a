"""The admin API: participants, agencies, users and tokens, with roles enforced."""

from __future__ import annotations

from tests.integration.conftest import LiveServer, Region

JURISDICTION = {
    "type": "Polygon",
    "coordinates": [[[24.0, 59.0], [25.0, 59.0], [25.0, 60.0], [24.0, 60.0], [24.0, 59.0]]],
}


def test_an_admin_builds_a_participant_agency_user_and_token(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["admin"]) as admin:
        created = admin.post(
            "/api/v1/participants", json={"code": "fi", "name": "Finland", "kind": "state"}
        )
        agency = admin.post(
            "/api/v1/agencies",
            json={
                "participant": "FI",
                "name": "Border Guard",
                "sector": "border",
                "jurisdiction": JURISDICTION,
            },
        )
        user = admin.post(
            "/api/v1/users",
            json={
                "username": "fi-focal",
                "role": "focal-point",
                "participant": "FI",
                "agency": "Border Guard",
            },
        )
        token = admin.post("/api/v1/tokens", json={"username": "fi-focal", "label": "ops"})
        listed = admin.get("/api/v1/tokens", params={"username": "fi-focal"}).json()
    assert created.status_code == 201
    assert created.json()["code"] == "FI"
    assert agency.status_code == 201, agency.text
    assert user.status_code == 201, user.text
    assert token.status_code == 201
    secret = token.json()["token"]
    assert secret.startswith("acc_")
    assert all("token" not in row and secret not in str(row) for row in listed)
    with server.client(secret) as focal:
        assert focal.get("/api/v1/whoami").json() == {
            "username": "fi-focal",
            "role": "focal-point",
            "participant": "FI",
        }
    with server.client(region.tokens["admin"]) as admin:
        assert admin.delete(f"/api/v1/tokens/{token.json()['id']}").status_code == 204
    with server.client(secret) as revoked:
        assert revoked.get("/api/v1/whoami").status_code == 401


def test_bad_identities_are_refused_with_every_problem(server: LiveServer, region: Region) -> None:
    with server.client(region.tokens["admin"]) as admin:
        state = admin.post(
            "/api/v1/participants", json={"code": "XX", "name": " ", "kind": "state"}
        )
        agency = admin.post(
            "/api/v1/agencies",
            json={
                "participant": "EE",
                "name": "Bad",
                "sector": "navy",
                "jurisdiction": {"type": "Point", "coordinates": [1, 2]},
            },
        )
        user = admin.post("/api/v1/users", json={"username": "X Y", "role": "king"})
        extra = admin.post(
            "/api/v1/participants", json={"code": "FI", "name": "Finland", "kind": "state", "x": 1}
        )
        duplicate = admin.post(
            "/api/v1/participants", json={"code": "EE", "name": "Estonia", "kind": "state"}
        )
    assert state.status_code == 422
    assert {e["code"] for e in state.json()["errors"]} == {"NOT_ISO_3166", "REQUIRED"}
    assert len(agency.json()["errors"]) == 2
    assert len(user.json()["errors"]) == 2
    assert extra.status_code == 422
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"


def test_only_admins_administer(server: LiveServer, region: Region) -> None:
    with server.client(region.tokens["EE:focal-point"]) as focal:
        assert focal.get("/api/v1/participants").status_code == 200
        assert focal.get("/api/v1/users").status_code == 403
        assert focal.post("/api/v1/tokens", json={"username": "admin"}).status_code == 403
        assert (
            focal.post(
                "/api/v1/participants", json={"code": "FI", "name": "F", "kind": "state"}
            ).status_code
            == 403
        )
    with server.client() as anonymous:
        assert anonymous.get("/api/v1/participants").status_code == 401


def test_text_no_database_can_store_is_refused_as_bad_input(
    server: LiveServer, region: Region
) -> None:
    """PostgreSQL refuses NUL characters in text where SQLite keeps them: either way the
    caller gets a problem, not a server error, and nothing is stored."""
    with server.client(region.tokens["admin"]) as client:
        response = client.post("/api/v1/tokens", json={"username": "admin", "label": "a\x00b"})
        tokens = client.get("/api/v1/tokens").json()
    assert response.status_code in (201, 422)
    if response.status_code == 422:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert all(t["label"] != "a\x00b" for t in tokens)
