"""C2SP signed notes, tlog checkpoints and cosignature/v1, with Ed25519 keys.

A signed note is text ending in a newline, a blank line, then signature lines
``— <name> <base64(keyID ‖ sig)>`` (c2sp.org/signed-note). A key ID is the first 4 bytes of
SHA-256(name ‖ "\\n" ‖ type ‖ public key): type 0x01 for note signers (the log), 0x04 for
cosignature/v1 witnesses, whose signatures also carry the time they were made
(c2sp.org/tlog-cosignature). A checkpoint is the note text a log signs: origin, tree size,
root hash and optional extension lines (c2sp.org/tlog-checkpoint).

Everything fails closed with VerificationError: a malformed note, a signature by a known key
that does not verify, and a note that no known key signed. Signatures by unknown keys are
ignored, as the spec requires. Two choices are stricter than Go's ``sumdb/note``: base64
must be canonical (a note has one spelling), and a repeated signature by a known key is
verified too rather than skipped.

Signing takes a ``SigningKey``, or a sign function with its public key for keys that never
leave the keystore.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

from accord.errors import InvalidInputError, Problem, VerificationError
from accord.ledger.signing import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SigningKey, check_public_key
from accord.ledger.signing import verify as verify_ed25519

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
KEY_ID_BYTES = 4
TIMESTAMP_BYTES = 8
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16; Go stops at 100
MAX_TIMESTAMP = 2**63 - 1
MAX_TREE_SIZE = 2**64 - 1
ROOT_HASH_BYTES = 32

SignFunction = Callable[[bytes], bytes]

_DASH = "\u2014 "
_SIGNER_PREFIX = "PRIVATE+KEY+"
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True, slots=True)
class Verifier:
    """A trusted key: its name, signature type (0x01 or 0x04) and Ed25519 public key."""

    name: str
    key_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.key_type not in (ED25519, COSIGNATURE_V1):
            raise VerificationError("only Ed25519 (0x01) and cosignature/v1 (0x04) keys are known")
        check_public_key(self.public_key)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """A signature line that verified; ``timestamp`` is set for cosignature/v1 only."""

    name: str
    key_id: bytes
    key_type: int
    signature: bytes
    timestamp: int | None = None


class OpenedNote(NamedTuple):
    text: str
    signatures: tuple[NoteSignature, ...]


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """SHA-256(name ‖ "\\n" ‖ type ‖ public key), first 4 bytes."""
    material = name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_BYTES]


def format_verifier_key(name: str, public_key: bytes, key_type: int = ED25519) -> str:
    """``name+hexkeyid+base64(type ‖ key)``, the string operators pin."""
    verifier = Verifier(name, key_type, public_key)
    encoded = base64.b64encode(bytes([key_type]) + public_key).decode("ascii")
    return f"{name}+{verifier.key_id.hex()}+{encoded}"


def parse_verifier_key(text: str) -> Verifier:
    """``name+hexkeyid+base64(type ‖ key)``; the key ID must match what the rest implies."""
    name, claimed, raw = _split_key_string(text, "the verifier key")
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.key_id != claimed:
        raise VerificationError("the verifier key's ID does not match its name and key")
    return verifier


def format_signer_key(name: str, key: SigningKey) -> str:
    """Go's private note key form, ``PRIVATE+KEY+name+hexkeyid+base64(0x01 ‖ seed)``."""
    verifier = Verifier(name, ED25519, key.public_key.raw)
    encoded = base64.b64encode(bytes([ED25519]) + key.seed()).decode("ascii")
    return f"{_SIGNER_PREFIX}{name}+{verifier.key_id.hex()}+{encoded}"


def parse_signer_key(text: str) -> tuple[str, SigningKey]:
    """The name and key in a ``PRIVATE+KEY+…`` string; errors never quote the secret."""
    try:
        if not text.strip().startswith(_SIGNER_PREFIX):
            raise VerificationError("a note signer key starts with PRIVATE+KEY+")
        rest = text.strip().removeprefix(_SIGNER_PREFIX)
        name, claimed, raw = _split_key_string(rest, "the signer key")
        key = SigningKey.from_seed(raw[1:])
        if raw[0] != ED25519 or Verifier(name, ED25519, key.public_key.raw).key_id != claimed:
            raise VerificationError("the signer key's type or ID does not match its name and key")
    except VerificationError as exc:
        raise InvalidInputError(str(exc), [Problem("key", "MALFORMED_KEY", str(exc))]) from exc
    return name, key


def _split_key_string(text: str, what: str) -> tuple[str, bytes, bytes]:
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    _check_name(name)
    if not _HEX_ID.fullmatch(hex_id):
        raise VerificationError(f"{what} is not name+hexkeyid+base64")
    raw = _decode_base64(encoded, what)
    if len(raw) != 1 + PUBLIC_KEY_BYTES:
        raise VerificationError(f"{what} holds a type byte and 32 Ed25519 key bytes")
    return name, bytes.fromhex(hex_id), raw


@overload
def sign_note(text: str, name: str, key: SigningKey) -> str: ...
@overload
def sign_note(text: str, name: str, key: SignFunction, public_key: bytes) -> str: ...
def sign_note(
    text: str, name: str, key: SigningKey | SignFunction, public_key: bytes | None = None
) -> str:
    """``text`` signed by ``name``'s Ed25519 key as a one-signature note."""
    sign, public = _signer(key, public_key)
    _check_characters(text, "note text")
    if not text.endswith("\n"):
        raise VerificationError("note text ends with a newline")
    payload = key_id(name, ED25519, public) + sign(text.encode("utf-8"))
    return f"{text}\n{_signature_line(name, payload)}\n"


def verify_note(note: str, verifiers: Iterable[Verifier]) -> OpenedNote:
    """The text and the verified signatures of ``note``; raises unless a known key signed it.

    Every signature by a known key (name and key ID both match) must verify. Verifiers of
    type 0x04 check cosignature/v1 lines, whose text must then be a checkpoint.
    """
    text, lines = _split(note)
    known = _index(verifiers)
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    for line in lines:
        name, payload = _parse_line(line)
        verifier = known.get((name, payload[:KEY_ID_BYTES]))
        if verifier is not None:
            signature = _verify_payload(text, verifier, payload)
            verified.setdefault((name, signature.key_id), signature)
    if not verified:
        raise VerificationError("no known key signed this note")
    return OpenedNote(text, tuple(verified.values()))


def open_note(note: str, verifiers: Sequence[Verifier]) -> str:
    """The text of ``note`` if a known key signed it (``verify_note`` without signatures)."""
    return verify_note(note, verifiers).text


def note_text(note: str) -> str:
    """The signed text of a well-formed note (everything before its last blank line)."""
    text, _ = _split(note)
    return text


def signature_lines(note: str) -> list[str]:
    _, lines = _split(note)
    return lines


def line_key_id(line: str) -> bytes:
    _, payload = _parse_line(line)
    return payload[:KEY_ID_BYTES]


def _signer(key: SigningKey | SignFunction, public_key: bytes | None) -> tuple[SignFunction, bytes]:
    if isinstance(key, SigningKey):
        public = key.public_key.raw
        if public_key is not None and public_key != public:
            raise ValueError("the public key given is not the signing key's")
        return key.sign, public
    if public_key is None:
        raise TypeError("a sign function needs its public key")
    return key, public_key


def _index(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        if known.setdefault(slot, verifier) != verifier:
            raise VerificationError(f"two verifier keys share {verifier.name}+{slot[1].hex()}")
    return known


def _verify_payload(text: str, verifier: Verifier, payload: bytes) -> NoteSignature:
    who = f"{verifier.name}+{verifier.key_id.hex()}"
    if verifier.key_type == COSIGNATURE_V1:
        timestamp, signature = _open_cosignature(text, verifier, payload)
        return NoteSignature(verifier.name, verifier.key_id, COSIGNATURE_V1, signature, timestamp)
    if len(payload) != KEY_ID_BYTES + SIGNATURE_BYTES:
        raise VerificationError(f"the signature by {who} is not an Ed25519 signature")
    try:
        verify_ed25519(verifier.public_key, text.encode("utf-8"), payload[KEY_ID_BYTES:])
    except VerificationError as exc:
        raise VerificationError(f"the signature by {who} does not verify") from exc
    return NoteSignature(verifier.name, verifier.key_id, ED25519, payload[KEY_ID_BYTES:])


def _split(note: str) -> tuple[str, list[str]]:
    _check_characters(note, "a signed note")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerificationError("a signed note has a blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block.endswith("\n"):
        raise VerificationError("a signed note ends with a signature line and its newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"a signed note has at most {MAX_SIGNATURES} signatures")
    for line in lines:
        _parse_line(line)
    return text, lines


def _parse_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(_DASH):
        raise VerificationError("a signature line starts with an em dash (U+2014) and a space")
    name, _, encoded = line[len(_DASH) :].partition(" ")
    _check_name(name)
    payload = _decode_base64(encoded, f"the signature by {name}")
    if len(payload) <= KEY_ID_BYTES:
        raise VerificationError(f"the signature by {name} is too short")
    return name, payload


def _signature_line(name: str, payload: bytes) -> str:
    _check_name(name)
    return f"{_DASH}{name} {base64.b64encode(payload).decode('ascii')}"


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: a header line, a time line, then the checkpoint body."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@overload
def cosign(body: str, name: str, key: SigningKey, timestamp: int, /) -> str: ...
@overload
def cosign(
    body: str, name: str, key: SignFunction, public_key: bytes, timestamp: int, /
) -> str: ...
def cosign(
    body: str,
    name: str,
    key: SigningKey | SignFunction,
    public_key_or_timestamp: bytes | int,
    timestamp: int | None = None,
    /,
) -> str:
    """A witness's signature line over a checkpoint body, without its final newline."""
    sign, public, when = _cosigner(key, public_key_or_timestamp, timestamp)
    Checkpoint.parse(body)
    if not 0 <= when <= MAX_TIMESTAMP:
        raise VerificationError("a cosignature's time is between 0 and 2^63 - 1")
    signature = sign(cosignature_message(body, when))
    prefix = key_id(name, COSIGNATURE_V1, public) + when.to_bytes(TIMESTAMP_BYTES, "big")
    return _signature_line(name, prefix + signature)


def verify_cosignature(body: str, line: str, witness: Verifier) -> int:
    """The time ``witness`` cosigned ``body``; raises unless ``line`` is its valid signature."""
    name, payload = _parse_line(line.removesuffix("\n"))
    if witness.key_type != COSIGNATURE_V1 or name != witness.name:
        raise VerificationError(f"the line is not a cosignature by {witness.name}")
    if payload[:KEY_ID_BYTES] != witness.key_id:
        raise VerificationError(f"the line's key ID is not {witness.name}'s")
    timestamp, _ = _open_cosignature(body, witness, payload)
    return timestamp


def _cosigner(
    key: SigningKey | SignFunction, second: bytes | int, third: int | None
) -> tuple[SignFunction, bytes, int]:
    if isinstance(key, SigningKey) and isinstance(second, int) and third is None:
        return key.sign, key.public_key.raw, second
    if not isinstance(key, SigningKey) and isinstance(second, bytes) and third is not None:
        return key, second, third
    raise TypeError("cosign(body, name, SigningKey, timestamp) or (…, sign, public_key, time)")


def _open_cosignature(body: str, witness: Verifier, payload: bytes) -> tuple[int, bytes]:
    who = f"{witness.name}+{witness.key_id.hex()}"
    if len(payload) != KEY_ID_BYTES + TIMESTAMP_BYTES + SIGNATURE_BYTES:
        raise VerificationError(f"the cosignature by {who} is not 76 bytes")
    timestamp = int.from_bytes(payload[KEY_ID_BYTES : KEY_ID_BYTES + TIMESTAMP_BYTES], "big")
    signature = payload[KEY_ID_BYTES + TIMESTAMP_BYTES :]
    if timestamp > MAX_TIMESTAMP:
        raise VerificationError(f"the cosignature by {who} has a time past 2^63 - 1")
    Checkpoint.parse(body)
    try:
        verify_ed25519(witness.public_key, cosignature_message(body, timestamp), signature)
    except VerificationError as exc:
        raise VerificationError(f"the cosignature by {who} does not verify") from exc
    return timestamp, signature


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """C2SP tlog-checkpoint: origin, tree size, root hash, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for line in (self.origin, *self.extensions):
            _check_characters(line, "a checkpoint line")
            if not line or "\n" in line:
                raise VerificationError("checkpoint lines are non-empty and hold no newline")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise VerificationError("a checkpoint's tree size is between 0 and 2^64 - 1")
        if len(self.root_hash) != ROOT_HASH_BYTES:
            raise VerificationError("a checkpoint's root hash is 32 bytes")

    def format(self) -> str:
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Strictly: every line non-empty, size without leading zeros, a 32-byte root."""
        _check_characters(text, "a checkpoint")
        if not text.endswith("\n"):
            raise VerificationError("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("a checkpoint has origin, tree size and root hash lines")
        origin, size, root, *extensions = lines
        if not _DECIMAL.fullmatch(size):
            raise VerificationError(f"a checkpoint's tree size is plain decimal, not {size!r}")
        root_hash = _decode_base64(root, "the checkpoint's root hash")
        return cls(origin, int(size), root_hash, tuple(extensions))


def _decode_base64(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4) in its one canonical spelling."""
    if not text:
        raise VerificationError(f"{what} is missing")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw


def _check_characters(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise VerificationError(f"{what} is not valid UTF-8") from exc
    if _CONTROL.search(text):
        raise VerificationError(f"{what} has a control character other than newline")


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise VerificationError(f"a key name is non-empty, without spaces or '+': {name!r}")
    _check_characters(name, "a key name")
