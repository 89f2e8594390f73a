"""Hypothesis strategies that fuzz a target: mutated seeds, JSON built from its words, noise.

Hypothesis is not coverage-guided, so the short CI run leans on the seeds: a real input with
a few bytes flipped, cut, repeated or spliced with the target's tokens reaches code that
random bytes never do. Hypothesis shrinks whatever fails to a small reproducer.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.targets import Target

_BYTE_SPICE = (b"\x00", b"\xff", b"\x80", b"\xc3", b"\n", b"\r\n", b" ", b"9" * 25, b"\xed\xa0\x80")


def _mutate(seed: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    data = bytearray(seed)
    for operation, where, word in edits:
        at = where % (len(data) + 1)
        if operation == "flip" and at < len(data):
            data[at] ^= 1 << (where % 8)
        elif operation == "insert":
            data[at:at] = word
        elif operation == "replace":
            data[at : at + len(word)] = word
        elif operation == "delete":
            del data[at : at + 1 + where % 16]
        elif operation == "repeat":
            data[at:at] = data[at : at + 1 + where % 64]
        elif operation == "truncate":
            del data[at:]
    return bytes(data)


def mutated(target: Target) -> st.SearchStrategy[bytes]:
    words = st.sampled_from((*target.tokens, *_BYTE_SPICE)) | st.binary(min_size=1, max_size=4)
    operations = st.sampled_from(("flip", "insert", "replace", "delete", "repeat", "truncate"))
    edits = st.lists(st.tuples(operations, st.integers(0, 2**20), words), min_size=1, max_size=6)
    return st.builds(_mutate, st.sampled_from(target.seeds()), edits)


def _json_values(target: Target) -> st.SearchStrategy[Any]:
    words = [w.decode("utf-8", "replace").strip('"') for w in target.tokens]
    text = st.sampled_from(words) | st.text(max_size=12) if words else st.text(max_size=12)
    scalars = (
        st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | text
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=6),
        max_leaves=20,
    )


def inputs(target: Target) -> st.SearchStrategy[bytes]:
    """What the CI run feeds ``target``: mostly mutated seeds, some JSON, some noise."""
    as_json = _json_values(target).map(lambda value: json.dumps(value).encode())
    return st.one_of(mutated(target), as_json, st.binary(max_size=512))
