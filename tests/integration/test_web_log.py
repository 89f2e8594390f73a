"""The console's log page over real HTTP, on both engines: the checkpoint as
``/log/checkpoint`` serves it with its witness cosignatures, the keys, incidents for every
signed-in user and peers for admins only, as the API allows each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.identity import Role
from accord.ledger import notes
from accord.services.ports import Account
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, inline_code, sign_in

WITNESS = "witness.example"
PEER_URL = "https://lv-node.example/<b>peer</b>"
HOSTILE = "<script>alert('incident')</script>"
USERS = ("ee-focal-point", "ee-analyst", "lt-observer", "reporter", "admin")
API_TOKENS = {
    "ee-focal-point": "EE:focal-point",
    "ee-analyst": "EE:analyst",
    "lt-observer": "LT:observer",
}
_KEY = Ed25519PrivateKey.generate()
_PUBLIC = _KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture
def node(settings: Settings) -> Iterator[Node]:
    witness = notes.format_verifier_key(WITNESS, _PUBLIC, notes.COSIGNATURE_V1)
    built = build(replace(settings, witness_keys=witness))
    yield built
    built.close()


@pytest.fixture
def watched(node: Node, region: Region) -> str:
    """A cosigned checkpoint, a peer (its URL hostile text) and an equivocation incident;
    returns the peer's verifier key."""
    body = notes.note_text(node.log.checkpoint_note())
    line = notes.cosign(body, WITNESS, _KEY.sign, _PUBLIC, 1_790_000_000)
    assert node.log.add_cosignature(line) is True
    peer_key = notes.format_verifier_key(
        "lv.node",
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )
    admin = Account(0, "admin", Role.ADMIN, "SEC")
    peer = node.federation.add_peer(admin, PEER_URL, peer_key, "LV")
    with SqlUnitOfWorkFactory(node.engine)() as uow:
        uow.peers.add_incident(
            peer["id"],
            "equivocation",
            f"two roots for one size {HOSTILE}",
            ["note one", "note two"],
            node.clock.now(),
        )
    for user in USERS:
        node.sessions.set_password(user, PASSWORD)
    return peer_key


def _page(server: LiveServer, username: str) -> str:
    with server.client() as client:
        assert sign_in(client, username).status_code == 303
        response = client.get("/console/log")
    assert response.status_code == 200
    assert inline_code(response.text) == []
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    return response.text


def test_the_log_page_shows_the_served_checkpoint_its_cosignature_and_the_keys(
    server: LiveServer, watched: str
) -> None:
    with server.client() as anonymous:
        served = anonymous.get("/log/checkpoint").text
        key = anonymous.get("/log/key").text.strip()
    page = _page(server, "ee-analyst")
    body = notes.Checkpoint.parse(notes.note_text(served))
    assert f'<dd class="log-size">{body.size}</dd>' in page
    assert key in page
    assert WITNESS in page
    assert "witness cosignature" in page
    assert "2026-09-21 14:13 UTC" in page  # the cosignature's time, 1_790_000_000
    assert "the log's own signature" in page
    assert '<th scope="row">EE</th>' in page  # participant keys


@pytest.mark.parametrize("user", USERS)
def test_incidents_are_for_every_user_and_peers_for_admins_only_as_in_the_api(
    server: LiveServer, region: Region, watched: str, user: str
) -> None:
    page = _page(server, user)
    token = region.tokens[API_TOKENS.get(user, user)]
    with server.client(token) as api:
        peers = api.get("/api/v1/peers")
        incidents = api.get("/api/v1/incidents")
    assert incidents.status_code == 200
    assert "equivocation" in page
    assert "note two" in page
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    if user == "admin":
        assert peers.status_code == 200
        assert 'id="peers"' in page
        assert "&lt;b&gt;peer&lt;/b&gt;" in page
        assert "never verified" in page
    else:
        assert peers.status_code == 403
        assert 'id="peers"' not in page
        assert "lv-node.example" not in page
        assert watched not in page


def test_the_log_page_needs_a_session(server: LiveServer) -> None:
    with server.client() as anonymous:
        response = anonymous.get("/console/log", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/console/log"
