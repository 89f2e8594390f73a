"""SQL storage of the Merkle log: entries, perfect-subtree hashes, checkpoints, cosignatures.

Appending k entries reads the O(log n) frontier nodes and writes O(k) new nodes; a proof
reads its O(log n) nodes in one query. The ``log_state`` row is both the sequencer (its
update serialises writers, so indexes are dense and ordered) and the compare-and-swap
guard on the newest checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, insert, or_, select, update

from accord.adapters.sql.tables import (
    checkpoints,
    cosignatures,
    log_nodes,
    log_state,
    participants,
    records,
)
from accord.errors import ConflictError
from accord.ledger import merkle
from accord.ledger.merkle import NodeId
from accord.ledger.witnessing import Sighting
from accord.services.ports import StoredCheckpoint, StoredCosignature

_FETCH_CHUNK = 200

# Built once: statements with bound parameters are compiled once and cached by SQLAlchemy,
# instead of being rebuilt (and their cache keys recomputed) on every call.
_SIZE = select(log_state.c.size)
_GROW = (
    update(log_state).values(size=log_state.c.size + bindparam("count")).returning(log_state.c.size)
)
_INSERT_NODES = insert(log_nodes)
_LATEST_CHECKPOINT = select(checkpoints).order_by(checkpoints.c.id.desc()).limit(1)


class SqlLogRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def size(self) -> int:
        return int(self._db.execute(_SIZE).scalar_one())

    def append(self, leaf_hashes: Sequence[bytes]) -> int:
        """Add leaves to the tree; returns the index of the first. Serialises writers."""
        count = len(leaf_hashes)
        size = int(self._db.execute(_GROW, {"count": count}).scalar_one()) - count
        frontier = self.fetch_nodes(merkle.frontier_ids(size))
        new_nodes = merkle.nodes_to_store(size, leaf_hashes, frontier)
        self._db.execute(
            _INSERT_NODES,
            [{"level": level, "idx": idx, "hash": digest} for (level, idx), digest in new_nodes],
        )
        return size

    def fetch_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        found: dict[NodeId, bytes] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _FETCH_CHUNK):
            chunk = unique[start : start + _FETCH_CHUNK]
            statement, names = _select_nodes(len(chunk))
            values = (value for node_id in chunk for value in node_id)
            params = dict(zip(names, values, strict=True))
            for level, idx, digest in self._db.execute(statement, params):
                found[(int(level), int(idx))] = bytes(digest)
        return found

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self._db.execute(_LATEST_CHECKPOINT).first()
        return _checkpoint(row) if row else None

    def checkpoint_of_size(self, size: int) -> StoredCheckpoint | None:
        row = self._db.execute(
            select(checkpoints)
            .where(checkpoints.c.size == size)
            .order_by(checkpoints.c.id.desc())
            .limit(1)
        ).first()
        return _checkpoint(row) if row else None

    def save_checkpoint(
        self, *, previous_size: int, size: int, root: bytes, note: str, signed_at: datetime
    ) -> StoredCheckpoint:
        """Store a newly signed checkpoint, only if nobody signed another since we looked."""
        swapped = self._db.execute(
            update(log_state)
            .where(log_state.c.checkpoint_size == previous_size, log_state.c.size >= size)
            .values(checkpoint_size=size)
        ).rowcount
        if swapped != 1:
            raise ConflictError("another checkpoint was signed concurrently; not signing this one")
        checkpoint_id = self._db.execute(
            insert(checkpoints)
            .values(size=size, root=root, note=note, signed_at=signed_at)
            .returning(checkpoints.c.id)
        ).scalar_one()
        return StoredCheckpoint(int(checkpoint_id), size, root, note, signed_at, ())

    def add_cosignature(
        self,
        checkpoint_id: int,
        *,
        witness: str,
        key_id: str,
        cosigned_at: datetime,
        line: str,
        received_at: datetime,
    ) -> bool:
        exists = self._db.execute(
            select(cosignatures.c.id).where(
                cosignatures.c.checkpoint_id == checkpoint_id, cosignatures.c.key_id == key_id
            )
        ).first()
        if exists:
            return False
        self._db.execute(
            insert(cosignatures).values(
                checkpoint_id=checkpoint_id,
                witness=witness,
                key_id=key_id,
                cosigned_at=cosigned_at,
                line=line,
                received_at=received_at,
            )
        )
        return True

    def sightings(self, index: int) -> tuple[Sighting | None, Sighting | None]:
        """The latest witness cosignature on a tree without entry ``index``, and the
        earliest on a tree with it, each with its checkpoint and line as evidence."""
        seen = (
            select(
                cosignatures.c.witness,
                cosignatures.c.cosigned_at,
                checkpoints.c.size,
                checkpoints.c.note,
                cosignatures.c.line,
            )
            .join(checkpoints, checkpoints.c.id == cosignatures.c.checkpoint_id)
            .limit(1)
        )
        absent = self._db.execute(
            seen.where(checkpoints.c.size <= index).order_by(cosignatures.c.cosigned_at.desc())
        ).first()
        present = self._db.execute(
            seen.where(checkpoints.c.size > index).order_by(cosignatures.c.cosigned_at)
        ).first()
        return _witnessed(absent), _witnessed(present)

    def cosignature_lines(self, checkpoint_id: int) -> tuple[str, ...]:
        rows = self._db.execute(
            select(cosignatures.c.line)
            .where(cosignatures.c.checkpoint_id == checkpoint_id)
            .order_by(cosignatures.c.id)
        ).scalars()
        return tuple(rows)

    def checkpoint_history(self, before: int | None, limit: int) -> list[StoredCheckpoint]:
        """Up to ``limit`` checkpoints with an id below ``before`` (any when None), newest
        first, each with its cosignatures in the order received: two queries a page."""
        page = select(checkpoints).order_by(checkpoints.c.id.desc()).limit(limit)
        if before is not None:
            page = page.where(checkpoints.c.id < before)
        rows = self._db.execute(page).all()
        cosigned: dict[int, list[StoredCosignature]] = {int(row.id): [] for row in rows}
        if cosigned:
            for row in self._db.execute(
                select(cosignatures)
                .where(cosignatures.c.checkpoint_id.in_(list(cosigned)))
                .order_by(cosignatures.c.id)
            ):
                cosigned[int(row.checkpoint_id)].append(_cosignature(row))
        return [_checkpoint(row, tuple(cosigned[int(row.id)])) for row in rows]

    def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        """Stored entries with log index in [start, end), in order, with their scope."""
        rows = self._db.execute(
            select(
                records.c.log_index,
                records.c.entry,
                records.c.record_id,
                records.c.tlp,
                records.c.audience,
                records.c.body,
                records.c.original,
                records.c.kind,
                records.c.position,
                participants.c.code.label("author"),
            )
            .join(participants, participants.c.id == records.c.author_id)
            .where(records.c.log_index >= start, records.c.log_index < end)
            .order_by(records.c.log_index)
        )
        return [dict(row._mapping) for row in rows]


@lru_cache(maxsize=_FETCH_CHUNK)
def _select_nodes(count: int) -> tuple[Select[Any], tuple[str, ...]]:
    """The lookup of ``count`` nodes by (level, idx), and its parameter names in order
    (level, idx, level, idx, ...): one statement per count, so it is compiled once."""
    names = tuple(f"{axis}{k}" for k in range(count) for axis in ("l", "i"))
    condition = or_(
        *(
            and_(log_nodes.c.level == bindparam(f"l{k}"), log_nodes.c.idx == bindparam(f"i{k}"))
            for k in range(count)
        )
    )
    return select(log_nodes.c.level, log_nodes.c.idx, log_nodes.c.hash).where(condition), names


def _checkpoint(row: Any, cosigned: tuple[StoredCosignature, ...] = ()) -> StoredCheckpoint:
    from accord.adapters.sql.alerts import utc

    return StoredCheckpoint(
        int(row.id), int(row.size), bytes(row.root), row.note, utc(row.signed_at), cosigned
    )


def _cosignature(row: Any) -> StoredCosignature:
    from accord.adapters.sql.alerts import utc

    return StoredCosignature(
        row.witness, row.key_id, utc(row.cosigned_at), utc(row.received_at), row.line
    )


def _witnessed(row: Any) -> Sighting | None:
    from accord.adapters.sql.alerts import utc

    if row is None:
        return None
    witness, cosigned_at, size, note, line = row
    return Sighting(utc(cosigned_at), witness, int(size), note + line + "\n")
