"""The auditor's checks: what an observer holding only the log's verifier key can prove.

Given what a node served — a signed checkpoint, entries (in full where the auditor may
read them, leaf hashes otherwise), proofs — and the last checkpoint the auditor saw, these
functions say what is wrong, if anything: a bad signature, a log that does not extend what
was seen (equivocation, with both checkpoints as evidence), an entry that does not hash to
its leaf, a body that does not match its envelope, a record signed by a key its author did
not hold, a sequence number that repeats or goes back, leaves that do not hash to the
signed root. Findings are values; fetching is the caller's business.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from accord.errors import VerificationError
from accord.ledger import merkle, notes
from accord.ledger.canonical import canonical_json, sha256_hex
from accord.ledger.records import (
    SIGNING_PREFIX,
    SignedRecord,
    key_id_of,
    open_entry,
    original_matches,
    verify_record,
)
from accord.ledger.signing import verify, verify_many

KEY_REGISTRATION = "key.registration"
KEY_ROTATION = "key.rotation"
FULL_PROOF_LIMIT = 4096  # logs up to this size get an inclusion proof checked per entry
SAMPLED_PROOFS = 256  # larger logs: this many entries at random, and the newest


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    evidence: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    note: str
    checkpoint: notes.Checkpoint


@dataclass(frozen=True, slots=True)
class ServedEntry:
    index: int
    leaf_hash: bytes
    entry: bytes | None = None
    body: str | None = None
    original: bytes | None = None  # served when it differs from the body


def open_checkpoint(note: str, log_key: notes.Verifier) -> SignedCheckpoint:
    """The checkpoint in ``note`` if the pinned log key signed it; raises otherwise."""
    text = notes.open_note(note, [log_key])
    checkpoint = notes.Checkpoint.parse(text)
    if checkpoint.origin != log_key.name:
        raise VerificationError(
            f"the checkpoint's origin {checkpoint.origin!r} is not the pinned log {log_key.name!r}"
        )
    return SignedCheckpoint(note, checkpoint)


def check_cosignatures(
    note: str, witnesses: Sequence[notes.Verifier]
) -> tuple[list[str], list[Finding]]:
    """Which configured witnesses cosigned ``note``, and any cosignature that fails."""
    body = notes.note_text(note)
    lines = notes.signature_lines(note)
    verified: list[str] = []
    findings: list[Finding] = []
    for witness in witnesses:
        mine = [line for line in lines if notes.line_key_id(line) == witness.key_id]
        for line in mine:
            try:
                notes.verify_cosignature(body, line, witness)
                verified.append(witness.name)
            except VerificationError as exc:
                findings.append(Finding("BAD_COSIGNATURE", f"{witness.name}: {exc}"))
    return verified, findings


def check_extends(
    seen: SignedCheckpoint, new: SignedCheckpoint, proof: Sequence[bytes] | None
) -> list[Finding]:
    """Equivocation: two signed checkpoints of one log that cannot both be true."""
    old, now = seen.checkpoint, new.checkpoint
    evidence = (seen.note, new.note)
    if now.size < old.size:
        return [
            Finding(
                "EQUIVOCATION", f"the log shrank from {old.size} to {now.size} entries", evidence
            )
        ]
    if now.size == old.size:
        if now.root_hash != old.root_hash:
            return [Finding("EQUIVOCATION", f"two different roots for size {now.size}", evidence)]
        return []
    if proof is None:
        return [Finding("NO_CONSISTENCY_PROOF", "the node served no consistency proof")]
    try:
        merkle.verify_consistency(old.size, now.size, old.root_hash, now.root_hash, proof)
    except VerificationError as exc:
        return [
            Finding(
                "EQUIVOCATION", f"size {now.size} does not extend size {old.size}: {exc}", evidence
            )
        ]
    return []


@dataclass
class EntryAudit:
    """Walks the entries in log order, tracking every author's keys and sequence."""

    keys: dict[str, bytes] = field(default_factory=dict)
    # Records whose author had no registered key yet: checked when the registration comes
    # (records written before a node signed records are logged just ahead of it).
    waiting: dict[str, list[tuple[str, SignedRecord]]] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    read_in_full: int = 0
    hidden: int = 0
    # Entries opened and verified ahead by ``vouch``, with the key each verified under.
    vouched: dict[bytes, tuple[SignedRecord, bytes]] = field(default_factory=dict)

    def vouch(self, entries: Sequence[ServedEntry]) -> None:
        """Open the entries and verify the signatures of those whose author's current key
        is known, all at once on several threads. ``check`` then skips parsing them and, if
        it would use the same key, their signature; every other check still runs in order."""
        pending = []
        for served in entries:
            if served.entry is None:
                continue
            try:
                record = open_entry(served.entry)
            except VerificationError:
                continue  # ``check`` reports it
            key = self.keys.get(record.envelope.author)
            if key is not None and key_id_of(key) == record.envelope.key_id:
                pending.append((record, key))
        results = verify_many(
            [(key, SIGNING_PREFIX + r.envelope_bytes(), r.signature) for r, key in pending]
        )
        checked = zip(pending, results, strict=True)
        self.vouched = {record.entry: (record, key) for (record, key), ok in checked if ok}

    def served_as_logged(self, served: ServedEntry) -> Finding | None:
        """Whether the bytes served are the ones the log holds: the entry hashes to its
        leaf and the body to the digest the entry signs. Failing this proves nothing
        against the log (the wire may have garbled it); a mirror asks again later."""
        if served.entry is None:
            return None
        where = f"entry {served.index}"
        if merkle.leaf_hash(served.entry) != served.leaf_hash:
            return Finding("LEAF_MISMATCH", f"{where} does not hash to its leaf")
        vouched = self.vouched.get(served.entry)
        try:
            record = vouched[0] if vouched else open_entry(served.entry)
        except VerificationError:
            return None  # it hashes to its leaf: the log holds it malformed, ``check`` says so
        before = len(self.findings)
        self._check_body(where, record, served.body)
        return self.findings.pop() if len(self.findings) > before else None

    def check(self, served: ServedEntry) -> SignedRecord | None:
        """Check the next entry; returns it opened (whatever else was found), or None when
        it was hidden or could not be opened, so that callers need not parse it again."""
        if served.entry is None:
            self.hidden += 1
            return None
        self.read_in_full += 1
        where = f"entry {served.index}"
        if merkle.leaf_hash(served.entry) != served.leaf_hash:
            self._find("LEAF_MISMATCH", f"{where} does not hash to its leaf")
            return None
        record, vouched_key = self.vouched.pop(served.entry, (None, None))
        if record is None:
            try:
                record = open_entry(served.entry)
            except VerificationError as exc:
                self._find("MALFORMED_ENTRY", f"{where}: {exc}")
                return None
        self._check_body(where, record, served.body)
        self._check_original(where, record, served.original)
        self._check_signature(where, record, served.body, vouched_key)
        self._check_sequence(where, record)
        return record

    def _check_body(self, where: str, record: SignedRecord, body: str | None) -> None:
        if body is None:
            return
        if sha256_hex(body.encode()) == record.envelope.body_digest:
            return  # served in canonical form already (as Accord serves it): nothing to redo
        try:
            digest = sha256_hex(canonical_json(json.loads(body)))
        except ValueError:
            self._find("BODY_ALTERED", f"{where}: the body is not JSON")
            return
        if digest != record.envelope.body_digest:
            self._find("BODY_ALTERED", f"{where}: the body does not match the signed digest")

    def _check_original(self, where: str, record: SignedRecord, original: bytes | None) -> None:
        """The bytes served as received must be those the author's envelope commits to
        (version 3); a version 2 record committed to its body only, and says so."""
        if original is not None and original_matches(record, original) is False:
            self._find(
                "ORIGINAL_ALTERED",
                f"{where}: the bytes served as received do not match the signed digest",
            )

    def _check_signature(
        self, where: str, record: SignedRecord, body: str | None, vouched_key: bytes | None
    ) -> None:
        author = record.envelope.author
        key = self.keys.get(author)
        if record.envelope.kind == KEY_REGISTRATION and key is None:
            key = _public_key_in(body)
            if key is None:
                self._find("BAD_KEY_RECORD", f"{where}: a key registration without a key")
                return
        if key is None:
            self.waiting.setdefault(author, []).append((where, record))
            return
        if key != vouched_key and not self._verified(where, record, key):
            return
        if record.envelope.kind == KEY_REGISTRATION:
            self.keys[author] = key
            for earlier, waiting in self.waiting.pop(author, []):
                self._verified(earlier, waiting, key)
        elif record.envelope.kind == KEY_ROTATION:
            successor = _public_key_in(body)
            if successor is None:
                self._find("BAD_KEY_RECORD", f"{where}: a rotation without its new key")
            else:
                self.keys[author] = successor

    def _verified(self, where: str, record: SignedRecord, key: bytes) -> bool:
        try:
            verify_record(record, verify, key)
        except VerificationError as exc:
            self._find("BAD_SIGNATURE", f"{where} by {record.envelope.author}: {exc}")
            return False
        return True

    def finish(self) -> list[Finding]:
        """Report records whose author never registered a key; returns every finding."""
        for author, waiting in self.waiting.items():
            for where, _record in waiting:
                self._find("UNKNOWN_KEY", f"{where}: {author} never registered a signing key")
        self.waiting.clear()
        return self.findings

    def _check_sequence(self, where: str, record: SignedRecord) -> None:
        author, seq = record.envelope.author, record.envelope.seq
        last = self.last_seq.get(author, 0)
        if seq <= last:
            self._find("SEQUENCE", f"{where}: {author}'s sequence number {seq} follows {last}")
        elif seq != last + 1 and self.hidden == 0:
            self._find("SEQUENCE_GAP", f"{where}: {author} jumps from {last} to {seq}")
        self.last_seq[author] = max(seq, last)

    def _find(self, code: str, message: str) -> None:
        self.findings.append(Finding(code, message))


def check_root(leaves: Sequence[bytes], checkpoint: notes.Checkpoint) -> list[Finding]:
    if len(leaves) != checkpoint.size:
        return [
            Finding(
                "MISSING_ENTRIES",
                f"the node served {len(leaves)} leaves for a log of {checkpoint.size}",
            )
        ]
    if merkle.root_of_leaves(leaves) != checkpoint.root_hash:
        return [Finding("ROOT_MISMATCH", "the entries served do not hash to the signed root")]
    return []


@dataclass
class RunningRoot:
    """The root of leaves added a page at a time, for logs too large to hold every leaf:
    only the perfect subtrees along the right edge (``merkle.frontier_ids``) are kept."""

    size: int = 0
    frontier: dict[merkle.NodeId, bytes] = field(default_factory=dict)

    def add(self, leaves: Sequence[bytes]) -> None:
        made = dict(merkle.nodes_to_store(self.size, leaves, self.frontier))
        self.size += len(leaves)
        known = self.frontier | made
        self.frontier = {node: known[node] for node in merkle.frontier_ids(self.size)}

    def check(self, checkpoint: notes.Checkpoint) -> list[Finding]:
        """``check_root`` over the leaves added."""
        if self.size != checkpoint.size:
            return [
                Finding(
                    "MISSING_ENTRIES",
                    f"the log holds {self.size} leaves for a checkpoint of {checkpoint.size}",
                )
            ]
        if merkle.root_from(self.size, lambda _ids: self.frontier) != checkpoint.root_hash:
            return [Finding("ROOT_MISMATCH", "the entries do not hash to the signed root")]
        return []


def proof_indexes(size: int, rng: random.Random) -> Sequence[int]:
    """The entries of a log of ``size`` whose inclusion proofs an audit checks: all of a
    small log; of a large one, ``SAMPLED_PROOFS`` drawn by ``rng`` and the newest."""
    if size <= FULL_PROOF_LIMIT:
        return range(size)
    return sorted({*rng.sample(range(size), SAMPLED_PROOFS), size - 1})


def check_inclusion(
    index: int, leaf: bytes, checkpoint: notes.Checkpoint, proof: Sequence[bytes]
) -> list[Finding]:
    try:
        merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash)
    except VerificationError as exc:
        return [Finding("BAD_INCLUSION_PROOF", f"entry {index}: {exc}")]
    return []


def _public_key_in(body: str | None) -> bytes | None:
    try:
        data = json.loads(body or "")
        key = base64.b64decode(data["public_key"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return key if len(key) == 32 else None


def decode_hashes(values: Sequence[str]) -> list[bytes]:
    return [base64.b64decode(value, validate=True) for value in values]
