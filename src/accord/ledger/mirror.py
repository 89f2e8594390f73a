"""What one node knows of another's log, and how it learns more without trusting it.

A mirror holds the peer's newest verified checkpoint and the *frontier* of the peer's tree
up to where it has read: the perfect-subtree hashes tiling [0, size), O(log n) of them.
A page of entries is folded into the frontier, and the root that results must be proved
— by a consistency proof to the checkpoint's size — to be a prefix of the signed tree.
Only then are the page's entries checked as the auditor checks them (leaf, canonical
form, body digest, signature under the author's key history, sequence) and handed out to
be applied. The caller stores the mirror's state with what it applied, in one
transaction, so a crash never leaves the two apart. See ADR 6.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.errors import VerificationError
from accord.ledger import merkle, notes
from accord.ledger.audit import (
    EntryAudit,
    Finding,
    ServedEntry,
    SignedCheckpoint,
    check_extends,
    open_checkpoint,
)
from accord.ledger.records import SignedRecord, open_entry

EMPTY_ROOT = merkle.root_of_leaves([])


@dataclass(frozen=True, slots=True)
class Frontier:
    """The right edge of a Merkle tree kept elsewhere: enough to extend it and to hash it."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def extend(self, leaf_hashes: Sequence[bytes]) -> Frontier:
        known = dict(zip(merkle.frontier_ids(self.size), self.hashes, strict=True))
        known.update(merkle.nodes_to_store(self.size, leaf_hashes, known))
        size = self.size + len(leaf_hashes)
        return Frontier(size, tuple(known[node] for node in merkle.frontier_ids(size)))

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        value = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            value = merkle.node_hash(left, value)
        return value

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "hashes": [h.hex() for h in self.hashes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Frontier:
        return cls(int(data["size"]), tuple(bytes.fromhex(h) for h in data["hashes"]))


@dataclass(frozen=True, slots=True)
class Verified:
    """An entry proved to be in the peer's signed log, with a valid author signature."""

    index: int
    record: SignedRecord
    entry: bytes
    body: str | None


@dataclass
class PageResult:
    accepted: list[Verified] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    hidden: int = 0  # entries outside the reader's scope: leaf hashes only
    # An entry served otherwise than logged (garbled on the way?): the mirror stopped
    # before it, so that it is read again rather than passed over.
    retry: Finding | None = None


@dataclass
class LogMirror:
    log_key: notes.Verifier
    checkpoint: SignedCheckpoint | None = None  # the newest verified, to read up to
    frontier: Frontier = field(default_factory=Frontier)
    audit: EntryAudit = field(default_factory=EntryAudit)
    # Entries whose author's key is not known yet, by record id: released when it is.
    held: dict[str, Verified] = field(default_factory=dict)

    @property
    def behind(self) -> int:
        """Entries the verified checkpoint holds that are not read yet."""
        return (self.checkpoint.checkpoint.size if self.checkpoint else 0) - self.frontier.size

    def offer_checkpoint(self, note: str, proof: Sequence[bytes] | None) -> list[Finding]:
        """Take ``note`` as the checkpoint to read up to, if the pinned key signed it and it
        extends the last one verified (``proof``: consistency from that one's size).
        Findings mean it was not taken: ``EQUIVOCATION`` carries both notes."""
        try:
            new = open_checkpoint(note, self.log_key)
        except VerificationError as exc:
            return [Finding("BAD_CHECKPOINT", str(exc), (note,))]
        if self.checkpoint is not None:
            findings = check_extends(self.checkpoint, new, proof)
            if findings:
                return findings
        if new.checkpoint.size < self.frontier.size:
            return [Finding("EQUIVOCATION", "the checkpoint is behind what was already read")]
        self.checkpoint = new
        return []

    def read_page(self, entries: Sequence[ServedEntry], proof: Sequence[bytes]) -> PageResult:
        """Check the next entries of the log; ``proof`` is the consistency proof from the
        size they reach to the checkpoint's (empty when they reach it). Nothing of a page
        that is not proved to be in the signed tree is kept; the mirror moves on only past
        pages that are."""
        target = self.checkpoint
        if target is None:
            return PageResult(findings=[Finding("NO_CHECKPOINT", "no verified checkpoint yet")])
        problem = self._not_next(entries, target.checkpoint.size)
        if problem:
            return PageResult(findings=[problem])
        extended = self.frontier.extend([e.leaf_hash for e in entries])
        try:
            if extended.size == target.checkpoint.size:
                if extended.root() != target.checkpoint.root_hash:
                    raise VerificationError("the entries do not hash to the signed root")
            else:
                merkle.verify_consistency(
                    extended.size,
                    target.checkpoint.size,
                    extended.root(),
                    target.checkpoint.root_hash,
                    proof,
                )
        except VerificationError as exc:
            return PageResult(findings=[Finding("NOT_IN_SIGNED_TREE", str(exc))])
        result, checked = self._check_entries(entries)
        if checked == len(entries):
            self.frontier = extended
        else:
            self.frontier = self.frontier.extend([e.leaf_hash for e in entries[:checked]])
        return result

    def _not_next(self, entries: Sequence[ServedEntry], size: int) -> Finding | None:
        if not entries:
            return Finding("EMPTY_PAGE", "the peer served no entries")
        indexes = [e.index for e in entries]
        expected = list(range(self.frontier.size, self.frontier.size + len(entries)))
        if indexes != expected or expected[-1] >= size:
            return Finding(
                "WRONG_RANGE",
                f"asked for entries from {self.frontier.size}, got {indexes[0]}..{indexes[-1]}",
            )
        return None

    def _check_entries(self, entries: Sequence[ServedEntry]) -> tuple[PageResult, int]:
        """Check entries in order; returns the result and how many entries were checked
        (all, unless one was served otherwise than logged)."""
        result = PageResult()
        audit = copy.deepcopy(self.audit)
        audit.vouch(entries)
        checked = 0
        for served in entries:
            result.retry = audit.served_as_logged(served)
            if result.retry is not None:
                break
            checked += 1
            if served.entry is None:
                audit.check(served)
                result.hidden += 1
                continue
            before = len(audit.findings)
            waiting_before = {a: len(w) for a, w in audit.waiting.items()}
            record = audit.check(served)
            if len(audit.findings) > before or record is None:
                result.findings.extend(audit.findings[before:])
                continue
            verified = Verified(served.index, record, served.entry, served.body)
            author = verified.record.envelope.author
            if len(audit.waiting.get(author, ())) > waiting_before.get(author, 0):
                self.held[verified.record.record_id] = verified
                continue
            result.accepted.append(verified)
            released = [h for h in self.held.values() if h.record.envelope.author == author]
            if author not in audit.waiting and released:
                for held in released:
                    del self.held[held.record.record_id]
                result.accepted.extend(released)
        audit.vouched.clear()
        self.audit = audit
        result.accepted.sort(key=lambda v: v.index)
        return result, checked


def mirror_to_json(mirror: LogMirror) -> dict[str, Any]:
    """The mirror's state as stored beside what it applied (the key is stored apart)."""
    audit = mirror.audit
    return {
        "checkpoint": mirror.checkpoint.note if mirror.checkpoint else None,
        "frontier": mirror.frontier.to_json(),
        "keys": {author: base64.b64encode(key).decode() for author, key in audit.keys.items()},
        "last_seq": dict(audit.last_seq),
        "hidden": audit.hidden,
        "read_in_full": audit.read_in_full,
        "held": [
            {
                "index": v.index,
                "entry": base64.b64encode(v.entry).decode(),
                "body": v.body,
            }
            for v in mirror.held.values()
        ],
    }


def mirror_from_json(log_key: notes.Verifier, data: dict[str, Any]) -> LogMirror:
    """A mirror restored from ``mirror_to_json``; the checkpoint is verified again."""
    checkpoint = open_checkpoint(data["checkpoint"], log_key) if data.get("checkpoint") else None
    audit = EntryAudit(
        keys={author: base64.b64decode(key) for author, key in data.get("keys", {}).items()},
        last_seq={author: int(seq) for author, seq in data.get("last_seq", {}).items()},
        hidden=int(data.get("hidden", 0)),
        read_in_full=int(data.get("read_in_full", 0)),
    )
    held: dict[str, Verified] = {}
    for item in data.get("held", []):
        entry = base64.b64decode(item["entry"])
        record = open_entry(entry)
        held[record.record_id] = Verified(int(item["index"]), record, entry, item["body"])
        audit.waiting.setdefault(record.envelope.author, []).append(
            (f"entry {item['index']}", record)
        )
    return LogMirror(
        log_key,
        checkpoint=checkpoint,
        frontier=Frontier.from_json(data.get("frontier", {"size": 0, "hashes": []})),
        audit=audit,
        held=held,
    )
