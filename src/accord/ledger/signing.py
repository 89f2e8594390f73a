"""Ed25519, the one signature scheme of Accord's records, checkpoints and cosignatures.

Verification everywhere goes through ``verify`` here, backed by the ``cryptography``
package, so every node, auditor and witness agrees on which signatures are valid.

``SigningKey`` holds a private key and reads and writes the two file forms the ``accord key``
commands use: a base64 seed on one line (what the keystore writes) or a PKCS #8 PEM block.
Its repr never shows the seed. ``VerifierKey`` is a public key that has passed
``check_public_key``.

Public keys are checked at registration: exactly 32 bytes, a canonical encoding of a point
on the curve, and not of small order. Libraries disagree on signatures by small-order
keys, and the holder of one can make a single signature verify for many messages. The
fourteen encodings of the eight small-order points are listed below; each is also caught by
decoding the point and checking that eight times it is not the identity.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from accord.errors import InvalidInputError, Problem, VerificationError

_PARALLEL_FROM = 128  # fewer signatures than this are checked on the calling thread

PUBLIC_KEY_BYTES = 32
SEED_BYTES = 32
SIGNATURE_BYTES = 64

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_ORDER_8_A = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc"
_ORDER_8_B = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03"
_ONES = "ff" * 30

_Extended = tuple[int, int, int, int]

# The 8-torsion subgroup, as libsodium's blocklist and "Taming the many EdDSAs" (Chalkias,
# Garillot, Nikolaenko 2020) list it: seven y values, each with the sign bit clear and set.
SMALL_ORDER_ENCODINGS: frozenset[bytes] = frozenset(
    bytes.fromhex(text)
    for text in (
        "00" * 32,  # (±√-1, 0), order 4
        "00" * 31 + "80",
        "01" + "00" * 31,  # (0, 1), the identity
        "01" + "00" * 30 + "80",  # non-canonical: x = 0 with the sign bit set
        _ORDER_8_A + "05",  # order 8
        _ORDER_8_A + "85",
        _ORDER_8_B + "7a",  # order 8
        _ORDER_8_B + "fa",
        "ec" + _ONES + "7f",  # (0, -1), order 2: y = p - 1
        "ec" + _ONES + "ff",  # non-canonical: x = 0 with the sign bit set
        "ed" + _ONES + "7f",  # non-canonical: y = p, that is 0
        "ed" + _ONES + "ff",
        "ee" + _ONES + "7f",  # non-canonical: y = p + 1, that is 1
        "ee" + _ONES + "ff",
    )
)


def _as_bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _malformed_key(message: str) -> InvalidInputError:
    return InvalidInputError(message, [Problem("key", "MALFORMED_KEY", message)])


class SigningKey:
    """An Ed25519 private key. Built with ``generate``, ``from_seed``, ``from_pem`` or ``load``."""

    __slots__ = ("_private",)

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key whose RFC 8032 seed (the 32-byte private key) is ``seed``."""
        if len(seed) != SEED_BYTES:
            raise _malformed_key("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_base64(cls, text: str | bytes) -> SigningKey:
        """A seed in standard base64, as the keystore writes it (surrounding space ignored)."""
        try:
            seed = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _malformed_key("the key is not base64") from exc
        return cls.from_seed(seed)

    @classmethod
    def from_pem(cls, data: str | bytes) -> SigningKey:
        """An unencrypted PKCS #8 ``PRIVATE KEY`` PEM block holding an Ed25519 key."""
        try:
            private = serialization.load_pem_private_key(_as_bytes(data), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise _malformed_key("not an unencrypted PEM private key") from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise _malformed_key("the PEM private key is not an Ed25519 key")
        return cls(private)

    @classmethod
    def load(cls, data: str | bytes) -> SigningKey:
        """A key file's contents in either form: a PEM block or a base64 seed."""
        raw = _as_bytes(data)
        if raw.lstrip().startswith(b"-----BEGIN"):
            return cls.from_pem(raw)
        return cls.from_base64(raw)

    def seed(self) -> bytes:
        return self._private.private_bytes_raw()

    def to_base64(self) -> str:
        """The keystore's file form: the seed in base64, one line with its newline."""
        return base64.b64encode(self.seed()).decode("ascii") + "\n"

    def to_pem(self) -> str:
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    @property
    def public_key(self) -> VerifierKey:
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return VerifierKey(raw)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_key.raw.hex()[:16]}…)"


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """An Ed25519 public key, 32 raw bytes, refused at construction if unfit to register."""

    raw: bytes

    def __post_init__(self) -> None:
        check_public_key(self.raw)

    def verify(self, message: bytes, signature: bytes) -> None:
        verify(self.raw, message, signature)


def sign(key: SigningKey, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message`` by ``key``."""
    return key.sign(message)


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise VerificationError unless ``signature`` is ``public_key``'s over ``message``."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        raise VerificationError("an Ed25519 key is 32 bytes and a signature 64")
    try:
        _loaded(public_key).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError("the Ed25519 signature does not verify") from exc


def verify_many(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """Whether each (public key, message, signature) verifies, checked on a few threads:
    the library verifies without holding the GIL, so a page of signatures takes a
    fraction of the time one thread needs."""
    if len(items) < _PARALLEL_FROM:
        return _verify_each(items)
    threads = os.cpu_count() or 2
    step = -(-len(items) // threads)
    parts = [items[start : start + step] for start in range(0, len(items), step)]
    return [ok for part in _pool().map(_verify_each, parts) for ok in part]


def _verify_each(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    results = []
    for public_key, message, signature in items:
        try:
            verify(public_key, message, signature)
        except VerificationError:
            results.append(False)
        else:
            results.append(True)
    return results


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="accord-verify")


@functools.lru_cache(maxsize=1024)
def _loaded(public_key: bytes) -> Ed25519PublicKey:
    """Loading a key costs about a tenth of a verification; a log has few authors."""
    return Ed25519PublicKey.from_public_bytes(public_key)


def check_public_key(public_key: bytes) -> None:
    """Refuse keys that are malformed, non-canonical, off the curve or of small order."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise VerificationError("an Ed25519 public key is 32 bytes")
    x, y = _decompress(public_key)
    point = (x, y, 1, x * y % _P)
    for _ in range(3):
        point = _add(point, point)
    is_identity = point[0] == 0 and point[1] == point[2]
    if public_key in SMALL_ORDER_ENCODINGS or is_identity:
        raise VerificationError("the public key has small order; it cannot be used")


def _decompress(encoded: bytes) -> tuple[int, int]:
    """RFC 8032 §5.1.3, refusing the non-canonical encodings it allows."""
    value = int.from_bytes(encoded, "little")
    sign_bit, y = value >> 255, value & ((1 << 255) - 1)
    if y >= _P:
        raise VerificationError("the public key is not canonically encoded")
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    if (v * x * x - u) % _P != 0:
        x = (x * _SQRT_M1) % _P
        if (v * x * x - u) % _P != 0:
            raise VerificationError("the public key is not a point on the curve")
    if x == 0 and sign_bit:
        raise VerificationError("the public key is not canonically encoded")
    if x & 1 != sign_bit:
        x = _P - x
    return x, y


def _add(left: _Extended, right: _Extended) -> _Extended:
    """Point addition in extended coordinates (X:Y:Z:T), RFC 8032 §5.1.4; no inversions."""
    x1, y1, z1, t1 = left
    x2, y2, z2, t2 = right
    a, b = (y1 - x1) * (y2 - x2) % _P, (y1 + x1) * (y2 + x2) % _P
    c, d = 2 * t1 * t2 * _D % _P, 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P
