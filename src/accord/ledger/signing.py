"""Ed25519, the one signature scheme of Accord's records, checkpoints and cosignatures.

Verification everywhere goes through ``verify`` here, backed by the ``cryptography``
package, so every node, auditor and witness agrees on which signatures are valid.
Public keys are checked at registration: exactly 32 bytes, a canonical encoding of a point
on the curve, and not of small order — libraries disagree on signatures by such keys, and
a key of small order lets its holder make one signature verify for many messages.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.errors import VerificationError

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise VerificationError unless ``signature`` is ``public_key``'s over ``message``."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        raise VerificationError("an Ed25519 key is 32 bytes and a signature 64")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError("the Ed25519 signature does not verify") from exc


def check_public_key(public_key: bytes) -> None:
    """Refuse keys that are malformed, non-canonical, off the curve or of small order."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise VerificationError("an Ed25519 public key is 32 bytes")
    point = _decompress(public_key)
    for _ in range(3):
        point = _add(point, point)
    if point == (0, 1):
        raise VerificationError("the public key has small order; it cannot be used")


def _decompress(encoded: bytes) -> tuple[int, int]:
    """RFC 8032 §5.1.3, refusing the non-canonical encodings it allows."""
    value = int.from_bytes(encoded, "little")
    sign, y = value >> 255, value & ((1 << 255) - 1)
    if y >= _P:
        raise VerificationError("the public key is not canonically encoded")
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    if (v * x * x - u) % _P != 0:
        x = (x * _SQRT_M1) % _P
        if (v * x * x - u) % _P != 0:
            raise VerificationError("the public key is not a point on the curve")
    if x == 0 and sign:
        raise VerificationError("the public key is not canonically encoded")
    if x & 1 != sign:
        x = _P - x
    return x, y


def _add(left: tuple[int, int], right: tuple[int, int]) -> tuple[int, int]:
    """Point addition on -x² + y² = 1 + d·x²·y² (affine; registration-time only)."""
    (x1, y1), (x2, y2) = left, right
    t = _D * x1 * x2 * y1 * y2 % _P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, _P - 2, _P) % _P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P
    return x3, y3
