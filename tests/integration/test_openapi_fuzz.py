"""Schemathesis fuzzes every operation of the served OpenAPI schema, as every role, as a
pinned peer signing its requests (RFC 9421) and as a stranger signing with an unpinned key.

A short run (a few examples per operation and role): its job is to find server errors and
answers outside the documented limits, not to prove correctness. Every answer must be a
documented success status of its operation, or a problem+json whose status is one of
``DOCUMENTED_PROBLEMS`` (docs/api.md) and matches its body; no body may exceed
``MAX_RESPONSE_BYTES``; no list a page answers may exceed the largest page size
(``MAX_PAGE_ITEMS``).

The live stream is read for ``STREAM_READ_S`` seconds and cut (an event stream never ends).
Subscription bodies are drawn half the time from a strategy of nearly valid subscriptions, so
webhook and e-mail endpoints are really created and the endpoint operations find them.

No traffic leaves loopback. The node's delivery worker and federation pulls do not run while
the fuzzer does (``worker="off"``, ``federation_interval=0``); every ``url`` member of every
body is replaced by the local webhook sink before it is sent (so a fuzzed subscription or
peer can only name the sink), and e-mail goes to the loopback SMTP sink, whatever address a
subscription names. Afterwards every stored webhook and peer is checked to be the sink, and
the worker is drained once against the sinks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import select

from accord.adapters.federation.signatures import RequestSigner
from accord.adapters.sql.tables import endpoints, peers
from accord.bootstrap import Node
from accord.config import Settings
from accord.ledger import notes
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.test_delivery import Mailbox, Receiver
from tests.integration.test_delivery import mailbox as mailbox
from tests.integration.test_delivery import receiver as receiver

ROLES = ("anonymous", "admin", "EE:focal-point", "EE:analyst", "OBS:observer", "reporter")
SIGNED_ROLES = ("peer", "stranger")  # a pinned peer's signature; an unpinned key's
STREAM = "/api/v1/stream"
STREAM_READ_S = 0.4
EXAMPLES = 8
BODY_EXAMPLES = 16  # for the operations that make endpoints (see _bodies)
STREAM_EXAMPLES = 3
DOCUMENTED_PROBLEMS = frozenset({401, 403, 404, 409, 413, 415, 422, 429})
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_PAGE_ITEMS = 1000  # the largest page of any list: log entries (services/log.py MAX_PAGE)
PROBLEM_JSON = "application/problem+json"
XML = {"content-type": "application/cap+xml"}
URL_SAFE = "abcdefghijklmnopqrstuvwxyz0123456789-._~/?=&%"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, mailbox: tuple[Mailbox, int]) -> Settings:
    """The node under fuzz: no background worker or pulls; e-mail to the loopback sink."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        node_name="test-node",
        worker="off",
        federation_interval=0,
        outbound_allowlist="127.0.0.0/8",
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
    )


class PeerSignature(requests.auth.AuthBase):
    """Signs a prepared ``requests`` request as a node signs its peer requests."""

    def __init__(self, signer: RequestSigner) -> None:
        self._signer = signer

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        body = prepared.body or b""
        content = body.encode() if isinstance(body, str) else bytes(body)  # type: ignore[arg-type]
        request = httpx.Request(
            str(prepared.method), str(prepared.url), headers=dict(prepared.headers), content=content
        )
        self._signer.sign(request)
        for name in ("content-digest", "signature-input", "signature"):
            if name in request.headers:
                prepared.headers[name] = request.headers[name]
        return prepared


def _signer(name: str) -> tuple[str, RequestSigner]:
    """A fresh node key: its verifier key string and a signer for its requests."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = notes.format_verifier_key(name, public)
    return key, RequestSigner(key, private.sign)


@pytest.fixture
def signers(server: LiveServer, region: Region, receiver: Receiver) -> dict[str, RequestSigner]:
    """A peer pinned for LV at the sink's address, and a stranger nobody pinned; and EE's
    subscription to everything, by webhook and e-mail to the sinks, for the fuzzer to find."""
    peer_key, peer = _signer("lv.peer")
    _stranger_key, stranger = _signer("stranger.node")
    with server.client(region.tokens["admin"]) as client:
        answer = client.post(
            "/api/v1/peers", json={"url": receiver.url, "key": peer_key, "participant": "LV"}
        )
        assert answer.status_code == 201, answer.text
    subscription = {
        "name": "Everything",
        "endpoints": [
            {"kind": "webhook", "url": receiver.url},
            {"kind": "email", "address": "duty@ee.example"},
        ],
    }
    with server.client(region.tokens["EE:focal-point"]) as client:
        answer = client.post("/api/v1/subscriptions", json=subscription)
        assert answer.status_code == 201, answer.text
    return {"peer": peer, "stranger": stranger}


@pytest.mark.slow
def test_no_operation_answers_outside_its_documented_limits_for_any_caller(
    node: Node,
    server: LiveServer,
    region: Region,
    receiver: Receiver,
    mailbox: tuple[Mailbox, int],
    signers: dict[str, RequestSigner],
) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 60
    assert {STREAM, "/federation/v1/entries", "/api/v1/subscriptions"} <= {
        op.path for op in operations
    }
    failures: list[str] = []
    for operation in operations:
        for role in ROLES + SIGNED_ROLES:
            token = region.tokens.get(role)
            caller = _Caller(
                base_url=server.url,
                headers={"Authorization": f"Bearer {token}"} if token else {},
                auth=PeerSignature(signers[role]) if role in signers else None,
                sink=receiver.url,
            )
            _fuzz(operation, caller, failures)
    assert not failures, "\n".join(failures[:20])
    _assert_only_the_sinks_are_targets(node, receiver)
    _deliver_once(node, server, receiver, mailbox)


@dataclass(frozen=True)
class _Caller:
    """Who calls, and the sink every fuzzed target is pointed at."""

    base_url: str
    headers: dict[str, str]
    auth: PeerSignature | None
    sink: str


def _fuzz(operation: Any, caller: _Caller, failures: list[str]) -> None:
    is_stream = operation.path == STREAM
    bodies = _bodies(operation.method.upper(), operation.path, caller.sink)

    count = EXAMPLES if bodies is None else BODY_EXAMPLES

    @examples(
        max_examples=STREAM_EXAMPLES if is_stream else count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(),
        body=st.none() if bodies is None else bodies,
        _salt=st.integers(),
    )
    def run(case: schemathesis.Case, body: Any, _salt: int) -> None:
        if body is not None:
            case.body = body
        if isinstance(case.body, dict | list):
            case.body = _confined(case.body, caller.sink)
        extra: dict[str, Any] = {"auth": caller.auth} if caller.auth else {}
        response = case.call(
            base_url=caller.base_url,
            headers=caller.headers,
            timeout=STREAM_READ_S if is_stream else 30,
            **extra,
        )
        label = f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}"
        failures.extend(f"{label}: {p}" for p in _outside_limits(operation, response))

    run()


def _outside_limits(operation: Any, response: Any) -> list[str]:
    """What is wrong with an answer, against what docs/api.md and the schema promise."""
    status = int(response.status_code)
    content = bytes(response.content or b"")
    found: list[str] = []
    if len(content) > MAX_RESPONSE_BYTES:
        found.append(f"a body of {len(content)} bytes")
    if status >= 400:
        found += _problem_faults(status, _content_type(response), content)
    elif str(status) not in operation.responses.status_codes:
        found.append(f"{status} is not among {sorted(operation.responses.status_codes)}")
    elif _content_type(response) == "application/json":
        found += _page_faults(content)
    return found


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type") or response.headers.get("Content-Type") or ""
    text = value[0] if isinstance(value, list) else value
    return str(text).split(";")[0].strip()


def _problem_faults(status: int, content_type: str, content: bytes) -> list[str]:
    if status >= 500:
        return [content[:300].decode("utf-8", "replace")]
    if status not in DOCUMENTED_PROBLEMS:
        return [f"{status} is not a documented problem status"]
    if content_type != PROBLEM_JSON:
        return [f"{content_type!r}, not problem+json"]
    body = json.loads(content)
    if body.get("status") != status or not str(body.get("type", "")).startswith("/problems/"):
        return [f"a problem body that does not match its answer: {content[:300]!r}"]
    return []


def _page_faults(content: bytes) -> list[str]:
    data = json.loads(content) if content else None
    lists = [data] if isinstance(data, list) else []
    if isinstance(data, dict):
        lists += [value for value in data.values() if isinstance(value, list)]
    return [f"a list of {len(items)} items" for items in lists if len(items) > MAX_PAGE_ITEMS]


def _confined(body: Any, sink: str) -> Any:
    """``body`` with every ``url`` member, at any depth, pointing at the sink."""
    if isinstance(body, dict):
        return {k: sink if k == "url" else _confined(v, sink) for k, v in body.items()}
    if isinstance(body, list):
        return [_confined(item, sink) for item in body]
    return body


def _bodies(method: str, path: str, sink: str) -> st.SearchStrategy[Any] | None:
    """For the operations that make endpoints: nearly valid bodies, or ``None`` to keep the
    fuzzer's own, so webhooks and e-mail endpoints really get made. ``None`` for the rest."""
    makers: dict[tuple[str, str], Callable[[str], st.SearchStrategy[Any]]] = {
        ("POST", "/api/v1/subscriptions"): _subscriptions,
        ("POST", "/api/v1/subscriptions/{subscription_id}/endpoints"): _endpoints,
    }
    maker = makers.get((method, path))
    return None if maker is None else st.one_of(st.none(), maker(sink))


def _mostly(
    valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """``valid`` nine times in ten, else ``invalid``: one bad field at a time, mostly."""
    return st.integers(0, 9).flatmap(lambda n: invalid if n == 0 else valid)


def _endpoints(sink: str) -> st.SearchStrategy[dict[str, Any]]:
    options = {
        "format": _mostly(st.sampled_from(["json", "xml"]), st.text(max_size=5)),
        "test": _mostly(st.booleans(), st.integers()),
    }
    paths = st.text(URL_SAFE, max_size=30)
    webhook = st.fixed_dictionaries(
        {"kind": st.just("webhook"), "url": st.builds(lambda tail: f"{sink}/{tail}", paths)},
        optional=options,
    )
    addresses = st.from_regex(r"[a-z0-9.+-]{1,12}@[a-z]{1,10}\.(ee|lv|example)", fullmatch=True)
    email = st.fixed_dictionaries(
        {"kind": st.just("email"), "address": _mostly(addresses, st.text(max_size=40))},
        optional=options,
    )
    junk = st.dictionaries(st.text(max_size=8), st.text(max_size=8))
    return _mostly(webhook | email, junk)


def _subscriptions(sink: str) -> st.SearchStrategy[dict[str, Any]]:
    gulf = {"type": "Polygon", "coordinates": [[[22, 59], [28, 59], [28, 61], [22, 59]]]}
    filters = st.fixed_dictionaries(
        {},
        optional={
            "categories": st.lists(_mostly(st.sampled_from(["Met", "Env"]), st.text())),
            "min_severity": _mostly(st.sampled_from(["Extreme", "Minor"]), st.text()),
            "tlp_ceiling": _mostly(st.sampled_from(["CLEAR", "AMBER", "RED"]), st.text()),
            "exercises": _mostly(st.booleans(), st.integers()),
            "area": _mostly(st.just(gulf), st.dictionaries(st.text(), st.integers())),
        },
    )
    names = _mostly(st.text("abcdefgh ", min_size=1, max_size=40), st.text())
    return st.fixed_dictionaries(
        {"name": names, "endpoints": st.lists(_endpoints(sink), max_size=3)},
        optional={"filter": filters, "agency": st.text(max_size=10)},
    )


def _assert_only_the_sinks_are_targets(node: Node, receiver: Receiver) -> None:
    sink = urlsplit(receiver.url)
    with node.engine.connect() as connection:
        hooks = connection.execute(
            select(endpoints.c.target).where(endpoints.c.kind == "webhook")
        ).scalars()
        peer_urls = connection.execute(select(peers.c.url)).scalars()
        targets = [urlsplit(url) for url in [*hooks, *peer_urls]]
    assert targets  # the fuzzer made webhooks; the peer is pinned
    assert {(t.hostname, t.port) for t in targets} == {(sink.hostname, sink.port)}


def _deliver_once(
    node: Node, server: LiveServer, receiver: Receiver, mailbox: tuple[Mailbox, int]
) -> None:
    """A subscription to everything by webhook and e-mail, one genuine alert, then every
    due delivery sent, to the sinks (the only targets there are). A fresh user: the fuzzer
    may have revoked every token and subscription it was given."""
    node.identity.add_user("fuzz-last", "focal-point", "EE")
    everything = {
        "name": "Everything, after the fuzz",
        "endpoints": [
            {"kind": "webhook", "url": receiver.url},
            {"kind": "email", "address": "after-fuzz@ee.example"},
        ],
    }
    alert = alert_xml("FUZZ-LAST", sender="warnings@ee.example")
    with server.client(node.identity.issue_token("fuzz-last")["token"]) as client:
        made = client.post("/api/v1/subscriptions", json=everything)
        assert made.status_code == 201, made.text
        sent = client.post("/api/v1/alerts", content=alert, headers=XML)
        assert sent.status_code == 201, sent.text
    node.worker.drain()
    assert any(b"FUZZ-LAST" in body for _headers, body in receiver.requests)
    assert any(message["To"] == "after-fuzz@ee.example" for message in mailbox[0].messages)
