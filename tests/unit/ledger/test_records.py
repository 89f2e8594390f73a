"""Opening log entries a peer serves: anything that is not a canonical entry is refused with
VerificationError, never another exception that would stop a pull or an audit midway."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.errors import VerificationError
from accord.ledger.audit import EntryAudit, ServedEntry
from accord.ledger.merkle import leaf_hash
from accord.ledger.records import Envelope, body_digest, key_id_of, open_entry, seal
from accord.ledger.signing import SigningKey

KEY = SigningKey.from_seed(bytes(range(32)))


def _entry() -> dict[str, Any]:
    envelope = Envelope(
        kind="alert",
        author="EE",
        seq=1,
        created_at=datetime(2026, 1, 15, 12, tzinfo=UTC),
        scope={"tlp": "CLEAR"},
        body_digest=body_digest({"identifier": "EE-1"}),
        salt=base64.b64encode(bytes(16)).decode(),
        key_id=key_id_of(KEY.public_key.raw),
    )
    parsed: dict[str, Any] = json.loads(seal(envelope, KEY.sign).entry)
    return parsed


def _hostile(field: str, value: object) -> bytes:
    entry = _entry()
    entry["envelope"][field] = value
    return json.dumps(entry).encode()  # lone surrogates as \ud800, infinity as Infinity


HOSTILE = {
    "a lone surrogate": _hostile("author", "E\ud800"),
    "an infinite sequence number": _hostile("seq", float("inf")),
    "an infinite number in the scope": _hostile("scope", {"tlp": float("inf")}),
    "a year-1 time ahead of UTC": _hostile("created_at", "0001-01-01T00:00:00.000000+01:00"),
    "nesting past the recursion limit": b"[" * 100_000,
}


@pytest.mark.parametrize("entry", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_entry_that_cannot_be_canonical_is_refused_as_malformed(entry: bytes) -> None:
    with pytest.raises(VerificationError, match="malformed log entry"):
        open_entry(entry)


def test_an_auditor_reports_a_hostile_entry_a_peer_serves_and_goes_on() -> None:
    entry = HOSTILE["a lone surrogate"]
    served = ServedEntry(0, leaf_hash(entry), entry, None)
    audit = EntryAudit()

    audit.vouch([served])
    assert audit.served_as_logged(served) is None
    assert audit.check(served) is None
    assert [finding.code for finding in audit.findings] == ["MALFORMED_ENTRY"]
