"""Accord's Merkle tree (RFC 9162 §2.1): hashes, storage plans, proofs and their verification.

Pure Python over ``hashlib``: no database and no I/O, so the same code serves the log that
appends, the API that proves, and the auditor that checks.

Storage model: a tree is kept as the hashes of its *perfect* subtrees, each named by a
``NodeId = (level, index)``; level 0 holds the leaf hashes and node ``(l, i)`` covers leaves
``[i·2^l, (i+1)·2^l)``. Nothing else is ever stored: the hash of a subtree that is not yet
full is folded from perfect nodes when a proof needs it. So

- appending k leaves to a tree of n reads the O(log n) nodes of ``frontier_ids(n)`` and
  writes what ``nodes_to_store`` returns: O(k + log n) hashes;
- a root or a proof reads O(log n) nodes in one batch: ``root_from``, ``inclusion_proof`` and
  ``consistency_proof`` call their ``fetch`` at most once (never for an empty list), and the
  ``*_node_ids`` functions say beforehand what that call will ask for.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and fails closed: ``verify_*`` returns
``None`` or raises ``VerificationError`` (``ConsistencyError`` where a log did not prove it
extends an earlier tree). Bad arguments to the proving side raise ``InvalidInputError``; a
``fetch`` that omits a node it was asked for raises ``KeyError`` (a storage bug, not input).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, TypeAlias

from accord.errors import ConsistencyError, InvalidInputError, VerificationError

HASH_SIZE = 32
NodeId: TypeAlias = tuple[int, int]
Fetch: TypeAlias = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 ‖ entry): the hash of one log entry."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


def root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) computed straight from the RFC's recursive definition (reference, audits)."""
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def _mth(leaf_hashes: Sequence[bytes], begin: int, end: int) -> bytes:
    n = end - begin
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[begin]
    split = begin + (1 << ((n - 1).bit_length() - 1))
    return node_hash(_mth(leaf_hashes, begin, split), _mth(leaf_hashes, split, end))


# --- which perfect nodes cover what --------------------------------------------------------


def _range_ids(begin: int, end: int) -> list[NodeId]:
    """The perfect nodes tiling [begin, end), left to right (begin aligned to the largest)."""
    ids: list[NodeId] = []
    span = end - begin
    while span:
        level = span.bit_length() - 1
        ids.append((level, begin >> level))
        begin += 1 << level
        span -= 1 << level
    return ids


def frontier_ids(size: int) -> list[NodeId]:
    """The perfect nodes that tile [0, size), left to right: what an append or a root reads."""
    _require_size(size)
    return _range_ids(0, size)


class _Plan(NamedTuple):
    """Node ids for a proof: ``ids[:fold_start]`` and ``ids[fold_end:]`` are proof hashes as
    they are; ``ids[fold_start:fold_end]`` tile a subtree that is not full and fold into one."""

    ids: list[NodeId]
    fold_start: int
    fold_end: int


def _path_plan(level: int, index: int, size: int) -> _Plan:
    """The audit path of perfect node (level, index) in a tree of ``size`` leaves, bottom up.

    Below the fork (where the node's path leaves the path to leaf ``size``) every sibling is
    perfect; at the fork the sibling is the unfinished range [end, size); above it only left
    siblings remain, which tile [0, begin).
    """
    inner = (index ^ (size >> level)).bit_length() - 1
    fork_level = level + inner
    begin = (index >> inner) << fork_level
    end = begin + (1 << fork_level)
    ids = [(level + k, (index >> k) ^ 1) for k in range(inner)]
    right = _range_ids(end, size)
    left = _range_ids(0, begin)
    left.reverse()
    return _Plan([*ids, *right, *left], inner, inner + len(right))


def _inclusion_plan(index: int, size: int) -> _Plan:
    if not 0 <= index < size:
        raise InvalidInputError(f"leaf index {index} is not in a tree of size {size}")
    return _path_plan(0, index, size)


def _consistency_plan(old_size: int, new_size: int) -> _Plan:
    if not 0 < old_size <= new_size:
        raise InvalidInputError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size == new_size:
        return _Plan([], 0, 0)
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    plan = _path_plan(level, index, new_size)
    if index == 0:  # old_size is a power of two: the verifier already holds that root
        return plan
    return _Plan([(level, index), *plan.ids], plan.fold_start + 1, plan.fold_end + 1)


def inclusion_proof_node_ids(index: int, size: int) -> list[NodeId]:
    """The perfect nodes ``inclusion_proof(index, size, …)`` will fetch."""
    return _inclusion_plan(index, size).ids


def consistency_proof_node_ids(old_size: int, new_size: int) -> list[NodeId]:
    """The perfect nodes ``consistency_proof(old_size, new_size, …)`` will fetch."""
    return _consistency_plan(old_size, new_size).ids


# --- appending -----------------------------------------------------------------------------


def nodes_to_store(
    size: int, new_leaf_hashes: Sequence[bytes], frontier: Mapping[NodeId, bytes]
) -> list[tuple[NodeId, bytes]]:
    """Every perfect node (leaves included) that appending ``new_leaf_hashes`` creates.

    ``frontier`` must hold the hashes of ``frontier_ids(size)``. The new tree's frontier lies
    in ``frontier`` plus the result, so its root needs no second read.
    """
    _require_size(size)
    stack = [frontier[node_id] for node_id in _range_ids(0, size)]
    out: list[tuple[NodeId, bytes]] = []
    index = size
    for value in new_leaf_hashes:
        if len(value) != HASH_SIZE:
            raise InvalidInputError(f"leaf hash for index {index} is not {HASH_SIZE} bytes")
        out.append(((0, index), value))
        level, position = 0, index
        while position & 1:
            value = _sha256(b"\x01" + stack.pop() + value).digest()
            level, position = level + 1, position >> 1
            out.append(((level, position), value))
        stack.append(value)
        index += 1
    return out


# --- reading roots and proofs from storage -------------------------------------------------


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The root over perfect nodes tiling a range left to right, largest first."""
    value = hashes[-1]
    for left in reversed(hashes[:-1]):
        value = _sha256(b"\x01" + left + value).digest()
    return value


def _fetch_all(ids: list[NodeId], fetch: Fetch) -> list[bytes]:
    found = fetch(ids)
    try:
        return [found[node_id] for node_id in ids]
    except KeyError as exc:
        raise KeyError(f"storage returned no hash for Merkle node {exc.args[0]}") from None


def _assemble(plan: _Plan, fetch: Fetch) -> list[bytes]:
    if not plan.ids:
        return []
    hashes = _fetch_all(plan.ids, fetch)
    proof = hashes[: plan.fold_start]
    if plan.fold_end > plan.fold_start:
        proof.append(_fold(hashes[plan.fold_start : plan.fold_end]))
    proof.extend(hashes[plan.fold_end :])
    return proof


def root_from(size: int, fetch: Fetch) -> bytes:
    """MTH of the first ``size`` leaves, from the nodes of ``frontier_ids(size)``."""
    ids = frontier_ids(size)
    return _fold(_fetch_all(ids, fetch)) if ids else EMPTY_ROOT


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, bottom up."""
    return _assemble(_inclusion_plan(index, size), fetch)


def consistency_proof(old_size: int, new_size: int, fetch: Fetch) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1 (empty for equal sizes)."""
    return _assemble(_consistency_plan(old_size, new_size), fetch)


# --- verification (fails closed) -----------------------------------------------------------


def _require_size(size: int) -> None:
    if size < 0:
        raise InvalidInputError(f"tree size {size} is negative")


def _require_hashes(*hashes: bytes) -> None:
    for value in hashes:
        if len(value) != HASH_SIZE:
            raise VerificationError(f"a hash is {len(value)} bytes, not {HASH_SIZE}")


def _lowest_bit_shift(value: int) -> int:
    """How far to shift right until the lowest set bit is bit 0 (0 for value 0)."""
    return (value & -value).bit_length() - 1 if value else 0


def _root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    fn, sn, value = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the audit path")
        if fn & 1 or fn == sn:
            value = _sha256(b"\x01" + sibling + value).digest()
            shift = _lowest_bit_shift(fn)
            fn, sn = fn >> shift, sn >> shift
        else:
            value = _sha256(b"\x01" + value + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("inclusion proof is shorter than the audit path")
    return value


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    _require_hashes(leaf_hash, root, *proof)
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is not in a tree of size {size}")
    computed = _root_from_inclusion(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise VerificationError("inclusion proof does not lead to the expected root")


def _roots_from_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    shift = _lowest_bit_shift(~fn & (fn + 1))  # drop fn's trailing ones
    fn, sn = fn >> shift, sn >> shift
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ConsistencyError("consistency proof is longer than the path")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + node + fr).digest()
            sr = _sha256(b"\x01" + node + sr).digest()
            shift = _lowest_bit_shift(fn)
            fn, sn = fn >> shift, sn >> shift
        else:
            sr = _sha256(b"\x01" + sr + node).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ConsistencyError("consistency proof is shorter than the path")
    return fr, sr


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (new_size, new_root) extends (old_size, old_root).

    A proof from size 0 proves nothing and is refused. Equal sizes need an empty proof and
    identical roots; as the official vectors require, that case compares without hashing.
    """
    if old_size < 1:
        raise VerificationError("a consistency proof from an empty tree proves nothing")
    if old_size > new_size:
        raise ConsistencyError(f"the tree shrank from {old_size} to {new_size} leaves")
    if old_size == new_size:
        if proof or not hmac.compare_digest(old_root, new_root):
            raise ConsistencyError(f"two different trees of size {old_size}")
        return
    _require_hashes(old_root, new_root, *proof)
    if not proof:
        raise ConsistencyError("empty consistency proof between different sizes")
    fr, sr = _roots_from_consistency(old_size, new_size, old_root, proof)
    if not (hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)):
        raise ConsistencyError("consistency proof does not lead to both roots")
