"""Our fast canonical JSON path writes exactly the bytes of the reference RFC 8785 package."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger.canonical import canonical_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=25
)


@settings(max_examples=800)
@given(VALUES)
def test_canonical_json_matches_rfc8785_for_any_json_value(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        return
    assert canonical_json(value) == expected


def test_keys_outside_the_basic_plane_sort_by_utf16_code_units() -> None:
    value = {"\U0001f600": 1, "\ue000": 2}
    assert canonical_json(value) == rfc8785.dumps(value)


def test_a_sealed_entry_is_the_canonical_json_of_envelope_and_signature() -> None:
    import base64
    import json
    from datetime import UTC, datetime

    from accord.ledger.records import Envelope, open_entry, seal

    envelope = Envelope(
        kind="k",
        author="EE",
        seq=1,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        scope={"tlp": "CLEAR", "audience": ["LV"]},
        body_digest="ab" * 32,
        salt="c2FsdA==",
        key_id="cd" * 32,
    )
    record = seal(envelope, lambda _message: bytes(range(64)))
    expected = {
        "envelope": envelope.to_json(),
        "signature": base64.b64encode(bytes(range(64))).decode(),
    }
    assert record.entry == canonical_json(expected)
    assert json.loads(record.entry) == expected
    assert open_entry(record.entry).envelope == envelope


@given(
    kind=st.text(min_size=1, max_size=20),
    audience=st.lists(st.text(max_size=8), max_size=4),
    signature=st.binary(min_size=0, max_size=80),
)
def test_the_envelope_cut_from_an_entry_is_its_canonical_envelope(
    kind: str, audience: list[str], signature: bytes
) -> None:
    from datetime import UTC, datetime

    from accord.ledger.records import Envelope, open_entry, seal

    envelope = Envelope(
        kind=kind,
        author="EE",
        seq=7,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        scope={"tlp": "AMBER", "audience": audience},
        body_digest="ab" * 32,
        salt="c2FsdA==",
        key_id="cd" * 32,
    )
    record = seal(envelope, lambda _message: signature)
    assert record.envelope_bytes() == envelope.canonical_bytes()
    assert open_entry(record.entry).envelope_bytes() == envelope.canonical_bytes()
