"""Signed-log benchmark: durable record appends/s, proof times at scale, and a PyPI peer.

Run from the repository root:

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/log.py                   # full run (1M and 10M-leaf trees)
    .venv/bin/python benchmarks/log.py --quick           # smoke run, small sizes
    .venv/bin/python benchmarks/log.py --only proofs --max-leaves 4000000
    .venv/bin/python benchmarks/log.py --only appends --profile   # cProfile the batched path

PostgreSQL is used when ``ACCORD_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) is reachable; the benchmark works in a
fresh schema that it drops afterwards. SQLite files live in a temporary directory under
/tmp that is deleted at the end.

It prints, in one run, each Accord figure beside a floor measured in the same process:

1. ``appends``: durable record appends/s — sign (Ed25519) + canonical envelope + hash +
   store in the Merkle log + commit — through ``RecordWriter.draft/write`` with one signed
   checkpoint per transaction, batched (many records per transaction) and single (one per
   transaction), on SQLite (the node defaults: WAL, synchronous=FULL) and PostgreSQL. Floors:
   SHA-256 leaf hashing of the same entry bytes, Ed25519 signing of the same envelopes, and
   an empty durable commit of one row.
2. ``proofs``: inclusion and consistency proof generation through
   ``SqlLogRepository.fetch_nodes`` (one query per proof) plus verification, over random
   indexes, on trees of 1M and 10M leaves (built by appending leaf hashes directly, unsigned),
   beside the same proofs over an in-memory copy of the tree (the floor).
3. ``pymerkle``: the PyPI package ``pymerkle`` (SHA-256 with RFC 9162 0x00/0x01 prefixes) on
   the same 100k leaves: append rates, proof times (in memory and on SQLite), and whether its
   roots equal ours.

It is a benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import platform
import pstats
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.sharing import Scope, Tlp
from accord.ledger import merkle
from accord.ledger.merkle import NodeId
from accord.ledger.records import Envelope, body_digest, new_salt, open_entry, seal
from accord.services.records import RecordWriter

POSTGRES = os.environ.get(
    "ACCORD_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AUTHOR = "EE"
BUILD_CHUNK = 1 << 16  # leaves per transaction when building big trees


@dataclass(frozen=True, slots=True)
class Plan:
    batches: int  # transactions in the batched append run
    batch_size: int  # records per transaction
    singles: int  # one-record transactions
    proof_sizes: tuple[int, ...]
    samples: int  # random proofs per measurement
    peer_leaves: int


FULL = Plan(
    batches=10,
    batch_size=1000,
    singles=300,
    proof_sizes=(1_000_000, 10_000_000),
    samples=1000,
    peer_leaves=100_000,
)
QUICK = Plan(
    batches=2,
    batch_size=200,
    singles=30,
    proof_sizes=(10_000, 50_000),
    samples=100,
    peer_leaves=5_000,
)


# --- printing --------------------------------------------------------------------------------


def heading(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<58} {value:>14}  {note}")


def per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def micro(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def ratio(numerator: float, denominator: float) -> str:
    return f"×{numerator / denominator:,.2f}" if denominator else ""


def machine_facts() -> None:
    heading("Machine")
    row("CPU", _cpu_model())
    row("cores (nproc)", str(os.cpu_count()))
    row("Python", platform.python_version())
    row("SQLite", sqlite3.sqlite_version)
    row("PostgreSQL", _postgres_version() or "unreachable")
    row("load average (1, 5, 15 min)", " ".join(f"{x:.2f}" for x in os.getloadavg()))


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _postgres_version() -> str | None:
    try:
        engine = create_engine(POSTGRES)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return str(version)
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return None


# --- nodes on SQLite and PostgreSQL ----------------------------------------------------------


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="accord-bench-log-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def database_url(engine: str, directory: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / 'accord.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES else "?"
    try:
        yield f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def accord_node(engine: str, *, author: bool = True) -> Iterator[Node]:
    """A node with default settings; with ``author``, one participant (whose key registration
    is the log's first record) to write as, else an empty log."""
    with workdir() as directory, database_url(engine, directory) as url:
        node = build(Settings(data_dir=directory, database_url=url, node_name="bench"))
        try:
            if author:
                node.identity.add_participant(AUTHOR, "Estonia", "state")
            yield node
        finally:
            node.close()


def engines() -> list[str]:
    return ["sqlite", "postgresql"] if _postgres_version() else ["sqlite"]


# --- 1. durable appends ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppendRun:
    records: int
    seconds: float
    entries: list[bytes]
    envelopes: list[Envelope]


def append_records(node: Node, transactions: int, per_transaction: int) -> AppendRun:
    """Seal, write and checkpoint records, ``per_transaction`` of them per unit of work."""
    uow = SqlUnitOfWorkFactory(node.engine)
    writer = RecordWriter(node.keystore, node.clock)
    scope = Scope(Tlp.GREEN)
    entries: list[bytes] = []
    envelopes: list[Envelope] = []
    indexes: list[int] = []
    start = time.perf_counter()
    for transaction in range(transactions):
        with uow() as unit:
            drafts = [
                writer.draft(
                    kind="bench.note",
                    author=AUTHOR,
                    scope=scope,
                    body=_body(transaction * per_transaction + n),
                )
                for n in range(per_transaction)
            ]
            stored = writer.write(unit, drafts)
            node.log.sign_checkpoint(unit)
            indexes.extend(record.log_index for record in stored)
    elapsed = time.perf_counter() - start
    with uow(readonly=True) as unit:  # the written entries, for the floors below
        written = unit.log.entries(indexes[0], indexes[-1] + 1)
    entries.extend(bytes(row["entry"]) for row in written)
    envelopes.extend(open_entry(entry).envelope for entry in entries)
    return AppendRun(len(entries), elapsed, entries, envelopes)


def _body(n: int) -> dict[str, object]:
    return {"n": n, "text": "benchmark record", "tags": ["log", "bench"]}


def durable_commit_floor(node: Node, commits: int) -> float:
    """Seconds for ``commits`` one-row transactions on the node's engine: the fsync floor."""
    with node.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE bench_floor (k BIGINT PRIMARY KEY, v BYTEA)"
            if node.engine.dialect.name == "postgresql"
            else "CREATE TABLE bench_floor (k INTEGER PRIMARY KEY, v BLOB)"
        )
    payload = os.urandom(32)
    start = time.perf_counter()
    for k in range(commits):
        with node.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bench_floor VALUES (:k, :v)"), {"k": k, "v": payload}
            )
    return time.perf_counter() - start


def hash_floor(entries: Sequence[bytes]) -> float:
    start = time.perf_counter()
    for entry in entries:
        merkle.leaf_hash(entry)
    return time.perf_counter() - start


def sign_floor(envelopes: Sequence[Envelope]) -> float:
    """Ed25519 over the exact signing bytes (prepared beforehand: signing only)."""
    key = Ed25519PrivateKey.generate()
    messages = [envelope.signing_bytes() for envelope in envelopes]
    start = time.perf_counter()
    for message in messages:
        key.sign(message)
    return time.perf_counter() - start


def seal_floor(envelopes: Sequence[Envelope]) -> float:
    """``ledger.records.seal`` alone: canonical JSON twice + Ed25519, no database."""
    key = Ed25519PrivateKey.generate()
    fresh = [_fresh_envelope(e) for e in envelopes]
    start = time.perf_counter()
    for envelope in fresh:
        seal(envelope, key.sign)
    return time.perf_counter() - start


def _fresh_envelope(envelope: Envelope) -> Envelope:
    return Envelope(
        kind=envelope.kind,
        author=envelope.author,
        seq=envelope.seq,
        created_at=datetime.now(UTC),
        scope=envelope.scope,
        body_digest=body_digest(_body(envelope.seq)),
        salt=new_salt(),
        key_id=envelope.key_id,
    )


def appends_benchmark(plan: Plan, profile: bool) -> None:
    heading("1. Durable record appends (sign + canonical envelope + hash + log + commit)")
    print(
        "  anchors: Tessera POSIX ≈ 10,000/s; Trillian on MySQL 400–500/s; "
        "target ≥ 10,000/s batched on SQLite"
    )
    floors_done = False
    for engine in engines():
        with accord_node(engine) as node:
            batched = append_records(node, plan.batches, plan.batch_size)
            single = append_records(node, plan.singles, 1)
            commit_seconds = durable_commit_floor(node, plan.singles)
        print(f"  [{engine}]")
        batched_rate = batched.records / batched.seconds
        row(
            f"Accord batched ({plan.batch_size}/transaction + checkpoint)",
            per_second(batched.records, batched.seconds),
            f"{ratio(batched_rate, 10_000)} of the 10,000/s target",
        )
        single_rate = single.records / single.seconds
        row(
            "Accord single (1/transaction + checkpoint)",
            per_second(single.records, single.seconds),
            f"{ratio(single_rate, 450)} of Trillian/MySQL (450/s)",
        )
        row(
            "floor: empty durable commit of one row",
            per_second(plan.singles, commit_seconds),
            f"Accord single at {ratio(single_rate, plan.singles / commit_seconds)}",
        )
        if not floors_done:
            _print_cpu_floors(batched, batched_rate)
            floors_done = True
    if profile:
        profile_batched(plan)


def _print_cpu_floors(run: AppendRun, accord_rate: float) -> None:
    print("  [CPU floors, same entries and envelopes]")
    for label, seconds in (
        ("floor: SHA-256 leaf hash of the entry bytes", hash_floor(run.entries)),
        ("floor: Ed25519 sign of the envelope bytes", sign_floor(run.envelopes)),
        ("floor: ledger.seal (canonical JSON ×2 + Ed25519), no DB", seal_floor(run.envelopes)),
    ):
        rate = run.records / seconds
        row(
            label,
            per_second(run.records, seconds),
            f"Accord batched SQLite at {ratio(accord_rate, rate)}",
        )


def profile_batched(plan: Plan) -> None:
    heading("cProfile of the batched SQLite path (top 25 by own time)")
    with accord_node("sqlite") as node:
        profiler = cProfile.Profile()
        profiler.enable()
        append_records(node, plan.batches, plan.batch_size)
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


# --- 2. proofs at scale ----------------------------------------------------------------------


def leaf_hashes(count: int) -> list[bytes]:
    return [merkle.leaf_hash(_entry(i)) for i in range(count)]


def _entry(i: int) -> bytes:
    return b"accord benchmark entry %d" % i


class MemoryTree:
    """The perfect nodes of a tree as one list per level: the in-memory floor for proofs."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [leaves]
        sha = hashlib.sha256
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [
                    sha(b"\x01" + below[i] + below[i + 1]).digest()
                    for i in range(0, len(below) - 1, 2)
                ]
            )

    def fetch(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        levels = self.levels
        return {(level, idx): levels[level][idx] for level, idx in ids}


def grow_sql_tree(node: Node, leaves: Sequence[bytes], size: int) -> float:
    """Append leaves up to ``size`` with SqlLogRepository.append, BUILD_CHUNK per transaction."""
    uow = SqlUnitOfWorkFactory(node.engine)
    start = time.perf_counter()
    with uow() as unit:
        current = unit.log.size()
    for begin in range(current, size, BUILD_CHUNK):
        with uow() as unit:
            unit.log.append(leaves[begin : min(begin + BUILD_CHUNK, size)])
    node.log.ensure_checkpoint()
    return time.perf_counter() - start


@dataclass(frozen=True, slots=True)
class ProofTimes:
    inclusion_prove: float  # seconds per proof
    inclusion_verify: float
    consistency_prove: float
    consistency_verify: float

    @property
    def inclusion(self) -> float:
        return self.inclusion_prove + self.inclusion_verify

    @property
    def consistency(self) -> float:
        return self.consistency_prove + self.consistency_verify


def time_proofs(
    fetch: Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]],
    memory: MemoryTree,
    size: int,
    samples: int,
    seed: int = 0,
) -> ProofTimes:
    rng = random.Random(size + seed)
    indexes = [rng.randrange(size) for _ in range(samples)]
    olds = [rng.randrange(1, size) for _ in range(samples)]
    root = merkle.root_from(size, memory.fetch)
    old_roots = [merkle.root_from(old, memory.fetch) for old in olds]
    leaves = memory.levels[0]

    start = time.perf_counter()
    inclusion = [merkle.inclusion_proof(i, size, fetch) for i in indexes]
    proved = time.perf_counter()
    for i, proof in zip(indexes, inclusion, strict=True):
        merkle.verify_inclusion(leaves[i], i, size, proof, root)
    verified = time.perf_counter()
    consistency = [merkle.consistency_proof(old, size, fetch) for old in olds]
    proved_c = time.perf_counter()
    for old, old_root, proof in zip(olds, old_roots, consistency, strict=True):
        merkle.verify_consistency(old, size, old_root, root, proof)
    verified_c = time.perf_counter()
    return ProofTimes(
        (proved - start) / samples,
        (verified - proved) / samples,
        (proved_c - verified) / samples,
        (verified_c - proved_c) / samples,
    )


def time_served_inclusion(node: Node, size: int, samples: int) -> float:
    """LogService.inclusion: a read transaction, the checkpoint, the proof and the leaf."""
    rng = random.Random(size + 1)
    indexes = [rng.randrange(size) for _ in range(samples)]
    start = time.perf_counter()
    for i in indexes:
        node.log.inclusion(i, None)
    return (time.perf_counter() - start) / samples


def proofs_benchmark(plan: Plan, max_leaves: int | None) -> None:
    heading("2. Proof generation + verification (one query per proof), random indexes")
    print("  target: < 1 ms per proof at 10M leaves")
    sizes = [s for s in plan.proof_sizes if max_leaves is None or s <= max_leaves]
    if max_leaves is not None and max_leaves not in sizes and max_leaves > 0:
        sizes.append(max_leaves)
    sizes.sort()
    start = time.perf_counter()
    leaves = leaf_hashes(sizes[-1])
    row(f"leaf hashes for {sizes[-1]:,} entries", f"{time.perf_counter() - start:,.1f} s")
    with accord_node("sqlite", author=False) as node:
        for size in sizes:
            _proofs_at(node, leaves, size, plan.samples)


def _proofs_at(node: Node, leaves: list[bytes], size: int, samples: int) -> None:
    print(f"  [{size:,} leaves, {samples} proofs each]")
    seconds = grow_sql_tree(node, leaves, size)
    row(
        "build: SqlLogRepository.append, 65,536 leaves/transaction",
        f"{seconds:,.1f} s",
        f"(cumulative tree) {_db_size(node)}",
    )
    memory = MemoryTree(leaves[:size])
    uow = SqlUnitOfWorkFactory(node.engine)
    with uow(readonly=True) as unit:
        stored_root = merkle.root_from(size, unit.log.fetch_nodes)
        first = time_proofs(unit.log.fetch_nodes, memory, size, samples, seed=1)
        sql = time_proofs(unit.log.fetch_nodes, memory, size, samples)
    floor = time_proofs(memory.fetch, memory, size, samples)
    served = time_served_inclusion(node, size, samples)
    row(
        "stored root equals the in-memory root",
        str(stored_root == merkle.root_from(size, memory.fetch)),
    )
    row(
        "SQLite, first pass after the build: inclusion | consistency",
        f"{micro(first.inclusion)} | {micro(first.consistency)}",
        "(other random indexes; colder page cache)",
    )
    _print_proof_rows("SQLite", sql, floor)
    row(
        "inclusion via LogService.inclusion (own transaction)",
        micro(served),
        f"{ratio(served, floor.inclusion)} the in-memory floor",
    )
    del memory
    gc.collect()


def _print_proof_rows(label: str, times: ProofTimes, floor: ProofTimes) -> None:
    row(
        f"inclusion, {label}: prove + verify",
        micro(times.inclusion),
        f"= {micro(times.inclusion_prove)} + {micro(times.inclusion_verify)}; "
        f"{ratio(times.inclusion, floor.inclusion)} floor, {ratio(times.inclusion, 1e-3)} of 1 ms",
    )
    row(
        f"consistency, {label}: prove + verify",
        micro(times.consistency),
        f"= {micro(times.consistency_prove)} + {micro(times.consistency_verify)}; "
        f"{ratio(times.consistency, floor.consistency)} floor, "
        f"{ratio(times.consistency, 1e-3)} of 1 ms",
    )
    row("floor, in memory: inclusion prove + verify", micro(floor.inclusion))
    row("floor, in memory: consistency prove + verify", micro(floor.consistency))


def _db_size(node: Node) -> str:
    database = node.engine.url.database
    if not database:
        return ""
    total = sum(p.stat().st_size for p in Path(database).parent.glob("accord.db*"))
    return f"{total / 2**20:,.0f} MiB on disk"


# --- 3. the pymerkle peer --------------------------------------------------------------------


def pymerkle_benchmark(plan: Plan) -> None:
    heading(f"3. pymerkle (PyPI) beside Accord on the same {plan.peer_leaves:,} leaves")
    print("  anchor: pymerkle on SQLite ≈ 0.74 ms per proof at 100k leaves")
    try:
        import pymerkle  # the optional peer, from the bench extra
    except ImportError:
        row("pymerkle", "not installed", "pip install -e '.[bench]'")
        return
    print(
        f"  pymerkle {pymerkle.__version__}: sha256, security on (0x00 leaf / 0x01 node "
        "prefixes = RFC 9162 hashing)"
    )
    entries = [_entry(i) for i in range(plan.peer_leaves)]
    leaves = [merkle.leaf_hash(e) for e in entries]
    memory = MemoryTree(leaves)
    with workdir() as directory:
        _peer_appends(pymerkle, entries, directory, plan.singles)
        _peer_proofs(pymerkle, leaves, memory, directory, plan.samples)


def _peer_appends(pymerkle: object, entries: list[bytes], directory: Path, singles: int) -> None:
    count = len(entries)
    rates: list[tuple[str, float, int]] = []
    start = time.perf_counter()
    tree = pymerkle.InmemoryTree(algorithm="sha256")  # type: ignore[attr-defined]
    tree.append_entries(entries)
    rates.append(("pymerkle InmemoryTree.append_entries", time.perf_counter() - start, count))
    start = time.perf_counter()
    nodes: dict[NodeId, bytes] = {}
    for begin in range(0, count, BUILD_CHUNK):
        chunk = [merkle.leaf_hash(e) for e in entries[begin : begin + BUILD_CHUNK]]
        nodes.update(merkle.nodes_to_store(begin, chunk, nodes))
    rates.append(("Accord merkle.nodes_to_store into a dict", time.perf_counter() - start, count))
    memory_root = tree.get_root()
    sqlite_tree = pymerkle.SqliteTree(str(directory / "pymerkle.db"))  # type: ignore[attr-defined]
    start = time.perf_counter()
    sqlite_tree.append_entries(entries)
    rates.append(
        ("pymerkle SqliteTree.append_entries (1 transaction)", time.perf_counter() - start, count)
    )
    start = time.perf_counter()
    for entry in entries[:singles]:
        sqlite_tree.append_entry(entry)
    rates.append(
        ("pymerkle SqliteTree.append_entry (1/transaction)", time.perf_counter() - start, singles)
    )
    sqlite_tree.close()
    with accord_node("sqlite", author=False) as node:
        rates.extend(_accord_leaf_appends(node, entries, singles))
    for label, seconds, n in rates:
        row(label, per_second(n, seconds), "(hash + store, no signing)")
    ours = merkle.root_from(count, lambda _ids: nodes)
    row(
        "pymerkle roots equal Accord's (in memory, SQLite)",
        f"{memory_root == ours}, {_sqlite_root(pymerkle, directory, count) == ours}",
    )


def _accord_leaf_appends(
    node: Node, entries: list[bytes], singles: int
) -> list[tuple[str, float, int]]:
    uow = SqlUnitOfWorkFactory(node.engine)
    start = time.perf_counter()
    with uow() as unit:
        unit.log.append([merkle.leaf_hash(e) for e in entries])
    bulk = time.perf_counter() - start
    start = time.perf_counter()
    for entry in entries[:singles]:
        with uow() as unit:
            unit.log.append([merkle.leaf_hash(entry)])
    single = time.perf_counter() - start
    return [
        ("Accord SqlLogRepository.append (1 transaction)", bulk, len(entries)),
        ("Accord SqlLogRepository.append (1/transaction)", single, singles),
    ]


def _sqlite_root(pymerkle: object, directory: Path, size: int) -> bytes:
    tree = pymerkle.SqliteTree(str(directory / "pymerkle.db"))  # type: ignore[attr-defined]
    try:
        return bytes(tree.get_root(size))
    finally:
        tree.close()


def _peer_proofs(
    pymerkle: object, leaves: list[bytes], memory: MemoryTree, directory: Path, samples: int
) -> None:
    size = len(leaves)
    print(f"  [proofs at {size:,} leaves, {samples} random each; pymerkle trees opened fresh]")
    in_memory = pymerkle.InmemoryTree(algorithm="sha256")  # type: ignore[attr-defined]
    in_memory.append_entries([_entry(i) for i in range(size)])
    on_disk = pymerkle.SqliteTree(str(directory / "pymerkle.db"))  # type: ignore[attr-defined]
    try:
        for label, tree in (("pymerkle InmemoryTree", in_memory), ("pymerkle SqliteTree", on_disk)):
            first, inclusion, consistency = _time_peer(pymerkle, tree, leaves, memory, samples)
            row(
                f"{label}: inclusion prove + verify",
                micro(inclusion),
                f"first (cold cache) {micro(first)}",
            )
            row(f"{label}: consistency prove + verify", micro(consistency))
    finally:
        on_disk.close()
    with accord_node("sqlite", author=False) as node:
        grow_sql_tree(node, leaves, size)
        uow = SqlUnitOfWorkFactory(node.engine)
        with uow(readonly=True) as unit:
            ours = time_proofs(unit.log.fetch_nodes, memory, size, samples)
    floor = time_proofs(memory.fetch, memory, size, samples)
    _print_proof_rows("Accord SQLite", ours, floor)


def _time_peer(
    pymerkle: object, tree: object, leaves: list[bytes], memory: MemoryTree, samples: int
) -> tuple[float, float, float]:
    """Seconds for the first inclusion proof, then per inclusion and consistency proof."""
    size = len(leaves)
    rng = random.Random(size)
    indexes = [rng.randrange(size) for _ in range(samples)]
    olds = [rng.randrange(1, size) for _ in range(samples)]
    root = merkle.root_from(size, memory.fetch)
    old_roots = [merkle.root_from(old, memory.fetch) for old in olds]
    verify_inclusion = pymerkle.verify_inclusion  # type: ignore[attr-defined]
    verify_consistency = pymerkle.verify_consistency  # type: ignore[attr-defined]
    start = time.perf_counter()
    proof = tree.prove_inclusion(indexes[0] + 1, size)  # type: ignore[attr-defined]
    verify_inclusion(leaves[indexes[0]], root, proof)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for i in indexes:
        proof = tree.prove_inclusion(i + 1, size)  # type: ignore[attr-defined]
        verify_inclusion(leaves[i], root, proof)
    inclusion = (time.perf_counter() - start) / samples
    start = time.perf_counter()
    for old, old_root in zip(olds, old_roots, strict=True):
        proof = tree.prove_consistency(old, size)  # type: ignore[attr-defined]
        verify_consistency(old_root, root, proof)
    consistency = (time.perf_counter() - start) / samples
    return first, inclusion, consistency


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", choices=["appends", "proofs", "pymerkle"])
    parser.add_argument("--max-leaves", type=int, help="largest tree for the proof benchmark")
    parser.add_argument("--profile", action="store_true", help="cProfile the batched appends")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    machine_facts()
    started = time.perf_counter()
    if args.only in (None, "appends"):
        appends_benchmark(plan, args.profile)
    if args.only in (None, "pymerkle"):
        pymerkle_benchmark(plan)
    if args.only in (None, "proofs"):
        proofs_benchmark(plan, args.max_leaves)
    print(f"\ntotal {time.perf_counter() - started:,.0f} s")


if __name__ == "__main__":
    main()
