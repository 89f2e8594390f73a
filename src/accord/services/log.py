"""The node's log: signed checkpoints and their history, proofs, entries within scope,
witness cosignatures.

Checkpoints are C2SP ``tlog-checkpoint`` bodies signed as C2SP signed notes with the node's
log key. A new checkpoint is signed in the same transaction as the records it covers, and
only if the stored guard still names the checkpoint we extended (compare-and-swap), so the
node can never sign two checkpoints that contradict each other.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.domain.sharing import Reader, Scope, Tlp, may_read
from accord.errors import InvalidInputError, NotFoundError, Problem, VerificationError
from accord.ledger import merkle, notes
from accord.ledger.witnessing import Timeline
from accord.services.ports import (
    Clock,
    Keys,
    StoredCheckpoint,
    StoredCosignature,
    UnitOfWork,
    UnitOfWorkFactory,
)

LOG_KEY = "log"
MAX_PAGE = 1000
HISTORY_PAGE = 20  # checkpoints on a page of the history, unless asked otherwise
MAX_HISTORY_PAGE = 100


@dataclass(frozen=True, slots=True)
class Witness:
    name: str
    verifier: notes.Verifier


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A checkpoint as it was served: its signed note with every verified witness
    cosignature appended, and those cosignatures parsed."""

    id: int
    size: int
    root: bytes
    signed_at: datetime
    note: str
    cosignatures: tuple[StoredCosignature, ...]

    @property
    def root_hash(self) -> str:
        return _b64(self.root)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "root_hash": self.root_hash,
            "signed_at": self.signed_at.isoformat(),
            "note": self.note,
            "cosignatures": [
                {
                    "witness": cosignature.witness,
                    "key_id": cosignature.key_id,
                    "cosigned_at": cosignature.cosigned_at.isoformat(),
                    "received_at": cosignature.received_at.isoformat(),
                }
                for cosignature in self.cosignatures
            ],
        }


@dataclass(frozen=True, slots=True)
class CheckpointHistory:
    """One page of signed checkpoints, newest first; ``next`` is the ``before`` of the
    next (older) page, None on the last."""

    checkpoints: tuple[CosignedCheckpoint, ...]
    next: int | None

    def to_json(self) -> dict[str, Any]:
        return {"checkpoints": [c.to_json() for c in self.checkpoints], "next": self.next}


class LogService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        keys: Keys,
        origin: str,
        witnesses: tuple[str, ...] = (),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._keys = keys
        self.origin = origin
        self._witnesses = [notes.parse_verifier_key(text) for text in witnesses]
        # More witnesses known while running (peers' nodes cosign what they verified).
        self.more_witnesses: Callable[[], Sequence[notes.Verifier]] = list

    def cosign(self, note: str) -> str:
        """This node's cosignature/v1 line on another log's checkpoint it has verified:
        its witness key is its log key as a cosignature key, under its own name."""
        body = notes.note_text(note)
        when = int(self._clock.now().timestamp())
        sign = lambda message: self._keys.sign(LOG_KEY, message)  # noqa: E731
        return notes.cosign(body, self.origin, sign, self._keys.public_key(LOG_KEY), when)

    @property
    def verifier_key(self) -> str:
        """The key string auditors pin: ``name+keyid+base64(0x01 ‖ public key)``."""
        return notes.format_verifier_key(self.origin, self._keys.public_key(LOG_KEY))

    def sign_checkpoint(self, uow: UnitOfWork, *, refresh: bool = False) -> StoredCheckpoint:
        """Sign a checkpoint for the current tree, unless the latest already covers it."""
        size = uow.log.size()
        latest = uow.log.latest_checkpoint()
        if latest is not None and latest.size == size and not refresh:
            return latest
        root = merkle.root_from(size, uow.log.fetch_nodes) if size else merkle.EMPTY_ROOT
        if latest is not None and latest.size:
            _check_extends(uow, latest, size, root)
        body = notes.Checkpoint(self.origin, size, root).format()
        note = notes.sign_note(
            body, self.origin, lambda m: self._keys.sign(LOG_KEY, m), self._keys.public_key(LOG_KEY)
        )
        return uow.log.save_checkpoint(
            previous_size=latest.size if latest else 0,
            size=size,
            root=root,
            note=note,
            signed_at=self._clock.now(),
        )

    def ensure_checkpoint(self, *, max_age_seconds: float | None = None) -> StoredCheckpoint:
        """The latest checkpoint, signing one when there is none (or it is too old)."""
        with self._uow() as uow:
            latest = uow.log.latest_checkpoint()
            stale = (
                latest is not None
                and max_age_seconds is not None
                and (self._clock.now() - latest.signed_at).total_seconds() >= max_age_seconds
            )
            if latest is None or stale or latest.size != uow.log.size():
                return self.sign_checkpoint(uow, refresh=stale)
            return latest

    def checkpoint_note(self) -> str:
        """The newest signed checkpoint with every verified witness cosignature appended."""
        with self._uow(readonly=True) as uow:
            latest = uow.log.latest_checkpoint()
            if latest is None:
                raise NotFoundError("the log has no checkpoint yet")
            lines = uow.log.cosignature_lines(latest.id)
        return latest.note + "".join(line + "\n" for line in lines)

    def checkpoint_history(
        self, before: int | None = None, limit: int = HISTORY_PAGE
    ) -> CheckpointHistory:
        """Every signed checkpoint, newest first, ``limit`` a page: those with an id below
        ``before`` (the newest when None). Public like the newest checkpoint."""
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise _out_of_range("limit", f"limit must be in [1, {MAX_HISTORY_PAGE}]")
        if before is not None and before < 1:
            raise _out_of_range("before", "before must be at least 1")
        with self._uow(readonly=True) as uow:
            stored = uow.log.checkpoint_history(before, limit + 1)
        page = tuple(_cosigned(checkpoint) for checkpoint in stored[:limit])
        return CheckpointHistory(page, page[-1].id if len(stored) > limit else None)

    def add_cosignature(self, line: str, size: int | None = None) -> bool:
        """Verify a witness's cosignature line on the newest checkpoint (or the one of
        ``size``: a peer cosigns what it verified, which may be older) and keep it."""
        with self._uow() as uow:
            latest = (
                uow.log.latest_checkpoint() if size is None else uow.log.checkpoint_of_size(size)
            )
            if latest is None:
                raise NotFoundError("the log has no such checkpoint to cosign")
            body = notes.note_text(latest.note)
            witness, timestamp = self._verify_witness(body, line)
            return uow.log.add_cosignature(
                latest.id,
                witness=witness.name,
                key_id=witness.key_id.hex(),
                cosigned_at=datetime.fromtimestamp(timestamp, UTC),
                line=line.strip(),
                received_at=self._clock.now(),
            )

    def _verify_witness(self, body: str, line: str) -> tuple[notes.Verifier, int]:
        for witness in [*self._witnesses, *self.more_witnesses()]:
            try:
                return witness, notes.verify_cosignature(body, line.strip(), witness)
            except VerificationError:
                continue
        raise InvalidInputError(
            "the cosignature does not verify with any configured witness key",
            [Problem("/", "UNKNOWN_OR_BAD_COSIGNATURE", "check the witness key and checkpoint")],
        )

    def timeline(self, log_index: int | None, position: int, claimed_at: datetime) -> Timeline:
        """A record's signed creation time between the witness sightings around it: for
        this node's records, peers' cosignatures of its checkpoints; for a replicated
        record, when this node saw the origin's tree without it and with it."""
        with self._uow(readonly=True) as uow:
            if log_index is not None:
                absent, present = uow.log.sightings(log_index)
            else:
                absent, present = uow.peers.sightings(position, self.origin) or (None, None)
        return Timeline(claimed_at, absent, present)

    def witnessed(self, index: int) -> dict[str, Any]:
        """The witness sightings around entry ``index``, with their evidence. Public like
        proofs: the times and notes say nothing of the entry's content."""
        with self._uow(readonly=True) as uow:
            size = uow.log.size()
            if not 0 <= index < size:
                raise _out_of_range("index", f"index must be in [0, {size})")
            absent, present = uow.log.sightings(index)
        return {
            "index": index,
            "absent": absent.to_json() if absent else None,
            "present": present.to_json() if present else None,
        }

    def inclusion(self, index: int, size: int | None) -> dict[str, Any]:
        with self._uow(readonly=True) as uow:
            tree_size = _checkpoint_size(uow, size)
            if not 0 <= index < tree_size:
                raise _out_of_range("index", f"index must be in [0, {tree_size})")
            proof = merkle.inclusion_proof(index, tree_size, uow.log.fetch_nodes)
            leaf = uow.log.fetch_nodes([(0, index)])[(0, index)]
        return {
            "index": index,
            "size": tree_size,
            "leaf_hash": _b64(leaf),
            "proof": [_b64(h) for h in proof],
        }

    def consistency(self, old_size: int, new_size: int | None) -> dict[str, Any]:
        with self._uow(readonly=True) as uow:
            tree_size = _checkpoint_size(uow, new_size)
            if not 1 <= old_size <= tree_size:
                raise _out_of_range("from", f"from must be in [1, {tree_size}]")
            proof = merkle.consistency_proof(old_size, tree_size, uow.log.fetch_nodes)
        return {"from": old_size, "to": tree_size, "proof": [_b64(h) for h in proof]}

    def entries(self, reader: Reader, start: int, end: int | None) -> dict[str, Any]:
        """Entries in [start, end): in full where the reader may see them, else leaf hashes."""
        with self._uow(readonly=True) as uow:
            size = uow.log.size()
            stop = min(size, end if end is not None else size, start + MAX_PAGE)
            if start < 0 or start > size or stop < start:
                raise _out_of_range("start", f"start must be in [0, {size}]")
            rows = uow.log.entries(start, stop)
            leaves = uow.log.fetch_nodes([(0, i) for i in range(start, stop)])
        return {
            "size": size,
            "start": start,
            "end": stop,
            "entries": [_entry_json(row, leaves[(0, row["log_index"])], reader) for row in rows],
        }


def _check_extends(uow: UnitOfWork, latest: StoredCheckpoint, size: int, root: bytes) -> None:
    """Refuse to sign a tree that does not extend the last signed one (damaged storage)."""
    proof = merkle.consistency_proof(latest.size, size, uow.log.fetch_nodes)
    try:
        merkle.verify_consistency(latest.size, size, latest.root, root, proof)
    except VerificationError as exc:
        raise VerificationError(
            "the stored tree does not extend the last signed checkpoint; refusing to sign "
            f"(is the log storage damaged?): {exc}"
        ) from exc


def _cosigned(checkpoint: StoredCheckpoint) -> CosignedCheckpoint:
    lines = "".join(cosignature.line + "\n" for cosignature in checkpoint.cosignatures)
    return CosignedCheckpoint(
        checkpoint.id,
        checkpoint.size,
        checkpoint.root,
        checkpoint.signed_at,
        checkpoint.note + lines,
        checkpoint.cosignatures,
    )


def _entry_json(row: dict[str, Any], leaf: bytes, reader: Reader) -> dict[str, Any]:
    item: dict[str, Any] = {"index": row["log_index"], "leaf_hash": _b64(leaf)}
    scope = Scope(Tlp(row["tlp"]), frozenset(row["audience"] or ()))
    if row["entry"] is not None and may_read(reader, scope, str(row["author"])):
        item["record_id"] = row["record_id"]
        item["entry"] = _b64(bytes(row["entry"]))
        item["body"] = row["body"]
        original = bytes(row["original"])
        if original != row["body"].encode("utf-8"):
            item["original"] = _b64(original)  # signed too (envelope v3): auditors check it
    return item


def _checkpoint_size(uow: UnitOfWork, size: int | None) -> int:
    latest = uow.log.latest_checkpoint()
    signed = latest.size if latest else 0
    if size is None:
        return signed
    if not 1 <= size <= signed:
        raise _out_of_range("size", f"size must be in [1, {signed}] (a signed checkpoint)")
    return size


def _out_of_range(name: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, [Problem(name, "OUT_OF_RANGE", message)])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
