"""C2SP signed notes, tlog checkpoints and cosignature/v1, with Ed25519 keys.

A signed note is text, a blank line, and signature lines ``— <name> <base64(keyID ‖ sig)>``.
A key ID is the first 4 bytes of SHA-256(name ‖ "\\n" ‖ type ‖ public key): type 0x01 for
note signers (the log), 0x04 for cosignature/v1 witnesses, whose signatures also carry the
time they were made. Opening a note fails closed: a signature by a known key that does not
verify is an error, and so is a note no known key signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from accord.errors import VerificationError
from accord.ledger.signing import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, verify

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
_DASH = "\u2014 "
_NAME = re.compile(r"^[^\s+]+$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class Verifier:
    name: str
    key_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()[
        :4
    ]


def format_verifier_key(name: str, public_key: bytes, key_type: int = ED25519) -> str:
    encoded = base64.b64encode(bytes([key_type]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, key_type, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str) -> Verifier:
    """``name+hexkeyid+base64(type ‖ key)``; the key ID must match what the rest implies."""
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    if not _NAME.match(name) or len(hex_id) != 8:
        raise VerificationError(f"malformed verifier key {text!r}")
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"malformed verifier key {text!r}") from exc
    if len(raw) != 1 + PUBLIC_KEY_BYTES or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise VerificationError("only Ed25519 (0x01) and cosignature/v1 (0x04) keys are known")
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.key_id != claimed:
        raise VerificationError("the verifier key's ID does not match its name and key")
    return verifier


def sign_note(text: str, name: str, sign: Callable[[bytes], bytes], public_key: bytes) -> str:
    _check_text(text)
    _check_name(name)
    signature = sign(text.encode("utf-8"))
    payload = key_id(name, ED25519, public_key) + signature
    return f"{text}\n{_DASH}{name} {base64.b64encode(payload).decode('ascii')}\n"


def note_text(note: str) -> str:
    """The signed text of a note (everything before the blank line that ends it)."""
    text, _, _ = _split(note)
    return text


def signature_lines(note: str) -> list[str]:
    _, _, lines = _split(note)
    return lines


def line_key_id(line: str) -> bytes:
    _, payload = _parse_line(line)
    return payload[:4]


def open_note(note: str, verifiers: Sequence[Verifier]) -> str:
    """The text of ``note`` if one of ``verifiers`` (type 0x01) signed it; raises otherwise."""
    text, _, lines = _split(note)
    known = {(v.name, v.key_id): v for v in verifiers if v.key_type == ED25519}
    verified = 0
    for line in lines:
        name, payload = _parse_line(line)
        verifier = known.get((name, payload[:4]))
        if verifier is None:
            continue
        if len(payload) != 4 + SIGNATURE_BYTES:
            raise VerificationError(f"malformed signature by {name}")
        verify(verifier.public_key, text.encode("utf-8"), payload[4:])
        verified += 1
    if not verified:
        raise VerificationError("no known key signed this note")
    return text


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(
    body: str, name: str, sign: Callable[[bytes], bytes], public_key: bytes, timestamp: int
) -> str:
    """A witness's signature line over a checkpoint body (C2SP tlog-cosignature)."""
    _check_name(name)
    signature = sign(cosignature_message(body, timestamp))
    payload = key_id(name, COSIGNATURE_V1, public_key) + timestamp.to_bytes(8, "big") + signature
    return f"{_DASH}{name} {base64.b64encode(payload).decode('ascii')}"


def verify_cosignature(body: str, line: str, witness: Verifier) -> int:
    """The time a witness cosigned ``body``; raises unless ``line`` is its valid signature."""
    name, payload = _parse_line(line)
    if witness.key_type != COSIGNATURE_V1 or name != witness.name:
        raise VerificationError(f"the line is not a cosignature by {witness.name}")
    if len(payload) != 4 + 8 + SIGNATURE_BYTES or payload[:4] != witness.key_id:
        raise VerificationError(f"malformed cosignature by {witness.name}")
    timestamp = int.from_bytes(payload[4:12], "big")
    verify(witness.public_key, cosignature_message(body, timestamp), payload[12:])
    return timestamp


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """C2SP tlog-checkpoint: origin, tree size, root hash, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def format(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise VerificationError("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not lines[0] or not _DECIMAL.match(lines[1]):
            raise VerificationError("a checkpoint is origin, decimal size and root hash lines")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except binascii.Error as exc:
            raise VerificationError("the checkpoint's root hash is not base64") from exc
        if len(root) != 32 or any(not line for line in lines[3:]):
            raise VerificationError("the checkpoint's root is not 32 bytes, or a line is empty")
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))


def _split(note: str) -> tuple[str, str, list[str]]:
    if not note.endswith("\n"):
        raise VerificationError("a signed note ends with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerificationError("a signed note has a blank line before its signatures")
    text, signatures = note[: cut + 1], note[cut + 2 :]
    _check_text(text)
    lines = signatures[:-1].split("\n") if signatures else []
    if not lines or len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"a signed note has 1 to {MAX_SIGNATURES} signatures")
    for line in lines:
        _parse_line(line)
    return text, signatures, lines


def _parse_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(_DASH):
        raise VerificationError("a signature line starts with an em dash and a space")
    name, _, encoded = line[len(_DASH) :].partition(" ")
    _check_name(name)
    try:
        payload = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise VerificationError(f"the signature by {name} is not base64") from exc
    if len(payload) < 5:
        raise VerificationError(f"the signature by {name} is too short")
    return name, payload


def _check_text(text: str) -> None:
    if not text.endswith("\n") or any(c < " " and c != "\n" for c in text):
        raise VerificationError("note text ends with a newline and has no control characters")


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise VerificationError(f"a key name has no spaces or '+': {name!r}")
