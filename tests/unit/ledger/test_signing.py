"""Ed25519 keys, signatures and the registration check on public keys.

The small-order list in ``accord.ledger.signing`` is checked here against edwards25519
arithmetic written independently in this file (affine, from the curve equation): every
listed encoding decodes to a point P with 8·P the identity, and the canonical ones are
exactly the eight multiples of a point of order 8. RFC 8032 §7.1 test 1 pins the signer.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import InvalidInputError, VerificationError
from accord.ledger import signing
from accord.ledger.signing import (
    SMALL_ORDER_ENCODINGS,
    SigningKey,
    VerifierKey,
    check_public_key,
    sign,
    verify,
    verify_many,
)

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = (0, 1)
Point = tuple[int, int]

RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
    "b46bd25bf5f0595bbe24655141438e7a100b"
)
SEEDS = st.binary(min_size=32, max_size=32)


def add(left: Point, right: Point) -> Point:
    """Affine addition on -x² + y² = 1 + d·x²·y² (complete: d is not a square)."""
    (x1, y1), (x2, y2) = left, right
    k = D * x1 * x2 * y1 * y2 % P
    return (x1 * y2 + x2 * y1) * pow(1 + k, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - k, -1, P) % P


def multiply(scalar: int, point: Point) -> Point:
    result = IDENTITY
    while scalar:
        if scalar & 1:
            result = add(result, point)
        point, scalar = add(point, point), scalar >> 1
    return result


def decode_leniently(encoded: bytes) -> Point:
    """Any 32 bytes whose y (mod p) is on the curve, ignoring every canonicity rule."""
    value = int.from_bytes(encoded, "little")
    y, negative = (value & (2**255 - 1)) % P, value >> 255
    x_squared = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(x_squared, (P + 3) // 8, P)
    if x * x % P != x_squared:
        x = x * pow(2, (P - 1) // 4, P) % P
    assert x * x % P == x_squared, "not on the curve"
    return (P - x if x and (x & 1) != negative else x), y


def encode(point: Point) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def test_the_test_arithmetic_is_sound_on_the_base_point() -> None:
    base_y = 4 * pow(5, -1, P) % P
    base = decode_leniently(base_y.to_bytes(32, "little"))
    assert multiply(L, base) == IDENTITY
    assert multiply(8, base) != IDENTITY
    digest = hashlib.sha512(RFC8032_SEED).digest()[:32]
    scalar = int.from_bytes(digest, "little") & (2**254 - 8) | 2**254
    assert encode(multiply(scalar, base)) == RFC8032_PUBLIC


@pytest.mark.parametrize("encoded", sorted(SMALL_ORDER_ENCODINGS), ids=lambda e: e.hex()[:6])
def test_every_listed_encoding_really_has_small_order(encoded: bytes) -> None:
    assert multiply(8, decode_leniently(encoded)) == IDENTITY


def test_the_list_holds_every_point_of_order_dividing_eight_and_fourteen_encodings() -> None:
    order_eight = decode_leniently(bytes.fromhex(signing._ORDER_8_A + "05"))
    assert multiply(4, order_eight) != IDENTITY
    torsion = {encode(multiply(k, order_eight)) for k in range(8)}
    assert len(torsion) == 8
    assert torsion <= SMALL_ORDER_ENCODINGS
    assert len(SMALL_ORDER_ENCODINGS) == 14


@pytest.mark.parametrize("encoded", sorted(SMALL_ORDER_ENCODINGS), ids=lambda e: e.hex()[:6])
def test_small_order_keys_are_refused_at_registration(encoded: bytes) -> None:
    with pytest.raises(VerificationError, match=r"small order|canonical"):
        check_public_key(encoded)


@pytest.mark.parametrize("encoded", sorted(SMALL_ORDER_ENCODINGS), ids=lambda e: e.hex()[:6])
def test_small_order_keys_are_refused_by_arithmetic_even_without_the_list(
    encoded: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signing, "SMALL_ORDER_ENCODINGS", frozenset())
    with pytest.raises(VerificationError):
        check_public_key(encoded)


@given(y=st.integers(min_value=P, max_value=2**255 - 1), negative=st.booleans())
def test_encodings_with_y_at_or_above_p_are_refused_as_non_canonical(
    y: int, negative: bool
) -> None:
    with pytest.raises(VerificationError, match="canonical"):
        check_public_key((y | negative << 255).to_bytes(32, "little"))


@pytest.mark.parametrize("length", [0, 1, 31, 33, 64])
def test_public_keys_that_are_not_32_bytes_are_refused(length: int) -> None:
    with pytest.raises(VerificationError, match="32 bytes"):
        check_public_key(bytes(length))


def test_a_y_with_no_point_on_the_curve_is_refused() -> None:
    off_curve = (2).to_bytes(32, "little")
    with pytest.raises(AssertionError):
        decode_leniently(off_curve)
    with pytest.raises(VerificationError, match="not a point on the curve"):
        check_public_key(off_curve)


@given(seed=SEEDS)
def test_every_generated_public_key_passes_the_registration_check(seed: bytes) -> None:
    check_public_key(SigningKey.from_seed(seed).public_key.raw)


def test_the_rfc_8032_test_vector_signs_byte_for_byte() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert key.public_key.raw == RFC8032_PUBLIC
    assert sign(key, b"") == RFC8032_SIGNATURE
    verify(RFC8032_PUBLIC, b"", RFC8032_SIGNATURE)


@given(message=st.binary(max_size=200), seed=SEEDS)
def test_signatures_verify_with_their_key_and_message(message: bytes, seed: bytes) -> None:
    key = SigningKey.from_seed(seed)
    signature = sign(key, message)
    verify(key.public_key.raw, message, signature)
    key.public_key.verify(message, signature)


@given(
    message=st.binary(min_size=1, max_size=64),
    index=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
    in_signature=st.booleans(),
)
def test_any_flipped_byte_in_message_or_signature_fails(
    message: bytes, index: int, mask: int, in_signature: bool
) -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    signature = sign(key, message)
    target = bytearray(signature if in_signature else message)
    target[index % len(target)] ^= mask
    if in_signature:
        signature = bytes(target)
    else:
        message = bytes(target)
    with pytest.raises(VerificationError):
        verify(RFC8032_PUBLIC, message, signature)


def test_a_signature_fails_under_another_key() -> None:
    signature = sign(SigningKey.from_seed(RFC8032_SEED), b"m")
    with pytest.raises(VerificationError, match="does not verify"):
        verify(SigningKey.generate().public_key.raw, b"m", signature)


@pytest.mark.parametrize(
    ("key_length", "signature_length"), [(31, 64), (33, 64), (32, 63), (32, 65)]
)
def test_wrong_length_keys_and_signatures_fail_verification(
    key_length: int, signature_length: int
) -> None:
    with pytest.raises(VerificationError, match="32 bytes and a signature 64"):
        verify(bytes(key_length), b"m", bytes(signature_length))


def test_a_verifier_key_refuses_small_order_bytes() -> None:
    with pytest.raises(VerificationError):
        VerifierKey(bytes(32))
    assert VerifierKey(RFC8032_PUBLIC).raw == RFC8032_PUBLIC


def test_signing_keys_round_trip_through_seed_base64_and_pem() -> None:
    key = SigningKey.generate()
    assert SigningKey.from_seed(key.seed()).seed() == key.seed()
    assert SigningKey.from_base64(key.to_base64()).seed() == key.seed()
    assert SigningKey.from_pem(key.to_pem()).seed() == key.seed()
    assert SigningKey.load(key.to_pem().encode()).seed() == key.seed()
    assert SigningKey.load(key.to_base64()).seed() == key.seed()


def test_the_base64_file_form_is_the_keystores_one_line_seed() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert key.to_base64() == base64.b64encode(RFC8032_SEED).decode() + "\n"
    assert key.to_pem().startswith("-----BEGIN PRIVATE KEY-----\n")


def test_a_signing_keys_repr_never_shows_the_seed() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert RFC8032_SEED.hex()[:16] not in repr(key)
    assert base64.b64encode(RFC8032_SEED).decode()[:16] not in repr(key)
    assert RFC8032_PUBLIC.hex()[:16] in repr(key)


def _ec_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _encrypted_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "32 bytes"),
        (base64.b64encode(bytes(31)), "32 bytes"),
        (b"not base64!", "not base64"),
        (b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", "PEM"),
        (_ec_pem(), "not an Ed25519 key"),
        (_encrypted_pem(), "unencrypted PEM"),
    ],
    ids=["empty", "short-seed", "garbage", "bad-pem", "ec-pem", "encrypted-pem"],
)
def test_malformed_key_files_are_refused_as_invalid_input(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        SigningKey.load(data)


@pytest.mark.parametrize("count", [3, 500])  # below and above the threshold for threads
def test_verify_many_answers_for_each_signature_in_order(count: int) -> None:
    keys = [SigningKey.generate() for _ in range(3)]
    items = []
    for n in range(count):
        key = keys[n % 3]
        message = f"message {n}".encode()
        signature = key.sign(message)
        if n % 7 == 0:
            signature = keys[(n + 1) % 3].sign(message)  # another author's signature
        items.append((key.public_key.raw, message, signature))
    assert verify_many(items) == [n % 7 != 0 for n in range(count)]
