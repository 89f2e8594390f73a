"""Seed corpora for the fuzz targets: real material first, then what Accord itself writes.

Mutating real inputs reaches deep code quickly, so every target starts from genuine
documents: CAP alerts and signed-note vectors from ``../shared/reference`` (read in place,
never copied into the repository; absent in a bare clone, when only the built-in seeds are
used) and ``tests/vectors``. Signed material — checkpoints, cosignatures, log entries,
RFC 9421 requests — is made here with fixed keys and a fixed clock, so the fuzzers can
reach the code behind a verifying signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from accord.adapters.federation.signatures import RequestSigner
from accord.domain.agreements.model import SHIPPED
from accord.domain.alerts.cap_json import alert_to_json
from accord.ledger import notes
from accord.ledger.records import Envelope, body_digest, key_id_of, seal
from accord.ledger.signing import SigningKey
from tests.integration.cap_samples import alert_xml
from tests.reference import REFERENCE

MAX_SEED_BYTES = 128 * 1024
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SIGNED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
COSIGNED_AT = int(SIGNED_AT.timestamp())
LOG_NAME = "fuzz.example/log"
WITNESS_NAME = "witness.fuzz.example"
NODE_NAME = "node-a.fuzz.example"


def _key(label: str) -> SigningKey:
    """A fixed key, so a stored corpus keeps verifying from one run to the next."""
    return SigningKey.from_seed(hashlib.sha256(label.encode()).digest())


LOG_KEY = _key("accord fuzz log")
WITNESS_KEY = _key("accord fuzz witness")
NODE_KEY = _key("accord fuzz node")
LOG_VERIFIER = notes.Verifier(LOG_NAME, notes.ED25519, LOG_KEY.public_key.raw)
WITNESS_VERIFIER = notes.Verifier(WITNESS_NAME, notes.COSIGNATURE_V1, WITNESS_KEY.public_key.raw)
NODE_KEY_ID = notes.format_verifier_key(NODE_NAME, NODE_KEY.public_key.raw)


def reference_files(*folders: str) -> list[Path]:
    """Files under the shared reference corpus, small enough to fuzz; [] when it is absent."""
    if not REFERENCE.is_dir():
        return []
    found = (path for folder in folders for path in sorted((REFERENCE / folder).rglob("*")))
    return [p for p in found if p.is_file() and p.stat().st_size <= MAX_SEED_BYTES]


def _small(items: Iterator[bytes] | list[bytes]) -> list[bytes]:
    return [item for item in items if len(item) <= MAX_SEED_BYTES]


@cache
def cap_xml() -> tuple[bytes, ...]:
    """Real alerts, the OASIS examples, edge cases, invalid alerts and CAP feeds."""
    paths = reference_files("cap/real", "cap/oasis/examples", "cap/edge", "cap/invalid")
    built = [alert_xml("FUZZ-1"), alert_xml("FUZZ-2", circle="59.4,24.7 10", polygon=None)]
    return tuple(_small([*built, *(path.read_bytes() for path in paths)]))


@cache
def cap_json() -> tuple[bytes, ...]:
    """MeteoAlarm's JSON warnings, and the JSON form of every XML seed Accord accepts."""
    from accord.adapters.cap_xml import read_cap_xml
    from accord.errors import InvalidInputError

    alerts: list[Any] = []
    for path in reference_files("cap/meteoalarm-json"):
        alerts += [w["alert"] for w in json.loads(path.read_bytes()).get("warnings", [])]
    for document in cap_xml():
        try:
            alerts += [alert_to_json(found.alert) for found in read_cap_xml(document)]
        except InvalidInputError:
            continue
    return tuple(_small(json.dumps(alert).encode() for alert in alerts))


FILINGS: tuple[dict[str, Any], ...] = (
    {
        "kind": "notification",
        "activity_id": "EE-2026-SPRING-STORM",
        "activity": "exercise",
        "start": "2026-05-04T06:00:00+00:00",
        "end": "2026-05-15T18:00:00+03:00",
        "area": "Central Estonia training areas",
        "forces": {"personnel": 9500, "battle_tanks": 40, "artillery": 60},
        "to": ["LV", "LT"],
        "participants": ["FI"],
    },
    {
        "kind": "observation",
        "conducted_by": "LV",
        "activity": "exercise",
        "start": "2026-05-04T06:00:00+00:00",
        "area": "Adazi",
        "forces": {"personnel": 12000},
    },
    {"kind": "request", "request": "inspection", "to": "LV", "about": "EE-2026-1"},
    {"kind": "reply", "request": "0" * 64, "accepted": False, "reason": "quota used"},
    {"kind": "exchange", "exchange": "annual-information", "period": 2026, "to": ["LV"]},
    {"kind": "share", "share": "force-data", "to": ["LT"], "data": {"units": 3}},
    {"kind": "participation", "activity_id": "LV-2026-1", "conducted_by": "LV"},
    {"kind": "renewal", "agreement": "vienna-document-2011", "until": "2030-12-31"},
    {
        "kind": "acceleration",
        "agreement": "regional-ladder",
        "tier": 3,
        "until": "2026-06-01T00:00:00+00:00",
        "reason": "flooding",
    },
)


@cache
def filings() -> tuple[bytes, ...]:
    found = [  # what the fuzzers found crashing ``parse_filing`` (fixed), replayed every run
        {"kind": ["notification"]},
        {"kind": {"notification": 1}},
        {**FILINGS[0], "start": "0001-01-01T00:00:00+01:00"},
        {**FILINGS[8], "until": "9999-12-31T23:59:59-01:00"},
    ]
    return tuple(json.dumps(filing).encode() for filing in [*FILINGS, *found])


@cache
def agreements() -> tuple[bytes, ...]:
    """The shipped agreements, as the YAML an operator loads."""
    folder = resources.files("accord.domain.agreements").joinpath("shipped")
    return tuple(folder.joinpath(name).read_bytes() for name in SHIPPED)


def _reference_notes() -> list[dict[str, Any]]:
    paths = [VECTORS / "signed-note" / "vectors.json"]
    if REFERENCE.is_dir():
        paths.append(REFERENCE / "signed-note" / "vectors.json")
    items: list[dict[str, Any]] = []
    for path in paths:
        if path.is_file():
            items += [item for item in json.loads(path.read_text()) if isinstance(item, dict)]
    return items


@cache
def note_verifiers() -> tuple[notes.Verifier, ...]:
    """The fixed log and witness keys, and every verifier key in the signed-note vectors."""
    texts = {
        text
        for item in _reference_notes()
        for text in [
            item.get("vkey"),
            *item.get("vkeys_type1", []),
            *item.get("vkeys_type4_cosignature", []),
        ]
        if isinstance(text, str)
    }
    return (LOG_VERIFIER, WITNESS_VERIFIER, *sorted(map(notes.parse_verifier_key, texts), key=str))


def _checkpoint_bodies() -> list[str]:
    roots = [hashlib.sha256(str(n).encode()).digest() for n in range(3)]
    return [
        notes.Checkpoint(LOG_NAME, 0, roots[0]).format(),
        notes.Checkpoint(LOG_NAME, 7, roots[1], ("extension line",)).format(),
        notes.Checkpoint(LOG_NAME, notes.MAX_TREE_SIZE, roots[2]).format(),
    ]


def _cosigned(body: str) -> str:
    note = notes.sign_note(body, LOG_NAME, LOG_KEY)
    return note + notes.cosign(body, WITNESS_NAME, WITNESS_KEY, COSIGNED_AT) + "\n"


@cache
def signed_notes() -> tuple[bytes, ...]:
    """The vectors' notes, and checkpoints signed by the log and cosigned by the witness."""
    texts = [item["note"] for item in _reference_notes() if item.get("note", "").endswith("\n")]
    texts += [_cosigned(body) for body in _checkpoint_bodies()]
    return tuple(text.encode() for text in texts)


@cache
def checkpoints() -> tuple[bytes, ...]:
    bodies = _checkpoint_bodies()
    return tuple(text.encode() for text in [*bodies, *(_cosigned(body) for body in bodies)])


@cache
def cosignatures() -> tuple[bytes, ...]:
    """``line\\nbody``: a witness's cosignature line, then the checkpoint it signs."""
    lines = [
        notes.cosign(body, WITNESS_NAME, WITNESS_KEY, when) + "\n" + body
        for body in _checkpoint_bodies()
        for when in (0, COSIGNED_AT, notes.MAX_TIMESTAMP)
    ]
    return tuple(line.encode() for line in lines)


@cache
def verifier_keys() -> tuple[bytes, ...]:
    texts = [item.get("vkey", "") for item in _reference_notes()] + [
        item.get("skey", "") for item in _reference_notes()
    ]
    texts += [
        notes.format_verifier_key(LOG_NAME, LOG_KEY.public_key.raw),
        notes.format_verifier_key(WITNESS_NAME, WITNESS_KEY.public_key.raw, notes.COSIGNATURE_V1),
        notes.format_signer_key(NODE_NAME, NODE_KEY),
    ]
    return tuple(text.encode() for text in texts if text)


def _envelope(seq: int, kind: str, scope: dict[str, Any], body: object) -> Envelope:
    return Envelope(
        kind=kind,
        author="EE",
        seq=seq,
        created_at=SIGNED_AT,
        scope=scope,
        body_digest=body_digest(body),
        salt=base64.b64encode(bytes(16)).decode(),
        key_id=key_id_of(NODE_KEY.public_key.raw),
    )


@cache
def log_entries() -> tuple[bytes, ...]:
    envelopes = [
        _envelope(1, "alert", {"tlp": "CLEAR"}, {"identifier": "EE-1"}),
        _envelope(2, "filing.notification", {"tlp": "GREEN", "audience": ["LV"]}, {"k": "é"}),
        _envelope(2**53 - 1, "key.rotation", {"tlp": "AMBER+STRICT"}, {"public_key": "AA=="}),
    ]
    envelopes.append(replace(envelopes[0], version=2))  # entries written before v3 stay valid
    entries = [seal(envelope, NODE_KEY.sign).entry for envelope in envelopes]
    return (*entries, *_found_entries(entries[0]))


def _found_entries(entry: bytes) -> list[bytes]:
    """Entries the fuzzers found crashing ``open_entry`` (fixed), replayed on every run."""
    changes = [
        ("author", "E\ud800"),
        ("seq", float("inf")),
        ("scope", {"tlp": float("inf")}),
        ("created_at", "0001-01-01T00:00:00.000000+01:00"),
    ]
    found = [b"[" * 2000]
    for field, value in changes:
        hostile = json.loads(entry)
        hostile["envelope"][field] = value
        found.append(json.dumps(hostile).encode())
    return found


def wire_request(request: httpx.Request) -> bytes:
    """A request as the request-signature target reads it: request line, headers, body."""
    head = [f"{request.method} {request.url.raw_path.decode('ascii')}".encode()]
    head += [name + b": " + value for name, value in request.headers.raw]
    return b"\n".join(head) + b"\n\n" + request.content


@cache
def signed_requests() -> tuple[bytes, ...]:
    """Requests a peer signs: a GET with a query, a POST with a body, an odd path."""
    signer = RequestSigner(NODE_KEY_ID, NODE_KEY.sign, clock=lambda: SIGNED_AT)
    requests = [
        httpx.Request("GET", "https://node-b.fuzz.example/federation/v1/entries?start=0&end=9"),
        httpx.Request("POST", "https://node-b.fuzz.example/log/cosign", content=b"\xe2\x80\x94 w"),
        httpx.Request("GET", "https://node-b.fuzz.example:8443/a%2Fb/%C3%A9?x=%20"),
    ]
    for request in requests:
        signer.sign(request)
    return tuple(wire_request(request) for request in requests)


@cache
def cursors() -> tuple[bytes, ...]:
    from accord.entrypoints.api.alert_query import encode_cursor

    return tuple(encode_cursor(n).encode() for n in (1, 41, 2**31, 2**63 - 1))
