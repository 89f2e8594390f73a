"""Records: signed statements as canonical envelopes, named by the hash of their log entry.

An envelope commits to its body by digest and carries a random 128-bit salt, so it can be
shown to anyone — and committed to the public log — without revealing content or letting a
reader confirm a guessed body. The log entry is the canonical JSON of the envelope and its
Ed25519 signature; the record id is SHA-256 of that entry.

Version 3 envelopes also commit to the bytes as they were received (``original_sha256``:
the CAP XML as sent, say), so whatever a node serves as "the record" is signed, and an
auditor names a changed byte. Version 2 entries, written before, stay valid as they are.
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

ENVELOPE_VERSION = 3
# The signing scheme, not the envelope's shape: the envelope's own "v" is signed with it.
SIGNING_PREFIX = b"accord/record/v2\n"
SALT_BYTES = 16
_V2_KEYS = frozenset(
    {"v", "kind", "author", "seq", "created_at", "scope", "body_sha256", "salt", "key"}
)
_ENVELOPE_KEYS = {2: _V2_KEYS, 3: _V2_KEYS | {"original_sha256"}}


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
    # SHA-256 of the bytes as received (v3); unset means the canonical body is the original.
    original_digest: str | None = None
    version: int = ENVELOPE_VERSION

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "v": self.version,
            "kind": self.kind,
            "author": self.author,
            "seq": self.seq,
            "created_at": self.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "scope": self.scope,
            "body_sha256": self.body_digest,
            "salt": self.salt,
            "key": self.key_id,
        }
        if self.version >= 3:
            shown["original_sha256"] = self.original_digest or self.body_digest
        return shown

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


# What parsing and re-sealing hostile bytes raises (UnicodeError and rfc8785's errors are
# ValueErrors); RecursionError is deep nesting, which json.loads meets before any check.
_MALFORMED = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    RecursionError,
    binascii.Error,
)


def open_entry(entry: bytes) -> SignedRecord:
    """Parse a log entry strictly: canonical bytes, known fields, well-formed values."""
    try:
        outer = json.loads(entry)
        inner = outer["envelope"]
        signature = base64.b64decode(outer["signature"], validate=True)
        version = inner.get("v")
        if version not in _ENVELOPE_KEYS:
            raise ValueError(f"unknown envelope version {version!r}")
        if set(outer) != {"envelope", "signature"} or set(inner) != _ENVELOPE_KEYS[version]:
            raise ValueError("unexpected fields")
        original = inner.get("original_sha256")
        if version >= 3 and not _is_digest(original):
            raise ValueError("original_sha256 is not a SHA-256 digest")
        envelope = Envelope(
            kind=str(inner["kind"]),
            author=str(inner["author"]),
            seq=int(inner["seq"]),
            created_at=datetime.fromisoformat(inner["created_at"]),
            scope=dict(inner["scope"]),
            body_digest=str(inner["body_sha256"]),
            salt=str(inner["salt"]),
            key_id=str(inner["key"]),
            original_digest=original if original != inner["body_sha256"] else None,
            version=version,
        )
        # Re-sealing can fail too: a lone surrogate or an infinite number is not canonical
        # JSON, a year-1 time with a positive offset has no UTC form.
        record = seal(envelope, lambda _message: signature)
    except _MALFORMED as exc:
        raise VerificationError(f"malformed log entry: {exc}") from exc
    if record.entry != entry:
        raise VerificationError("log entry is not in canonical form")
    return record


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in _HEX for c in value)


_HEX = frozenset("0123456789abcdef")


def original_matches(record: SignedRecord, original: bytes) -> bool | None:
    """Whether ``original`` are the bytes the record's author signed as received; None for
    a version 2 record, which committed to its body only."""
    if record.envelope.version < 3:
        return None
    expected = record.envelope.original_digest or record.envelope.body_digest
    return hashlib.sha256(original).hexdigest() == expected


def signed_original(entry: bytes | None, original: bytes) -> bool:
    """Whether a version 3 ``entry`` commits to ``original``: what a node checks before it
    serves stored bytes as "the record", so bytes changed outside the log are never served.

    Cheap enough for every read: a canonical entry holds ``"original_sha256":"<hex>"``
    once, and a quote inside any string value is escaped, so no other field can forge
    the match. Whether the entry itself is the logged one is the audit's question.
    """
    if entry is None:
        return False
    needle = b'"original_sha256":"' + hashlib.sha256(original).hexdigest().encode() + b'"'
    return needle in entry


def verify_record(
    record: SignedRecord, verify: Callable[[bytes, bytes, bytes], None], public_key: bytes
) -> None:
    """Check the signature with the author's key; ``verify`` raises VerificationError."""
    if key_id_of(public_key) != record.envelope.key_id:
        raise VerificationError("the record names a different signing key")
    verify(public_key, SIGNING_PREFIX + record.envelope_bytes(), record.signature)
