"""Records: the statements a node keeps, as canonical envelopes named by their hash.

An envelope commits to the body by digest, not by value, so the envelope (and later the
log) can be shown to readers outside the record's scope without revealing its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.ledger.canonical import canonical_json, sha256_hex

ENVELOPE_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    kind: str
    author: str
    seq: int
    created_at: datetime
    scope: dict[str, Any]
    body_digest: str

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ENVELOPE_VERSION,
            "kind": self.kind,
            "author": self.author,
            "seq": self.seq,
            "created_at": self.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "scope": self.scope,
            "body_sha256": self.body_digest,
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @property
    def record_id(self) -> str:
        """The record's name: SHA-256 of its canonical envelope."""
        return sha256_hex(self.canonical_bytes())


def body_digest(body: object) -> str:
    return sha256_hex(canonical_json(body))
