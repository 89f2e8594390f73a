"""The auditor's helpers for large logs: the root of leaves read a page at a time, and the
entries whose inclusion proofs an audit checks."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from accord.ledger import notes
from accord.ledger.audit import FULL_PROOF_LIMIT, SAMPLED_PROOFS, RunningRoot, proof_indexes
from accord.ledger.merkle import leaf_hash, root_of_leaves


def _checkpoint(leaves: list[bytes]) -> notes.Checkpoint:
    return notes.Checkpoint("audit.example", len(leaves), root_of_leaves(leaves))


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=12))
def test_the_running_root_of_pages_is_the_root_of_all_their_leaves(pages: list[int]) -> None:
    leaves = [leaf_hash(n.to_bytes(4, "big")) for n in range(sum(pages))]
    running, start = RunningRoot(), 0
    for count in pages:
        running.add(leaves[start : start + count])
        start += count
    assert running.check(_checkpoint(leaves)) == []
    assert len(running.frontier) == bin(len(leaves)).count("1")


def test_the_running_root_names_a_changed_leaf_and_a_missing_one() -> None:
    leaves = [leaf_hash(bytes([n])) for n in range(25)]
    changed = RunningRoot()
    changed.add([*leaves[:7], leaf_hash(b"other"), *leaves[8:]])
    short = RunningRoot()
    short.add(leaves[:24])
    assert [f.code for f in changed.check(_checkpoint(leaves))] == ["ROOT_MISMATCH"]
    assert [f.code for f in short.check(_checkpoint(leaves))] == ["MISSING_ENTRIES"]


def test_a_small_log_gets_every_proof_and_a_large_one_a_sample_with_its_newest() -> None:
    rng = random.Random(7)
    assert list(proof_indexes(FULL_PROOF_LIMIT, rng)) == list(range(FULL_PROOF_LIMIT))
    sample = proof_indexes(100_000, rng)
    assert len(sample) in (SAMPLED_PROOFS, SAMPLED_PROOFS + 1)
    assert sample[-1] == 99_999
    assert list(sample) == sorted(set(sample))
