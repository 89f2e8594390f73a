"""Signed node-to-node requests: round trips, every kind of tampering, replay and freshness,
RFC 9421's own Ed25519 vector, and a real server that verifies what a real client signed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from accord.adapters.federation.signatures import (
    LABEL,
    TAG,
    RequestSigner,
    RequestVerifier,
    SignedAuth,
    _sign_request,
    asgi_request_url,
    pinned_keys,
)
from accord.adapters.keystore import LOG_KEY, FileKeystore
from accord.errors import AuthenticationError, ConfigurationError
from accord.ledger import notes

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
URL = "https://node-b.example/v1/federation/alerts?since=41&limit=10"
BODY = b'{"identifier": "EE-2025-0001", "status": "Actual"}'


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class Node:
    key: Ed25519PrivateKey
    key_id: str

    def signer(self, clock: Clock | None = None) -> RequestSigner:
        return RequestSigner(self.key_id, self.key.sign, clock=clock or Clock())


def make_node(name: str) -> Node:
    key = Ed25519PrivateKey.generate()
    return Node(key, notes.format_verifier_key(name, key.public_key().public_bytes_raw()))


@pytest.fixture
def node_a() -> Node:
    return make_node("node-a.example")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(node_a: Node, clock: Clock) -> RequestVerifier:
    return RequestVerifier(pinned_keys([node_a.key_id]), clock=clock)


def signed(node: Node, method: str = "POST", url: str = URL, body: bytes = BODY) -> httpx.Request:
    request = httpx.Request(method, url, content=body, headers={"Content-Type": "application/json"})
    node.signer().sign(request)
    return request


def received(request: httpx.Request) -> tuple[str, str, dict[str, str], bytes]:
    """The request as a server hands it over: method, URL, header fields, body."""
    return request.method, str(request.url), dict(request.headers), request.content


def test_a_signed_post_verifies_as_its_signer(node_a: Node, verifier: RequestVerifier) -> None:
    request = signed(node_a)

    assert verifier.verify(*received(request)) == node_a.key_id
    digest = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert request.headers["Content-Digest"] == f"sha-256=:{digest}:"
    signature_input = request.headers["Signature-Input"]
    assert signature_input.startswith(
        f'{LABEL}=("@method" "@authority" "@path" "@query" "content-digest");created='
    )
    assert f'keyid="{node_a.key_id}";alg="ed25519";nonce="' in signature_input
    assert signature_input.endswith(f';tag="{TAG}"')


def test_a_get_without_body_carries_no_digest(node_a: Node, verifier: RequestVerifier) -> None:
    request = signed(node_a, "GET", body=b"")

    assert "Content-Digest" not in request.headers
    assert verifier.verify(*received(request)) == node_a.key_id


def test_each_request_gets_its_own_nonce(node_a: Node) -> None:
    first, second = signed(node_a), signed(node_a)

    assert first.headers["Signature-Input"] != second.headers["Signature-Input"]


def _with_header(request: httpx.Request, name: str, old: str, new: str) -> dict[str, str]:
    headers = dict(request.headers)
    assert old in headers[name]
    headers[name] = headers[name].replace(old, new, 1)
    return headers


def _flipped_signature(request: httpx.Request) -> dict[str, str]:
    headers = dict(request.headers)
    raw = bytearray(base64.b64decode(headers["signature"].split(":")[1]))
    raw[0] ^= 1
    headers["signature"] = f"{LABEL}=:{base64.b64encode(raw).decode()}:"
    return headers


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("method", "does not verify"),
        ("path", "does not verify"),
        ("query", "does not verify"),
        ("dropped query", "does not verify"),
        ("host", "does not verify"),
        ("body", "does not match its signed digest"),
        ("digest of the new body", "does not verify"),
        ("signature", "does not verify"),
        ("nonce in signature-input", "does not verify"),
        ("created in signature-input", "does not verify"),
        ("covered list in signature-input", "does not verify"),
    ],
)
def test_any_tampering_fails(
    node_a: Node, verifier: RequestVerifier, change: str, reason: str
) -> None:
    request = signed(node_a)
    method, url, headers, body = received(request)
    nonce = request.headers["Signature-Input"].split('nonce="')[1].split('"')[0]
    created = request.headers["Signature-Input"].split("created=")[1].split(";")[0]
    match change:
        case "method":
            method = "PUT"
        case "path":
            url = url.replace("/alerts", "/records")
        case "query":
            url = url.replace("since=41", "since=0")
        case "dropped query":
            url = url.split("?")[0]
        case "host":
            url = url.replace("node-b.example", "node-c.example")
            headers["host"] = "node-c.example"
        case "body":
            body = body.replace(b"Actual", b"Exercise")
        case "digest of the new body":
            body = body.replace(b"Actual", b"Exercise")
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            headers["content-digest"] = f"sha-256=:{digest}:"
        case "signature":
            headers = _flipped_signature(request)
        case "nonce in signature-input":
            other = "y" if nonce.startswith("x") else "x"
            headers = _with_header(request, "signature-input", nonce, other + nonce[1:])
        case "created in signature-input":
            headers = _with_header(request, "signature-input", created, str(int(created) - 1))
        case "covered list in signature-input":
            headers = _with_header(request, "signature-input", ' "content-digest"', "")

    with pytest.raises(AuthenticationError, match=reason):
        verifier.verify(method, url, headers, body)


def test_an_unsigned_request_fails(verifier: RequestVerifier) -> None:
    request = httpx.Request("POST", URL, content=BODY)

    with pytest.raises(AuthenticationError, match="not signed"):
        verifier.verify(*received(request))


def test_an_unknown_key_fails(node_a: Node, clock: Clock) -> None:
    stranger = make_node("node-z.example")
    verifier = RequestVerifier(pinned_keys([node_a.key_id]), clock=clock)

    with pytest.raises(AuthenticationError, match="unknown key"):
        verifier.verify(*received(signed(stranger)))


def test_another_key_under_a_pinned_key_id_fails(node_a: Node, verifier: RequestVerifier) -> None:
    impostor = Node(Ed25519PrivateKey.generate(), node_a.key_id)

    with pytest.raises(AuthenticationError, match="does not verify"):
        verifier.verify(*received(signed(impostor)))


def test_a_key_id_is_only_found_exactly(node_a: Node, clock: Clock) -> None:
    name, hash_hex, _ = node_a.key_id.split("+", 2)
    verifier = RequestVerifier({f"{name}+{hash_hex}": b"\x00" * 32}, clock=clock)

    with pytest.raises(AuthenticationError, match="unknown key"):
        verifier.verify(*received(signed(node_a)))


def test_a_lookup_function_serves_as_the_pinned_keys(node_a: Node, clock: Clock) -> None:
    keys = pinned_keys([node_a.key_id])
    verifier = RequestVerifier(keys.get, clock=clock)

    assert verifier.verify(*received(signed(node_a))) == node_a.key_id


@pytest.mark.parametrize(
    ("elapsed", "reason"),
    [
        (timedelta(seconds=301), "stale"),
        (timedelta(hours=2), "stale"),
        (timedelta(seconds=-61), "in the future"),
    ],
)
def test_a_signature_outside_its_window_fails(
    node_a: Node, verifier: RequestVerifier, clock: Clock, elapsed: timedelta, reason: str
) -> None:
    request = signed(node_a)
    clock.at = NOW + elapsed

    with pytest.raises(AuthenticationError, match=reason):
        verifier.verify(*received(request))


@pytest.mark.parametrize("elapsed", [timedelta(seconds=300), timedelta(seconds=-60)])
def test_a_signature_at_the_edge_of_its_window_passes(
    node_a: Node, verifier: RequestVerifier, clock: Clock, elapsed: timedelta
) -> None:
    request = signed(node_a)
    clock.at = NOW + elapsed

    assert verifier.verify(*received(request)) == node_a.key_id


def test_a_replayed_request_fails(node_a: Node, verifier: RequestVerifier, clock: Clock) -> None:
    request = signed(node_a)
    verifier.verify(*received(request))
    clock.at = NOW + timedelta(seconds=200)

    with pytest.raises(AuthenticationError, match="replayed"):
        verifier.verify(*received(request))
    assert verifier.verify(*received(signed(node_a))) == node_a.key_id


def test_a_failed_request_does_not_use_up_its_nonce(
    node_a: Node, verifier: RequestVerifier
) -> None:
    request = signed(node_a)
    method, url, headers, body = received(request)
    with pytest.raises(AuthenticationError):
        verifier.verify(method, url, headers, body + b" ")

    assert verifier.verify(method, url, headers, body) == node_a.key_id


def test_nonce_memory_is_bounded_and_refuses_rather_than_forgets(
    node_a: Node, clock: Clock
) -> None:
    verifier = RequestVerifier(pinned_keys([node_a.key_id]), clock=clock, max_nonces=2)
    verifier.verify(*received(signed(node_a)))
    verifier.verify(*received(signed(node_a)))

    with pytest.raises(AuthenticationError, match="too many recent requests"):
        verifier.verify(*received(signed(node_a)))
    clock.at = NOW + timedelta(seconds=301)
    later = RequestSigner(node_a.key_id, node_a.key.sign, clock=Clock(clock.at))
    request = httpx.Request("GET", URL)
    later.sign(request)
    assert verifier.verify(*received(request)) == node_a.key_id


def _sign_with(node: Node, request: httpx.Request, **changes: object) -> None:
    options: dict[str, object] = {
        "key_id": node.key_id,
        "sign": node.key.sign,
        "components": ("@method", "@authority", "@path", "@query"),
        "created": int(NOW.timestamp()),
        "nonce": "n-1",
        "tag": TAG,
        "label": LABEL,
        "include_alg": True,
        "body": request.content or None,
    }
    options.update(changes)
    _sign_request(request, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("components", "missing"),
    [(("@method", "@authority"), "@path, @query"), (("@method", "@authority", "@path"), "@query")],
)
def test_a_signature_must_cover_the_request_target(
    node_a: Node, verifier: RequestVerifier, components: tuple[str, ...], missing: str
) -> None:
    request = httpx.Request("GET", URL)
    _sign_with(node_a, request, components=components)

    with pytest.raises(AuthenticationError, match=f"does not cover {missing}"):
        verifier.verify(*received(request))


def test_a_body_must_be_covered_by_a_signed_digest(node_a: Node, verifier: RequestVerifier) -> None:
    request = httpx.Request("POST", URL, content=BODY)
    _sign_with(node_a, request, body=None)

    with pytest.raises(AuthenticationError, match="does not cover content-digest"):
        verifier.verify(*received(request))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": None}, "needs a nonce"),
        ({"nonce": "n" * 129}, "needs a nonce"),
        ({"tag": None}, "not acceptable"),
        ({"tag": "other-app"}, "not acceptable"),
    ],
)
def test_a_signature_needs_our_nonce_and_tag(
    node_a: Node, verifier: RequestVerifier, changes: dict[str, object], reason: str
) -> None:
    request = httpx.Request("GET", URL)
    _sign_with(node_a, request, **changes)

    with pytest.raises(AuthenticationError, match=reason):
        verifier.verify(*received(request))


def test_the_authority_is_the_host_header_not_the_address(
    node_a: Node, verifier: RequestVerifier
) -> None:
    request = httpx.Request(
        "GET", "https://192.0.2.7/v1/federation/alerts", headers={"Host": "b.example"}
    )
    node_a.signer().sign(request)

    assert verifier.verify(
        "GET", "https://b.example/v1/federation/alerts", dict(request.headers), b""
    )


def test_pinned_keys_accept_node_keys_only(node_a: Node) -> None:
    public = node_a.key.public_key().public_bytes_raw()
    witness = notes.format_verifier_key("witness.example", public, notes.COSIGNATURE_V1)

    assert pinned_keys([f"  {node_a.key_id}\n"]) == {node_a.key_id: public}
    with pytest.raises(ConfigurationError, match="witness key"):
        pinned_keys([witness])
    with pytest.raises(ConfigurationError, match="not a verifier key"):
        pinned_keys(["node-a.example+00000000+AAAA"])


def test_a_malformed_pinned_key_is_a_configuration_error(node_a: Node, clock: Clock) -> None:
    verifier = RequestVerifier({node_a.key_id: b"\x01" + b"\x00" * 31}, clock=clock)

    with pytest.raises(ConfigurationError, match="not a usable Ed25519 key"):
        verifier.verify(*received(signed(node_a)))


@pytest.mark.parametrize("key_id", ["log", "node-a.example+1234abcd", "node-a.example"])
def test_a_signer_needs_a_verifier_key_as_its_key_id(key_id: str) -> None:
    with pytest.raises(ConfigurationError):
        RequestSigner(key_id, Ed25519PrivateKey.generate().sign)


def test_signed_auth_signs_what_the_client_sends(node_a: Node, verifier: RequestVerifier) -> None:
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(verifier.verify(*received(request)))
        return httpx.Response(204)

    transport = httpx.MockTransport(server)
    with httpx.Client(auth=SignedAuth(node_a.signer()), transport=transport) as client:
        client.post(URL, json={"identifier": "EE-2025-0001"})
        client.get(URL)

    assert seen == [node_a.key_id, node_a.key_id]


def test_signed_auth_signs_for_an_async_client(node_a: Node, verifier: RequestVerifier) -> None:
    seen: list[str] = []

    async def server(request: httpx.Request) -> httpx.Response:
        seen.append(verifier.verify(*received(request)))
        return httpx.Response(204)

    async def send() -> None:
        auth = SignedAuth(node_a.signer())
        async with httpx.AsyncClient(auth=auth, transport=httpx.MockTransport(server)) as client:
            await client.post(URL, content=_chunks())

    asyncio.run(send())

    assert seen == [node_a.key_id]


async def _chunks() -> AsyncIterator[bytes]:
    yield BODY[:10]
    yield BODY[10:]


# RFC 9421 Appendix B.1.4: test-key-ed25519, as JWK "d" (seed) and "x" (public key).
RFC_SEED = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU="
RFC_PUBLIC = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs="
# RFC 9421 Appendix B.2.6: the request, its Signature-Input and its (deterministic) Signature.
RFC_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQ"
    "CK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)


def test_rfc_9421_b_2_6_ed25519_signature_is_reproduced_exactly() -> None:
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC_SEED))
    assert key.public_key().public_bytes_raw() == base64.urlsafe_b64decode(RFC_PUBLIC)
    request = httpx.Request(
        "POST",
        "https://example.com/foo?param=Value&Pet=dog",
        headers={"Date": "Tue, 20 Apr 2021 02:07:55 GMT", "Content-Type": "application/json"},
        content=b'{"hello": "world"}',
    )

    _sign_request(
        request,
        key_id="test-key-ed25519",
        sign=key.sign,
        components=("date", "@method", "@path", "@authority", "content-type", "content-length"),
        created=1618884473,
        nonce=None,
        tag=None,
        label="sig-b26",
        include_alg=False,
        body=None,
    )

    assert request.headers["Signature-Input"] == RFC_SIGNATURE_INPUT
    assert request.headers["Signature"] == RFC_SIGNATURE


# A real server and a real client over loopback.


@dataclass
class LiveServer:
    url: str
    verifier: RequestVerifier


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def keystore(tmp_path: Path) -> FileKeystore:
    keys = FileKeystore(tmp_path / "keys")
    keys.create(LOG_KEY)
    return keys


@pytest.fixture
def live_server(keystore: FileKeystore) -> Iterator[LiveServer]:
    peer_key = notes.format_verifier_key("node-a.example", keystore.public_key(LOG_KEY))
    verifier = RequestVerifier(pinned_keys([peer_key]))

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            peer = verifier.verify(
                request.method, asgi_request_url(request.scope), request.headers, body
            )
        except AuthenticationError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=401)
        return JSONResponse({"peer": peer, "bytes": len(body)})

    app = Starlette(routes=[Route("/v1/federation/{rest:path}", receive, methods=["GET", "POST"])])
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    yield LiveServer(f"http://127.0.0.1:{port}", verifier)
    running.should_exit = True
    thread.join(timeout=10)


def test_a_real_server_verifies_a_real_client(
    live_server: LiveServer, keystore: FileKeystore
) -> None:
    key_id = notes.format_verifier_key("node-a.example", keystore.public_key(LOG_KEY))
    signer = RequestSigner(key_id, lambda message: keystore.sign(LOG_KEY, message))

    with httpx.Client(base_url=live_server.url, auth=SignedAuth(signer), timeout=10) as client:
        posted = client.post("/v1/federation/alerts", params={"since": "41"}, json={"a": 1})
        fetched = client.get("/v1/federation/records/a%2Fb%20c", params={"q": "ä ö"})
        unsigned = httpx.post(f"{live_server.url}/v1/federation/alerts", json={"a": 1})

    assert posted.status_code == 200, posted.text
    assert posted.json() == {"peer": key_id, "bytes": len(b'{"a":1}')}
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["peer"] == key_id
    assert unsigned.status_code == 401
    assert "not signed" in unsigned.json()["detail"]


def test_a_real_server_refuses_a_stranger(live_server: LiveServer) -> None:
    stranger = make_node("node-z.example")

    auth = SignedAuth(stranger.signer(Clock(datetime.now(UTC))))
    with httpx.Client(base_url=live_server.url, auth=auth) as client:
        response = client.get("/v1/federation/alerts")

    assert response.status_code == 401
    assert "unknown key" in response.json()["detail"]
