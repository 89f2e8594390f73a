"""Rate limits over real HTTP: past its burst a token, an address, a console session or a
federation peer gets 429 problem+json with Retry-After, and only that caller does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.adapters.federation.signatures import RequestSigner, SignedAuth
from accord.bootstrap import Node
from accord.config import Settings
from accord.ledger import notes
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, sign_in

TOKEN_BURST = 3
ADDRESS_BURST = 6


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A node whose limits a test reaches in a few requests (1 a second refills slowly)."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        node_name="test-node",
        rate_limit_token=1,
        rate_limit_token_burst=TOKEN_BURST,
        rate_limit_address=1,
        rate_limit_address_burst=ADDRESS_BURST,
    )


def _until_refused(send: Callable[[], httpx.Response], most: int = 40) -> list[httpx.Response]:
    """The answers to ``send()`` up to and including the first 429."""
    answers: list[httpx.Response] = []
    while len(answers) < most and (not answers or answers[-1].status_code != 429):
        answers.append(send())
    return answers


def _assert_refused_after(answers: list[httpx.Response], burst: int) -> None:
    """At least ``burst`` requests were served, then a 429 problem that says when to retry."""
    *served, refused = answers
    assert len(served) >= burst
    assert {a.status_code for a in served} <= {200, 303}, [a.status_code for a in served]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/rate-limited"
    assert int(refused.headers["retry-after"]) >= 1


def test_an_api_token_past_its_limit_gets_429_and_other_callers_do_not(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["EE:analyst"]) as analyst:
        _assert_refused_after(_until_refused(lambda: analyst.get("/api/v1/alerts")), TOKEN_BURST)
    with server.client(region.tokens["LV:analyst"]) as other:
        assert other.get("/api/v1/alerts").status_code == 200
    with server.client() as anonymous:
        assert anonymous.get("/api/v1/alerts").status_code == 200


def test_an_address_past_its_limit_gets_429_and_made_up_tokens_do_not_escape_it(
    server: LiveServer,
) -> None:
    with server.client() as anonymous:
        answers = _until_refused(lambda: anonymous.get("/feeds/cap.atom"))
        _assert_refused_after(answers, ADDRESS_BURST)
        for n in range(3):
            made_up = {"Authorization": f"Bearer made-up-token-{n}"}
            assert anonymous.get("/api/v1/alerts", headers=made_up).status_code == 429
        assert anonymous.get("/healthz").status_code == 200  # never limited


def test_the_console_limits_an_address_before_sign_in(server: LiveServer) -> None:
    with server.client() as browser:
        _assert_refused_after(_until_refused(lambda: browser.get("/signin")), ADDRESS_BURST)


def test_a_console_session_past_its_limit_gets_429_and_the_address_does_not(
    server: LiveServer, node: Node, region: Region
) -> None:
    node.sessions.set_password("ee-focal-point", PASSWORD)
    with server.client() as browser:
        assert sign_in(browser, "ee-focal-point").status_code == 303
        _assert_refused_after(_until_refused(lambda: browser.get("/console")), TOKEN_BURST)
    with server.client() as anonymous:
        assert anonymous.get("/signin").status_code == 200


def test_a_peer_is_limited_by_its_verified_signature_not_by_its_address(
    server: LiveServer, region: Region
) -> None:
    key = Ed25519PrivateKey.generate()
    key_id = notes.format_verifier_key("peer.example", key.public_key().public_bytes_raw())
    with server.client(region.tokens["admin"]) as admin:
        pinned = {"url": "http://peer.example", "key": key_id, "participant": "LV"}
        assert admin.post("/api/v1/peers", json=pinned).status_code == 201
    signed = SignedAuth(RequestSigner(key_id, key.sign))
    with httpx.Client(base_url=server.url, auth=signed) as peer:
        answers = _until_refused(lambda: peer.get("/federation/v1/entries"))
    _assert_refused_after(answers, TOKEN_BURST)
    with server.client() as anonymous:
        # the peer's requests took nothing from the address: all but the one the admin's
        # first request took is still there
        left = _until_refused(lambda: anonymous.get("/log/key"))
        _assert_refused_after(left, ADDRESS_BURST - 1)


def test_a_forged_peer_signature_counts_against_the_address(
    server: LiveServer, region: Region
) -> None:
    key = Ed25519PrivateKey.generate()
    key_id = notes.format_verifier_key("peer.example", key.public_key().public_bytes_raw())
    with server.client(region.tokens["admin"]) as admin:
        pinned = {"url": "http://peer.example", "key": key_id, "participant": "LV"}
        assert admin.post("/api/v1/peers", json=pinned).status_code == 201
    forger = SignedAuth(RequestSigner(key_id, Ed25519PrivateKey.generate().sign))
    with httpx.Client(base_url=server.url, auth=forger) as client:
        answers = _until_refused(lambda: client.get("/federation/v1/entries"))
    *refused_as_forged, limited = answers
    assert {a.status_code for a in refused_as_forged} == {401}
    assert len(refused_as_forged) < ADDRESS_BURST  # the admin's first request took one
    assert limited.status_code == 429
