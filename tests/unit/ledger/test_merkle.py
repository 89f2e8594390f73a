"""Accord's Merkle tree against official vectors, RFC reference definitions and properties.

Vectors: transparency-dev/merkle ``testdata`` (196 cases) and the RFC 6962 reference tree, both
under ``tests/vectors/merkle`` (see SOURCE.md there). Properties: trees of 1..300 leaves and
sizes around powers of two, stored as perfect nodes exactly as the SQL log stores them.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import ConsistencyError, InvalidInputError, VerificationError
from accord.ledger.merkle import (
    EMPTY_ROOT,
    Fetch,
    NodeId,
    consistency_proof,
    consistency_proof_node_ids,
    frontier_ids,
    inclusion_proof,
    inclusion_proof_node_ids,
    leaf_hash,
    node_hash,
    nodes_to_store,
    root_from,
    root_of_leaves,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "merkle"
NEAR_POWERS_OF_TWO = sorted({(1 << k) + d for k in range(10) for d in (-1, 0, 1)} - {0})
sizes = st.one_of(st.integers(1, 300), st.sampled_from(NEAR_POWERS_OF_TWO))


# --- helpers -------------------------------------------------------------------------------


class Store:
    """An in-memory node table, recording each batched read a proof makes."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.nodes: dict[NodeId, bytes] = dict(nodes_to_store(0, leaves, {}))
        self.size = len(leaves)
        self.reads: list[list[NodeId]] = []

    def fetch(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        self.reads.append(list(ids))
        return {node_id: self.nodes[node_id] for node_id in ids}


def reader(nodes: Mapping[NodeId, bytes]) -> Fetch:
    """A fetch over a plain mapping (one that lacks a node raises, as storage must not)."""
    return lambda ids: {node_id: nodes[node_id] for node_id in ids}


def leaves_for(size: int, seed: int = 0) -> list[bytes]:
    return [leaf_hash(seed.to_bytes(4, "big") + i.to_bytes(8, "big")) for i in range(size)]


def flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def reference_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 9162 §2.1.3.1 defines it."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*reference_path(m, leaves[:k]), root_of_leaves(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), root_of_leaves(leaves[:k])]


def reference_subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) exactly as RFC 9162 §2.1.4.1 defines it."""
    n = len(leaves)
    if m == n:
        return [] if whole else [root_of_leaves(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*reference_subproof(m, leaves[:k], whole), root_of_leaves(leaves[k:])]
    return [*reference_subproof(m - k, leaves[k:], False), root_of_leaves(leaves[:k])]


def log_bound(size: int) -> int:
    return 2 * math.ceil(math.log2(size)) + 2


# --- basic hashes and the RFC 6962 reference tree ------------------------------------------

BASIC = json.loads((VECTORS / "rfc6962-basic.json").read_text())
BASIC_LEAVES = [leaf_hash(bytes.fromhex(item)) for item in BASIC["inputs"]]


def test_empty_root_is_the_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == BASIC["empty_root"]
    assert root_of_leaves([]) == EMPTY_ROOT


def test_leaf_hash_of_the_empty_entry_matches_rfc6962() -> None:
    assert leaf_hash(b"").hex() == BASIC["empty_leaf_hash"]


def test_node_hash_prefixes_one_before_both_children() -> None:
    assert node_hash(BASIC_LEAVES[0], BASIC_LEAVES[1]).hex() == BASIC["nodes"][1][0]


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_tree_roots_match_the_published_roots(size: int) -> None:
    store = Store(BASIC_LEAVES[:size])
    assert root_of_leaves(BASIC_LEAVES[:size]).hex() == BASIC["roots"][size - 1]
    assert root_from(size, store.fetch).hex() == BASIC["roots"][size - 1]


def test_stored_nodes_of_the_reference_tree_are_the_published_node_hashes() -> None:
    expected = {
        (level, index): bytes.fromhex(value)
        for level, row in enumerate(BASIC["nodes"])
        for index, value in enumerate(row)
    }
    assert Store(BASIC_LEAVES).nodes == expected


# --- official transparency-dev/merkle vectors ----------------------------------------------


def load_cases(kind: str) -> dict[str, dict[str, Any]]:
    folder = VECTORS / kind
    return {
        str(path.relative_to(folder)): json.loads(path.read_text())
        for path in sorted(folder.rglob("*.json"))
    }


def cases_where(cases: dict[str, dict[str, Any]], *, want_err: bool) -> list[Any]:
    return [pytest.param(c, id=name) for name, c in cases.items() if c["wantErr"] is want_err]


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def check_inclusion_case(case: dict[str, Any]) -> None:
    proof = [b64(item) for item in case["proof"] or []]
    verify_inclusion(
        b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, b64(case["root"])
    )


def check_consistency_case(case: dict[str, Any]) -> None:
    proof = [b64(item) for item in case["proof"] or []]
    verify_consistency(case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]), proof)


INCLUSION = load_cases("inclusion")
CONSISTENCY = load_cases("consistency")


def test_all_196_official_vectors_are_present() -> None:
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize("case", cases_where(INCLUSION, want_err=False))
def test_official_inclusion_happy_path_verifies(case: dict[str, Any]) -> None:
    check_inclusion_case(case)


@pytest.mark.parametrize("case", cases_where(INCLUSION, want_err=True))
def test_official_inclusion_case_marked_wrong_is_rejected(case: dict[str, Any]) -> None:
    with pytest.raises(VerificationError):
        check_inclusion_case(case)


@pytest.mark.parametrize("case", cases_where(CONSISTENCY, want_err=False))
def test_official_consistency_happy_path_verifies(case: dict[str, Any]) -> None:
    check_consistency_case(case)


@pytest.mark.parametrize("case", cases_where(CONSISTENCY, want_err=True))
def test_official_consistency_case_marked_wrong_is_rejected(case: dict[str, Any]) -> None:
    with pytest.raises(VerificationError):
        check_consistency_case(case)


# --- edge cases ----------------------------------------------------------------------------


def test_inclusion_at_or_past_the_size_is_rejected() -> None:
    leaves = leaves_for(4)
    root = root_of_leaves(leaves)
    for index in (4, 5, -1):
        with pytest.raises(VerificationError):
            verify_inclusion(leaves[0], index, 4, [], root)


def test_inclusion_with_a_short_hash_is_rejected() -> None:
    store = Store(leaves_for(5))
    proof = inclusion_proof(2, 5, store.fetch)
    root = root_from(5, store.fetch)
    with pytest.raises(VerificationError):
        verify_inclusion(store.nodes[(0, 2)], 2, 5, [*proof[:-1], proof[-1][:31]], root)
    with pytest.raises(VerificationError):
        verify_inclusion(store.nodes[(0, 2)], 2, 5, proof, root + b"\x00")


def test_a_proof_with_a_trailing_hash_is_refused_as_longer_than_the_path() -> None:
    store = Store(leaves_for(6))
    root = root_from(6, store.fetch)
    proof = [*inclusion_proof(4, 6, store.fetch), root]
    with pytest.raises(VerificationError, match="longer"):
        verify_inclusion(store.nodes[(0, 4)], 4, 6, proof, root)
    old_root = root_from(3, store.fetch)
    proof = [*consistency_proof(3, 6, store.fetch), root]
    with pytest.raises(ConsistencyError, match="longer"):
        verify_consistency(3, 6, old_root, root, proof)


def test_a_consistency_proof_with_a_short_hash_is_malformed() -> None:
    store = Store(leaves_for(6))
    old_root, new_root = root_from(3, store.fetch), root_from(6, store.fetch)
    proof = consistency_proof(3, 6, store.fetch)
    for bad in ([*proof[:-1], proof[-1][:31]], proof):
        roots = (old_root, new_root) if bad is not proof else (old_root[:31], new_root)
        with pytest.raises(VerificationError, match="not 32") as caught:
            verify_consistency(3, 6, *roots, bad)
        assert not isinstance(caught.value, ConsistencyError)


def test_consistency_from_an_empty_tree_is_refused_even_with_matching_roots() -> None:
    with pytest.raises(VerificationError):
        verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_a_log_that_does_not_extend_what_we_saw_raises_consistency_error() -> None:
    store = Store(leaves_for(7))
    proof = consistency_proof(3, 7, store.fetch)
    other = root_of_leaves(leaves_for(3, seed=1))
    with pytest.raises(ConsistencyError):
        verify_consistency(3, 7, other, root_from(7, store.fetch), proof)
    with pytest.raises(ConsistencyError):
        verify_consistency(7, 3, root_from(7, store.fetch), other, [])


def test_proving_outside_the_tree_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        inclusion_proof_node_ids(5, 5)
    with pytest.raises(InvalidInputError):
        consistency_proof_node_ids(0, 5)
    with pytest.raises(InvalidInputError):
        consistency_proof_node_ids(6, 5)
    with pytest.raises(InvalidInputError):
        frontier_ids(-1)


def test_equal_sizes_give_an_empty_consistency_proof_without_reading_storage() -> None:
    store = Store(leaves_for(6))
    assert consistency_proof(6, 6, store.fetch) == []
    assert store.reads == []
    verify_consistency(6, 6, root_from(6, store.fetch), root_from(6, store.fetch), [])


def test_root_of_the_empty_tree_reads_nothing() -> None:
    store = Store([])
    assert root_from(0, store.fetch) == EMPTY_ROOT
    assert store.reads == []


def test_storage_missing_a_node_is_reported_by_its_id() -> None:
    with pytest.raises(KeyError, match=r"\(1, 0\)"):
        root_from(2, lambda ids: {})


def test_appending_a_hash_of_the_wrong_length_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        nodes_to_store(0, [b"short"], {})


def test_frontier_of_eleven_leaves_is_eight_then_two_then_one() -> None:
    assert frontier_ids(11) == [(3, 0), (1, 4), (0, 10)]


# --- properties over stored trees ----------------------------------------------------------


@given(size=sizes, data=st.data())
def test_every_inclusion_proof_is_the_rfc_path_and_verifies(size: int, data: st.DataObject) -> None:
    leaves = leaves_for(size)
    store = Store(leaves)
    root = root_of_leaves(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, store.fetch)
    assert proof == reference_path(index, leaves)
    verify_inclusion(leaves[index], index, size, proof, root)


@given(size=sizes)
def test_every_leaf_of_a_tree_has_a_verifying_inclusion_proof(size: int) -> None:
    leaves = leaves_for(size, seed=size)
    store = Store(leaves)
    root = root_from(size, store.fetch)
    assert root == root_of_leaves(leaves)
    for index in range(0, size, max(1, size // 40)):
        verify_inclusion(
            leaves[index], index, size, inclusion_proof(index, size, store.fetch), root
        )


@given(new_size=sizes, data=st.data())
def test_every_consistency_proof_is_the_rfc_proof_and_verifies(
    new_size: int, data: st.DataObject
) -> None:
    leaves = leaves_for(new_size)
    store = Store(leaves)
    old_size = data.draw(st.integers(1, new_size))
    proof = consistency_proof(old_size, new_size, store.fetch)
    assert proof == reference_subproof(old_size, leaves, True)
    old_root, new_root = root_of_leaves(leaves[:old_size]), root_of_leaves(leaves)
    verify_consistency(old_size, new_size, old_root, new_root, proof)


@given(size=sizes, data=st.data())
def test_flipping_any_bit_of_an_inclusion_proof_root_or_leaf_fails(
    size: int, data: st.DataObject
) -> None:
    leaves = leaves_for(size)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, Store(leaves).fetch)
    parts = [leaves[index], root_of_leaves(leaves), *proof]
    target = data.draw(st.integers(0, len(parts) - 1))
    parts[target] = flip(parts[target], data.draw(st.integers(0, 255)))
    with pytest.raises(VerificationError):
        verify_inclusion(parts[0], index, size, parts[2:], parts[1])


@given(new_size=sizes.filter(lambda n: n > 1), data=st.data())
def test_flipping_any_bit_of_a_consistency_proof_or_root_fails(
    new_size: int, data: st.DataObject
) -> None:
    leaves = leaves_for(new_size)
    old_size = data.draw(st.integers(1, new_size - 1))
    proof = consistency_proof(old_size, new_size, Store(leaves).fetch)
    parts = [root_of_leaves(leaves[:old_size]), root_of_leaves(leaves), *proof]
    target = data.draw(st.integers(0, len(parts) - 1))
    parts[target] = flip(parts[target], data.draw(st.integers(0, 255)))
    with pytest.raises(ConsistencyError):
        verify_consistency(old_size, new_size, parts[0], parts[1], parts[2:])


@given(size=sizes, data=st.data())
def test_a_proof_checked_at_another_index_or_size_fails(size: int, data: st.DataObject) -> None:
    leaves = leaves_for(size + 1)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, Store(leaves).fetch)
    root = root_of_leaves(leaves[:size])
    other = data.draw(st.integers(0, size).filter(lambda i: i != index))
    with pytest.raises(VerificationError):
        verify_inclusion(leaves[other], other, size, proof, root)
    with pytest.raises(VerificationError):
        verify_inclusion(leaves[index], index, size + 1, proof, root_of_leaves(leaves))


@given(size=sizes, cuts=st.lists(st.integers(0, 513), max_size=12))
def test_appending_in_random_batches_stores_the_same_nodes_as_one_by_one(
    size: int, cuts: list[int]
) -> None:
    leaves = leaves_for(size)
    one_by_one: dict[NodeId, bytes] = {}
    for index, leaf in enumerate(leaves):
        frontier = {node_id: one_by_one[node_id] for node_id in frontier_ids(index)}
        one_by_one.update(nodes_to_store(index, [leaf], frontier))
    batched: dict[NodeId, bytes] = {}
    bounds = sorted({0, size, *(cut for cut in cuts if cut < size)})
    for begin, end in itertools.pairwise(bounds):
        frontier = {node_id: batched[node_id] for node_id in frontier_ids(begin)}
        new = nodes_to_store(begin, leaves[begin:end], frontier)
        assert len(new) == len(dict(new)), "a node was written twice"
        batched.update(new)
        known = {**frontier, **dict(new)}
        assert root_from(end, reader(known)) == root_of_leaves(leaves[:end])
    assert batched == one_by_one


@given(size=sizes)
def test_stored_nodes_are_exactly_the_perfect_subtrees(size: int) -> None:
    leaves = leaves_for(size)
    expected = {
        (level, index): root_of_leaves(leaves[index << level : (index + 1) << level])
        for level in range(size.bit_length())
        for index in range(size >> level)
    }
    assert Store(leaves).nodes == expected


def assert_one_small_read_of_perfect_nodes(store: Store, size: int) -> None:
    assert len(store.reads) <= 1
    for ids in store.reads:
        assert len(ids) <= log_bound(size)
        assert all((index + 1) << level <= size for level, index in ids)


@given(size=sizes, data=st.data())
def test_each_proof_reads_storage_once_for_log_n_perfect_nodes(
    size: int, data: st.DataObject
) -> None:
    store = Store(leaves_for(size))
    index = data.draw(st.integers(0, size - 1))
    inclusion_proof(index, size, store.fetch)
    assert store.reads in ([inclusion_proof_node_ids(index, size)], [])
    assert_one_small_read_of_perfect_nodes(store, size)
    store.reads.clear()
    old_size = data.draw(st.integers(1, size))
    consistency_proof(old_size, size, store.fetch)
    assert store.reads in ([consistency_proof_node_ids(old_size, size)], [])
    assert_one_small_read_of_perfect_nodes(store, size)
    store.reads.clear()
    root_from(size, store.fetch)
    assert_one_small_read_of_perfect_nodes(store, size)


@settings(max_examples=25)
@given(size=st.integers(10**6, 10**7), data=st.data())
def test_node_ids_for_ten_million_leaves_stay_logarithmic(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    old_size = data.draw(st.integers(1, size))
    for ids in (
        inclusion_proof_node_ids(index, size),
        consistency_proof_node_ids(old_size, size),
        frontier_ids(size),
    ):
        assert len(ids) <= log_bound(size)
        assert all((i + 1) << level <= size for level, i in ids)
