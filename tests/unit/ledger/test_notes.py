"""C2SP signed notes, checkpoints and cosignature/v1: published vectors, round trips, tampering.

Vectors: ``tests/vectors/signed-note/vectors.json`` (Go's ``sumdb/note`` documentation, the
C2SP signed-note example and transparency-dev/formats key IDs; see SOURCE.md there).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import InvalidInputError, VerificationError
from accord.ledger import notes
from accord.ledger.notes import (
    COSIGNATURE_V1,
    ED25519,
    MAX_SIGNATURES,
    Checkpoint,
    Verifier,
    cosign,
    cosignature_message,
    format_signer_key,
    format_verifier_key,
    key_id,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    verify_cosignature,
    verify_note,
)
from accord.ledger.signing import SigningKey

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "vectors" / "signed-note" / "vectors.json").read_text("utf-8")
)
SIGNED = [case for case in VECTORS if "vkey" in case]
KEY_IDS = next(case for case in VECTORS if "vkeys_type1" in case)
GO_EXAMPLE = next(case for case in SIGNED if "skey" in case)

LOG = SigningKey.from_seed(bytes(range(32)))
WITNESS = SigningKey.from_seed(bytes(range(32, 64)))
LOG_VERIFIER = Verifier("log.example", ED25519, LOG.public_key.raw)
WITNESS_VERIFIER = Verifier("witness.example", COSIGNATURE_V1, WITNESS.public_key.raw)
BODY = Checkpoint("log.example", 1234, bytes(range(32))).format()
TIME = 1_700_000_000
TEXTS = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(
    lambda text: text + "\n"
)


def with_lines(text: str, *lines: str) -> str:
    return text + "\n" + "".join(line + "\n" for line in lines)


def line_of(note: str) -> str:
    return notes.signature_lines(note)[0]


def reencode(line: str, change: Any) -> str:
    """``line`` with its decoded payload passed through ``change`` and encoded again."""
    head, _, encoded = line.rpartition(" ")
    payload = bytearray(base64.b64decode(encoded))
    change(payload)
    return f"{head} {base64.b64encode(bytes(payload)).decode()}"


# Published vectors ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", SIGNED, ids=[case["source"][:24] for case in SIGNED])
def test_every_published_note_verifies_with_its_verifier_key(case: dict[str, Any]) -> None:
    verifier = parse_verifier_key(case["vkey"])
    text, signatures = verify_note(case["note"], [verifier])
    assert text == case["text"]
    assert [(s.name, s.key_id, s.key_type) for s in signatures] == [
        (verifier.name, verifier.key_id, ED25519)
    ]


@pytest.mark.parametrize("case", SIGNED, ids=[case["source"][:24] for case in SIGNED])
def test_every_published_note_is_refused_without_its_key(case: dict[str, Any]) -> None:
    with pytest.raises(VerificationError, match="no known key"):
        verify_note(case["note"], [LOG_VERIFIER])


def test_the_go_example_signature_is_regenerated_byte_for_byte() -> None:
    name, key = parse_signer_key(GO_EXAMPLE["skey"])
    assert name == "PeterNeumann"
    assert sign_note(GO_EXAMPLE["text"], name, key) == GO_EXAMPLE["note"]
    assert format_signer_key(name, key) == GO_EXAMPLE["skey"]
    assert format_verifier_key(name, key.public_key.raw) == GO_EXAMPLE["vkey"]


@pytest.mark.parametrize(
    ("vkey", "key_type"),
    [(k, ED25519) for k in KEY_IDS["vkeys_type1"]]
    + [(k, COSIGNATURE_V1) for k in KEY_IDS["vkeys_type4_cosignature"]],
)
def test_published_key_ids_recompute_for_both_key_types(vkey: str, key_type: int) -> None:
    verifier = parse_verifier_key(vkey)
    assert verifier.key_type == key_type
    assert key_id(verifier.name, key_type, verifier.public_key).hex() == vkey.split("+")[1]
    assert format_verifier_key(verifier.name, verifier.public_key, key_type) == vkey


def test_a_key_id_depends_on_the_key_type() -> None:
    raw = LOG.public_key.raw
    assert key_id("n", ED25519, raw) != key_id("n", COSIGNATURE_V1, raw)


# Signing and opening ---------------------------------------------------------------------------


@given(text=TEXTS)
def test_signed_notes_round_trip(text: str) -> None:
    note = sign_note(text, "log.example", LOG)
    assert open_note(note, [LOG_VERIFIER]) == text
    assert verify_note(note, [LOG_VERIFIER]).text == text


def test_a_sign_function_with_its_public_key_signs_the_same_note() -> None:
    assert sign_note(BODY, "log.example", LOG.sign, LOG.public_key.raw) == sign_note(
        BODY, "log.example", LOG
    )


def test_text_with_blank_lines_and_non_ascii_round_trips() -> None:
    text = "Ognuno sta solo\n\ned è subito sera.\n\n\u2014 not a signature\n"
    assert open_note(sign_note(text, "log.example", LOG), [LOG_VERIFIER]) == text


@given(
    text=TEXTS,
    index=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=0x7F),
)
def test_any_flipped_byte_in_the_text_fails_verification(text: str, index: int, mask: int) -> None:
    note = sign_note(text, "log.example", LOG)
    flipped = bytearray(text.encode())
    flipped[index % len(flipped)] ^= mask
    tampered = note.replace(text, flipped.decode("ascii"), 1)
    with pytest.raises(VerificationError):
        verify_note(tampered, [LOG_VERIFIER])


@given(index=st.integers(min_value=0, max_value=67), mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_in_the_signature_fails_verification(index: int, mask: int) -> None:
    note = sign_note(BODY, "log.example", LOG)

    def flip(payload: bytearray) -> None:
        payload[index] ^= mask

    tampered = with_lines(BODY, reencode(line_of(note), flip))
    with pytest.raises(VerificationError):
        verify_note(tampered, [LOG_VERIFIER])


def test_every_verified_signature_is_reported_and_unknown_ones_are_ignored() -> None:
    other = Verifier("other.example", ED25519, WITNESS.public_key.raw)
    stranger = line_of(sign_note(BODY, "stranger.example", SigningKey.generate()))
    note = with_lines(
        BODY,
        line_of(sign_note(BODY, "log.example", LOG)),
        stranger,
        line_of(sign_note(BODY, "other.example", WITNESS)),
    )
    _, signatures = verify_note(note, [LOG_VERIFIER, other])
    assert [s.name for s in signatures] == ["log.example", "other.example"]
    assert [s.name for s in verify_note(note, [other]).signatures] == ["other.example"]


def test_signatures_sharing_only_a_name_or_only_a_key_id_are_ignored() -> None:
    impostor = line_of(sign_note(BODY, "log.example", SigningKey.generate()))
    renamed = line_of(sign_note(BODY, "log.example", LOG)).replace("log.example", "log.example2")
    with pytest.raises(VerificationError, match="no known key"):
        verify_note(with_lines(BODY, impostor, renamed), [LOG_VERIFIER])


def test_a_bad_signature_by_a_known_key_refuses_the_whole_note() -> None:
    good = line_of(sign_note(BODY, "log.example", LOG))
    bad = line_of(sign_note(BODY.replace("1234", "1235"), "log.example", LOG))
    for note in (with_lines(BODY, good, bad), with_lines(BODY, bad, good)):
        with pytest.raises(VerificationError, match=r"log\.example\+[0-9a-f]{8} does not verify"):
            verify_note(note, [LOG_VERIFIER])


def test_a_known_key_with_a_signature_of_the_wrong_length_is_refused() -> None:
    short = reencode(line_of(sign_note(BODY, "log.example", LOG)), lambda p: p.pop())
    with pytest.raises(VerificationError, match="not an Ed25519 signature"):
        verify_note(with_lines(BODY, short), [LOG_VERIFIER])


def test_a_repeated_signature_is_reported_once() -> None:
    line = line_of(sign_note(BODY, "log.example", LOG))
    assert len(verify_note(with_lines(BODY, line, line), [LOG_VERIFIER]).signatures) == 1


def test_up_to_the_signature_limit_is_accepted_and_one_more_is_refused() -> None:
    line = line_of(sign_note(BODY, "log.example", LOG))
    assert verify_note(with_lines(BODY, *[line] * MAX_SIGNATURES), [LOG_VERIFIER])
    with pytest.raises(VerificationError, match=f"at most {MAX_SIGNATURES}"):
        verify_note(with_lines(BODY, *[line] * (MAX_SIGNATURES + 1)), [LOG_VERIFIER])


GOOD = sign_note(BODY, "log.example", LOG)
GOOD_LINE = line_of(GOOD)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no signatures\n", "blank line"),
        (BODY + GOOD_LINE + "\n", "blank line"),
        (GOOD.removesuffix("\n"), "ends with a signature line"),
        (BODY + "\n", "ends with a signature line"),
        (GOOD.replace("\u2014", "-"), "em dash"),
        (GOOD.replace("\u2014 ", "\u2014"), "em dash"),
        (GOOD.replace("log.example", "log+example"), "key name"),
        (GOOD.replace("log.example ", "log.example\u00a0"), "key name"),
        (GOOD.replace("\u2014 log.example", "\u2014 "), "key name"),
        (with_lines(BODY, "\u2014 log.example"), "missing"),
        (with_lines(BODY, "\u2014 log.example !!!!"), "not base64"),
        (with_lines(BODY, "\u2014 log.example AAAAAA=="), "too short"),
        (with_lines(BODY, "\u2014 log.example AAAAAB=="), "canonical"),
        (GOOD[:-1] + " \n", "base64"),
        (GOOD.replace("log.example\n", "log.example\r\n", 1), "control character"),
        (GOOD.replace("1234", "12\t34"), "control character"),
        (GOOD.replace("1234", "12\ud80034"), "UTF-8"),
    ],
    ids=[
        "no-blank-line",
        "no-separator",
        "no-final-newline",
        "no-signatures",
        "hyphen",
        "no-space-after-dash",
        "plus-in-name",
        "nbsp-in-name",
        "empty-name",
        "no-signature",
        "bad-base64",
        "too-short",
        "non-canonical-base64",
        "trailing-space",
        "carriage-return",
        "tab",
        "lone-surrogate",
    ],
)
def test_malformed_notes_are_refused_with_a_clear_message(note: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_note(note, [LOG_VERIFIER])


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("no newline", "log.example", "ends with a newline"),
        ("tab\there\n", "log.example", "control character"),
        ("text\n", "", "key name"),
        ("text\n", "two words", "key name"),
        ("text\n", "a+b", "key name"),
        ("text\n", "em\u2003space", "key name"),
        ("text\n", "line\n", "key name"),
    ],
)
def test_signing_refuses_bad_text_and_names(text: str, name: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        sign_note(text, name, LOG)


# Verifier and signer keys -------------------------------------------------------------------


def _vkey(name: str, payload: bytes, hex_id: str | None = None) -> str:
    claimed = hex_id or key_id(name, payload[0], payload[1:]).hex()
    return f"{name}+{claimed}+{base64.b64encode(payload).decode()}"


RAW = LOG.public_key.raw


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        (_vkey("log.example", b"\x01" + RAW, "00000000"), "ID does not match"),
        (_vkey("log.example", b"\x02" + RAW), "0x01"),
        (_vkey("log.example", b"\x01" + RAW[:31]), "32 Ed25519 key bytes"),
        (_vkey("log.example", b"\x01" + bytes(32)), "small order"),
        (_vkey("log example", b"\x01" + RAW), "key name"),
        ("log.example+zzzzzzzz+AQ==", "name\\+hexkeyid"),
        ("log.example", "name\\+hexkeyid"),
        ("+00000000+AQ==", "key name"),
        (_vkey("log.example", b"\x01" + RAW) + "=", "base64"),
    ],
    ids=[
        "wrong-id",
        "ecdsa-type",
        "short-key",
        "small-order",
        "space",
        "hex",
        "bare",
        "no-name",
        "b64",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        parse_verifier_key(vkey)


def test_verifiers_refuse_unknown_types_and_small_order_keys_when_built_directly() -> None:
    with pytest.raises(VerificationError, match="0x01"):
        Verifier("log.example", 0x02, RAW)
    with pytest.raises(VerificationError, match="small order"):
        Verifier("log.example", ED25519, bytes(32))


@pytest.mark.parametrize(
    "skey",
    [
        GO_EXAMPLE["skey"].removeprefix("PRIVATE+KEY+"),
        GO_EXAMPLE["skey"].replace("c74f20a3", "c74f20a4"),
        GO_EXAMPLE["skey"].replace("PeterNeumann", "PeterNeumann2"),
        GO_EXAMPLE["skey"].replace("+AY", "+Ao"),
    ],
    ids=["no-prefix", "wrong-id", "wrong-name", "wrong-type"],
)
def test_malformed_signer_keys_are_refused_without_quoting_the_secret(skey: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_signer_key(skey)
    assert skey.rsplit("+", 1)[1] not in str(caught.value)


# Checkpoints -----------------------------------------------------------------------------------


@given(
    origin=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)),
)
def test_checkpoints_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.parse(checkpoint.format()) == checkpoint
    assert checkpoint.format().count("\n") == 3 + len(extensions)


def test_a_checkpoint_formats_as_the_spec_lays_it_out() -> None:
    checkpoint = Checkpoint("example.com/log", 20852163, bytes(32), ("ext one",))
    root = base64.b64encode(bytes(32)).decode()
    assert checkpoint.format() == f"example.com/log\n20852163\n{root}\next one\n"


ROOT = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"o\n12\n{ROOT}", "ends with a newline"),
        (f"o\n12\n{ROOT}\n".replace("\n", "\r\n"), "control character"),
        ("o\n12\n", "origin, tree size and root hash"),
        (f"\n12\n{ROOT}\n", "non-empty"),
        (f"o\n12\n{ROOT}\n\n", "non-empty"),
        (f"o\n12\n{ROOT}\next\n\nmore\n", "non-empty"),
        (f"o\n012\n{ROOT}\n", "plain decimal"),
        (f"o\n+12\n{ROOT}\n", "plain decimal"),
        (f"o\n-1\n{ROOT}\n", "plain decimal"),
        (f"o\n 12\n{ROOT}\n", "plain decimal"),
        (f"o\n\u0661\u0662\n{ROOT}\n", "plain decimal"),
        (f"o\n{2**64}\n{ROOT}\n", "2\\^64 - 1"),
        (f"o\n{'9' * 5000}\n{ROOT}\n", "plain decimal"),
        ("o\n12\nAAAA\n", "32 bytes"),
        (f"o\n12\n{base64.b64encode(bytes(33)).decode()}\n", "32 bytes"),
        (f"o\n12\n{ROOT.rstrip('=')}\n", "base64"),
        (f"o\n12\n{ROOT[:-2]}B=\n", "canonical"),
        (f"o\t1\n12\n{ROOT}\n", "control character"),
    ],
)
def test_checkpoint_parsing_is_strict(text: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    "arguments",
    [("", 1, bytes(32)), ("o", -1, bytes(32)), ("o", 1, bytes(31)), ("o", 1, bytes(32), ("",))],
)
def test_checkpoints_refuse_bad_fields_at_construction(arguments: tuple[Any, ...]) -> None:
    with pytest.raises(VerificationError):
        Checkpoint(*arguments)


def test_a_signed_checkpoint_opens_and_parses() -> None:
    note = sign_note(BODY, "log.example", LOG)
    assert Checkpoint.parse(open_note(note, [LOG_VERIFIER])).size == 1234


# Cosignatures -----------------------------------------------------------------------------


def test_the_cosigned_message_is_header_time_then_body() -> None:
    assert cosignature_message(BODY, 1679315147) == b"cosignature/v1\ntime 1679315147\n" + (
        BODY.encode()
    )


@given(timestamp=st.integers(min_value=0, max_value=2**63 - 1))
def test_cosignatures_round_trip_and_return_their_time(timestamp: int) -> None:
    line = cosign(BODY, "witness.example", WITNESS, timestamp)
    assert verify_cosignature(BODY, line, WITNESS_VERIFIER) == timestamp
    assert verify_cosignature(BODY, line + "\n", WITNESS_VERIFIER) == timestamp


def test_a_cosignature_line_carries_key_id_time_and_signature() -> None:
    line = cosign(BODY, "witness.example", WITNESS, TIME)
    assert line.startswith("\u2014 witness.example ")
    payload = base64.b64decode(line.rsplit(" ", 1)[1])
    assert len(payload) == 76
    assert payload[:4] == WITNESS_VERIFIER.key_id
    assert int.from_bytes(payload[4:12], "big") == TIME
    WITNESS.public_key.verify(cosignature_message(BODY, TIME), payload[12:])


def test_a_sign_function_with_its_public_key_cosigns_the_same_line() -> None:
    by_function = cosign(BODY, "witness.example", WITNESS.sign, WITNESS.public_key.raw, TIME)
    assert by_function == cosign(BODY, "witness.example", WITNESS, TIME)


def test_a_cosigned_checkpoint_note_verifies_with_log_and_witness_keys() -> None:
    note = sign_note(BODY, "log.example", LOG) + cosign(BODY, "witness.example", WITNESS, TIME)
    note += "\n"
    _, signatures = verify_note(note, [LOG_VERIFIER, WITNESS_VERIFIER])
    assert [(s.name, s.timestamp) for s in signatures] == [
        ("log.example", None),
        ("witness.example", TIME),
    ]
    assert open_note(note, [LOG_VERIFIER]) == BODY


@given(index=st.integers(min_value=0, max_value=75), mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_in_a_cosignature_fails(index: int, mask: int) -> None:
    def flip(payload: bytearray) -> None:
        payload[index] ^= mask

    line = reencode(cosign(BODY, "witness.example", WITNESS, TIME), flip)
    with pytest.raises(VerificationError):
        verify_cosignature(BODY, line, WITNESS_VERIFIER)


def test_a_cosignature_fails_for_another_checkpoint_name_or_key_type() -> None:
    line = cosign(BODY, "witness.example", WITNESS, TIME)
    other_body = Checkpoint("log.example", 1235, bytes(range(32))).format()
    with pytest.raises(VerificationError, match="does not verify"):
        verify_cosignature(other_body, line, WITNESS_VERIFIER)
    renamed = Verifier("witness2.example", COSIGNATURE_V1, WITNESS.public_key.raw)
    with pytest.raises(VerificationError, match="not a cosignature by"):
        verify_cosignature(BODY, line, renamed)
    as_note_key = Verifier("witness.example", ED25519, WITNESS.public_key.raw)
    with pytest.raises(VerificationError, match="not a cosignature by"):
        verify_cosignature(BODY, line, as_note_key)


def test_a_cosignature_by_another_key_under_the_witness_name_fails() -> None:
    forged = cosign(BODY, "witness.example", LOG.sign, WITNESS.public_key.raw, TIME)
    with pytest.raises(VerificationError, match="does not verify"):
        verify_cosignature(BODY, forged, WITNESS_VERIFIER)


def test_cosignatures_refuse_times_past_two_to_the_sixty_three() -> None:
    with pytest.raises(VerificationError, match="2\\^63"):
        cosign(BODY, "witness.example", WITNESS, 2**63)
    with pytest.raises(VerificationError, match="2\\^63"):
        cosign(BODY, "witness.example", WITNESS, -1)

    def overflow(payload: bytearray) -> None:
        payload[4:12] = (2**63).to_bytes(8, "big")

    line = reencode(cosign(BODY, "witness.example", WITNESS, TIME), overflow)
    with pytest.raises(VerificationError, match="2\\^63"):
        verify_cosignature(BODY, line, WITNESS_VERIFIER)


def test_only_checkpoint_bodies_are_cosigned_or_verified() -> None:
    with pytest.raises(VerificationError, match="checkpoint"):
        cosign("not a checkpoint\n", "witness.example", WITNESS, TIME)
    line = cosign(BODY, "witness.example", WITNESS, TIME)
    with pytest.raises(VerificationError, match="checkpoint"):
        verify_cosignature(BODY + "\n", line, WITNESS_VERIFIER)
