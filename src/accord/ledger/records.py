"""Records: signed statements as canonical envelopes, named by the hash of their log entry.

An envelope commits to its body by digest and carries a random 128-bit salt, so it can be
shown to anyone — and committed to the public log — without revealing content or letting a
reader confirm a guessed body. The log entry is the canonical JSON of the envelope and its
Ed25519 signature; the record id is SHA-256 of that entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.errors import VerificationError
from accord.ledger.canonical import canonical_json, sha256_hex

ENVELOPE_VERSION = 2
SIGNING_PREFIX = b"accord/record/v2\n"
SALT_BYTES = 16
_ENVELOPE_KEYS = frozenset(
    {"v", "kind", "author", "seq", "created_at", "scope", "body_sha256", "salt", "key"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    kind: str
    author: str
    seq: int
    created_at: datetime
    scope: dict[str, Any]
    body_digest: str
    salt: str  # base64 of SALT_BYTES random bytes
    key_id: str  # key_id_of(the author's public key)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ENVELOPE_VERSION,
            "kind": self.kind,
            "author": self.author,
            "seq": self.seq,
            "created_at": self.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "scope": self.scope,
            "body_sha256": self.body_digest,
            "salt": self.salt,
            "key": self.key_id,
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    def signing_bytes(self) -> bytes:
        """What the author signs: the canonical envelope, domain-separated."""
        return SIGNING_PREFIX + self.canonical_bytes()


@dataclass(frozen=True, slots=True)
class SignedRecord:
    envelope: Envelope
    signature: bytes
    entry: bytes  # canonical JSON of envelope + signature: the log entry

    @property
    def record_id(self) -> str:
        return sha256_hex(self.entry)

    def envelope_bytes(self) -> bytes:
        """The canonical envelope, cut from the entry ``seal`` assembled around it: the
        same bytes as ``envelope.canonical_bytes()`` without serialising again."""
        encoded = 4 * -(-len(self.signature) // 3)  # base64 length of the signature
        return self.entry[len(_ENTRY_HEAD) : -(len(_SIGNATURE_HEAD) + encoded + len(_ENTRY_TAIL))]


_ENTRY_HEAD = b'{"envelope":'
_SIGNATURE_HEAD = b',"signature":"'
_ENTRY_TAIL = b'"}'


def new_salt() -> str:
    return base64.b64encode(secrets.token_bytes(SALT_BYTES)).decode("ascii")


def key_id_of(public_key: bytes) -> str:
    """How envelopes name the key that signed them."""
    return hashlib.sha256(public_key).hexdigest()


def body_digest(body: object) -> str:
    return sha256_hex(canonical_json(body))


def seal(envelope: Envelope, sign: Callable[[bytes], bytes]) -> SignedRecord:
    canonical = envelope.canonical_bytes()
    signature = sign(SIGNING_PREFIX + canonical)
    # The canonical form of {"envelope": …, "signature": …}, assembled from the canonical
    # envelope rather than serialised twice ("envelope" sorts before "signature"; base64
    # needs no escaping). A test holds it to canonical_json of the same object.
    entry = _ENTRY_HEAD + canonical + _SIGNATURE_HEAD + base64.b64encode(signature) + _ENTRY_TAIL
    return SignedRecord(envelope, signature, entry)


def open_entry(entry: bytes) -> SignedRecord:
    """Parse a log entry strictly: canonical bytes, known fields, well-formed values."""
    try:
        outer = json.loads(entry)
        inner = outer["envelope"]
        signature = base64.b64decode(outer["signature"], validate=True)
        if set(outer) != {"envelope", "signature"} or set(inner) != _ENVELOPE_KEYS:
            raise ValueError("unexpected fields")
        if inner["v"] != ENVELOPE_VERSION:
            raise ValueError(f"unknown envelope version {inner['v']!r}")
        envelope = Envelope(
            kind=str(inner["kind"]),
            author=str(inner["author"]),
            seq=int(inner["seq"]),
            created_at=datetime.fromisoformat(inner["created_at"]),
            scope=dict(inner["scope"]),
            body_digest=str(inner["body_sha256"]),
            salt=str(inner["salt"]),
            key_id=str(inner["key"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise VerificationError(f"malformed log entry: {exc}") from exc
    record = seal(envelope, lambda _message: signature)
    if record.entry != entry:
        raise VerificationError("log entry is not in canonical form")
    return record


def verify_record(
    record: SignedRecord, verify: Callable[[bytes, bytes, bytes], None], public_key: bytes
) -> None:
    """Check the signature with the author's key; ``verify`` raises VerificationError."""
    if key_id_of(public_key) != record.envelope.key_id:
        raise VerificationError("the record names a different signing key")
    verify(public_key, SIGNING_PREFIX + record.envelope_bytes(), record.signature)
