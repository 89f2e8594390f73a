"""C2SP signed notes, checkpoints and cosignatures against published vectors and tampering."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import VerificationError
from accord.ledger import notes
from accord.ledger.signing import check_public_key, verify

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "signed-note" / "vectors.json").read_text()
)
SIGNED = [case for case in VECTORS if "vkey" in case]
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize("case", SIGNED, ids=[c["source"][:30] for c in SIGNED])
def test_published_notes_open_with_their_verifier_keys(case: dict[str, str]) -> None:
    verifier = notes.parse_verifier_key(case["vkey"])
    assert notes.open_note(case["note"], [verifier]) == case["text"]


def test_the_go_example_signature_is_regenerated_byte_for_byte() -> None:
    case = next(c for c in SIGNED if "skey" in c)
    seed = base64.b64decode(case["skey"].split("+", 4)[4])[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert notes.format_verifier_key("PeterNeumann", public) == case["vkey"]
    assert notes.sign_note(case["text"], "PeterNeumann", key.sign, public) == case["note"]


def test_key_ids_recompute_for_both_key_types() -> None:
    ids = next(c for c in VECTORS if "vkeys_type1" in c)
    for text in ids["vkeys_type1"] + ids["vkeys_type4_cosignature"]:
        verifier = notes.parse_verifier_key(text)
        assert (
            notes.format_verifier_key(verifier.name, verifier.public_key, verifier.key_type) == text
        )


@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=6))
def test_any_changed_character_breaks_the_note(position: int, bit: int) -> None:
    note = notes.sign_note("origin\n42\nAAAA\n", "node.example", KEY.sign, PUBLIC)
    verifier = notes.parse_verifier_key(notes.format_verifier_key("node.example", PUBLIC))
    index = position % len(note)
    changed = note[:index] + chr(ord(note[index]) ^ (1 << bit)) + note[index + 1 :]
    if changed == note:
        return
    with pytest.raises(VerificationError):
        notes.open_note(changed, [verifier])


def test_notes_no_known_key_signed_are_refused() -> None:
    note = notes.sign_note("text\n", "node.example", KEY.sign, PUBLIC)
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with pytest.raises(VerificationError, match="no known key"):
        notes.open_note(
            note, [notes.parse_verifier_key(notes.format_verifier_key("other.example", other))]
        )


@pytest.mark.parametrize(
    "malformed",
    [
        "no signatures\n",
        "text\n\nnot a signature\n",
        "text\n\n\u2014 name !!!\n",
        "text\n\n\u2014 a b c",
    ],
)
def test_malformed_notes_are_refused(malformed: str) -> None:
    with pytest.raises(VerificationError):
        notes.open_note(malformed, [])


def test_checkpoints_round_trip_and_refuse_sloppy_forms() -> None:
    checkpoint = notes.Checkpoint("example.org/log", 12, bytes(range(32)), ("ext",))
    assert notes.Checkpoint.parse(checkpoint.format()) == checkpoint
    root = base64.b64encode(bytes(32)).decode()
    for bad in (
        f"o\n012\n{root}\n",
        f"o\n12\n{root}",
        f"\n12\n{root}\n",
        "o\n12\nAAAA\n",
        f"o\n-1\n{root}\n",
        f"o\n12\n{root}\n\n",
    ):
        with pytest.raises(VerificationError):
            notes.Checkpoint.parse(bad)


def test_cosignatures_verify_and_carry_their_time() -> None:
    body = notes.Checkpoint("example.org/log", 3, bytes(32)).format()
    witness = notes.parse_verifier_key(
        notes.format_verifier_key("w.example", PUBLIC, notes.COSIGNATURE_V1)
    )
    line = notes.cosign(body, "w.example", KEY.sign, PUBLIC, 1_700_000_000)
    assert notes.verify_cosignature(body, line, witness) == 1_700_000_000
    with pytest.raises(VerificationError):
        notes.verify_cosignature(body.replace("3", "4"), line, witness)
    note_key = notes.parse_verifier_key(notes.format_verifier_key("w.example", PUBLIC))
    with pytest.raises(VerificationError):
        notes.verify_cosignature(body, line, note_key)


# The eight points of small order, canonically encoded (libsodium's list of the
# 8-torsion subgroup), and one non-canonical encoding (y = p).
SMALL_ORDER = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    (2**255 - 20).to_bytes(32, "little"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
    (1).to_bytes(32, "little")[:31] + b"\x80",
]


@pytest.mark.parametrize("key", SMALL_ORDER, ids=lambda k: k.hex()[:8])
def test_small_order_public_keys_are_refused(key: bytes) -> None:
    with pytest.raises(VerificationError):
        check_public_key(key)


def test_non_canonical_and_off_curve_keys_are_refused_and_good_keys_pass() -> None:
    with pytest.raises(VerificationError, match="canonical"):
        check_public_key((2**255 - 19).to_bytes(32, "little"))
    with pytest.raises(VerificationError):
        check_public_key(b"\x02" + bytes(31))
    with pytest.raises(VerificationError):
        check_public_key(PUBLIC[:31])
    check_public_key(PUBLIC)


def test_signatures_verify_only_for_their_message_and_key() -> None:
    signature = KEY.sign(b"message")
    verify(PUBLIC, b"message", signature)
    for args in (
        (PUBLIC, b"massage", signature),
        (PUBLIC, b"message", signature[:-1]),
        (PUBLIC[:-1], b"message", signature),
    ):
        with pytest.raises(VerificationError):
            verify(*args)
