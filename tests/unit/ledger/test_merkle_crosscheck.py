"""Accord's Merkle roots and proofs against Go's ``golang.org/x/mod/sumdb/tlog``.

tlog is an independent RFC 6962 implementation (the Go checksum database's log). The helper
in ``tests/crosscheck/tlog/main.go`` is built offline in GOPATH mode against Debian's
``golang-golang-x-mod-dev`` source; without ``go`` or that package these tests skip and say so.
tlog's empty tree has an all-zero root, where RFC 9162 says SHA-256 of nothing: checked apart.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from accord.ledger.merkle import (
    EMPTY_ROOT,
    NodeId,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    nodes_to_store,
    root_from,
    verify_consistency,
    verify_inclusion,
)

PROGRAM = Path(__file__).resolve().parents[2] / "crosscheck" / "tlog" / "main.go"
GOPATHS = [os.environ.get("ACCORD_TLOG_GOPATH", ""), "/usr/share/gocode"]
TLOG_PACKAGE = Path("src/golang.org/x/mod/sumdb/tlog")
APT_HINT = "apt-get install golang-go golang-golang-x-mod-dev"
TREE_SIZE = 600
EXHAUSTIVE_UP_TO = 48


def find_gopath() -> str | None:
    for gopath in GOPATHS:
        if gopath and (Path(gopath) / TLOG_PACKAGE / "tlog.go").is_file():
            return gopath
    return None


@pytest.fixture(scope="module")
def tlog_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.skip(f"no `go` on PATH, so no tlog cross-check ({APT_HINT})")
    gopath = find_gopath()
    if gopath is None:
        pytest.skip(f"golang.org/x/mod/sumdb/tlog not under {GOPATHS} ({APT_HINT})")
    workdir = tmp_path_factory.mktemp("tlog")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": gopath,
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(workdir / "cache"),
    }
    binary = workdir / "tlog-crosscheck"
    subprocess.run([go, "build", "-o", str(binary), str(PROGRAM)], env=env, check=True, timeout=300)
    return binary


def ask_tlog(binary: Path, request: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [str(binary)], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def random_entries(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randrange(0, 41)) for _ in range(count)]


def size_pairs(seed: int) -> list[tuple[int, int]]:
    """Every (small, big) pair up to EXHAUSTIVE_UP_TO, then random pairs up to TREE_SIZE."""
    rng = random.Random(seed)
    pairs = [(m, n) for n in range(1, EXHAUSTIVE_UP_TO + 1) for m in range(1, n + 1)]
    for _ in range(1500):
        n = rng.randrange(1, TREE_SIZE + 1)
        pairs.append((rng.randrange(1, n + 1), n))
    return pairs


class Tree:
    def __init__(self, entries: Sequence[bytes]) -> None:
        self.nodes = dict(nodes_to_store(0, [leaf_hash(e) for e in entries], {}))

    def fetch(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        return {node_id: self.nodes[node_id] for node_id in ids}


@pytest.fixture(scope="module")
def crosscheck(tlog_binary: Path) -> tuple[Tree, list[tuple[int, int]], dict[str, Any]]:
    entries = random_entries(seed=9162, count=TREE_SIZE)
    pairs = size_pairs(seed=6962)
    request = {
        "leaves": [entry.hex() for entry in entries],
        "roots": list(range(TREE_SIZE + 1)),
        "inclusion": [[m - 1, n] for m, n in pairs],
        "consistency": [[m, n] for m, n in pairs],
    }
    return Tree(entries), pairs, ask_tlog(tlog_binary, request)


def test_roots_of_every_size_match_tlog(crosscheck: Any) -> None:
    tree, _, answer = crosscheck
    ours = [root_from(size, tree.fetch).hex() for size in range(1, TREE_SIZE + 1)]
    assert ours == answer["roots"][1:]


def test_empty_tree_root_differs_from_tlog_by_definition_only(crosscheck: Any) -> None:
    tree, _, answer = crosscheck
    assert answer["roots"][0] == "00" * 32
    assert root_from(0, tree.fetch) == EMPTY_ROOT


def test_inclusion_proofs_match_tlog_and_verify(crosscheck: Any) -> None:
    tree, pairs, answer = crosscheck
    for (m, n), theirs in zip(pairs, answer["inclusion"], strict=True):
        ours = inclusion_proof(m - 1, n, tree.fetch)
        assert [h.hex() for h in ours] == theirs, (m - 1, n)
        root = root_from(n, tree.fetch)
        verify_inclusion(tree.nodes[(0, m - 1)], m - 1, n, [bytes.fromhex(h) for h in theirs], root)


def test_consistency_proofs_match_tlog_and_verify(crosscheck: Any) -> None:
    tree, pairs, answer = crosscheck
    for (m, n), theirs in zip(pairs, answer["consistency"], strict=True):
        ours = consistency_proof(m, n, tree.fetch)
        assert [h.hex() for h in ours] == theirs, (m, n)
        old_root, new_root = root_from(m, tree.fetch), root_from(n, tree.fetch)
        verify_consistency(m, n, old_root, new_root, [bytes.fromhex(h) for h in theirs])
