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
