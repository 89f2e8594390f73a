"""The node's audit of its own log, with the checks an outside auditor runs (ledger/audit.py).

It reads what the node would serve an auditor — the newest checkpoint with its
cosignatures, every entry in full (as an admin reads it), inclusion and consistency
proofs from the stored tree — a page at a time, and checks it: the checkpoint verifies
with the node's own verifier key, cosignatures with the witness keys, every entry
(envelope, signature by its author's key of the time, leaf hash, sequence), the root of
the leaves, inclusion proofs (every entry of a small log, a sample of a large one), and
that the log extends the checkpoint of the last clean audit (a rolled-back or forked log
does not). Each audit is stored with what it found.

What it can catch: storage corrupted, or changed by someone without the log's private
key. What it cannot: a node lying to itself — it uses the node's own key and storage.
"""

from __future__ import annotations

import base64
import random
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.domain.identity import Role
from accord.domain.sharing import Reader
from accord.errors import AccordError, NotFoundError
from accord.ledger import audit as checks
from accord.ledger import notes
from accord.services.alert_projection_audit import (
    check_alert_projection,
    check_record_scopes,
)
from accord.services.log import MAX_PAGE, LogService
from accord.services.ports import Clock, LogAudit, UnitOfWork, UnitOfWorkFactory

# Checks of what readers are served from against the signed records (see
# services/alert_projection_audit.py); each capability with a projection adds its own.
ProjectionCheck = Callable[[UnitOfWork, Callable[[], bool]], list[checks.Finding]]
PAGE = MAX_PAGE  # entries read at a time, as `accord audit` reads them
RECENT = 10  # audits the console lists
PROOF_CHECK_EVERY = 64  # inclusion proofs between two looks at ``should_stop``
KEPT_FINDINGS = 100  # findings stored with an audit (all are counted): pages stay small
_ADMIN = Reader(Role.ADMIN)
_ENTRY = re.compile(r"entry (\d+)\b")


class AuditInterrupted(Exception):
    """The audit was told to stop (the server is shutting down); nothing was stored."""


def _never() -> bool:
    return False


class LogAuditService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        log: LogService,
        witnesses: tuple[str, ...] = (),
        projection_checks: Sequence[ProjectionCheck] = (
            check_record_scopes,
            check_alert_projection,
        ),
    ) -> None:
        self._projection_checks = tuple(projection_checks)
        self._uow = uow
        self._clock = clock
        self._log = log
        self._witnesses = [notes.parse_verifier_key(text) for text in witnesses]
        self._one_at_a_time = threading.Lock()

    def run(self, should_stop: Callable[[], bool] = _never) -> LogAudit:
        """Audit the log now and store the result; audits in one process run one at a
        time. Raises ``AuditInterrupted`` (storing nothing) once ``should_stop`` is true."""
        with self._one_at_a_time:
            started_at = self._clock.now()
            with self._uow(readonly=True) as uow:
                previous = uow.log_audits.last_clean()
            witnesses = [*self._witnesses, *self._log.more_witnesses()]
            outcome = _Audit(self._log, witnesses, should_stop).run(previous)
            outcome.findings += self._projections(should_stop)
            audit = outcome.result(started_at, self._clock.now())
            with self._uow() as uow:
                return uow.log_audits.add(audit)

    def _projections(self, should_stop: Callable[[], bool]) -> list[checks.Finding]:
        """What readers are served from (projections, scope columns) against the signed
        records: a row changed outside the log changes what readers get."""
        with self._uow(readonly=True) as uow:
            found = [
                finding for check in self._projection_checks for finding in check(uow, should_stop)
            ]
        if should_stop():
            raise AuditInterrupted("the audit was stopped before it finished")
        return found

    def recent(self, limit: int = RECENT) -> list[LogAudit]:
        """The newest audits, newest first."""
        with self._uow(readonly=True) as uow:
            return uow.log_audits.recent(limit)


@dataclass
class _Audit:
    """One audit's reading and checking, and what it found."""

    log: LogService
    witnesses: Sequence[notes.Verifier]
    should_stop: Callable[[], bool]
    findings: list[checks.Finding] = field(default_factory=list)
    flagged: set[int] = field(default_factory=set)  # the entries findings name
    checked: int = 0
    size: int | None = None
    note: str | None = None

    def run(self, previous: LogAudit | None) -> _Audit:
        verifier = notes.parse_verifier_key(self.log.verifier_key)
        current = self._checkpoint(verifier)
        if current is None:
            return self
        self.size, self.note = current.checkpoint.size, current.note
        self.findings += checks.check_cosignatures(current.note, self.witnesses)[1]
        self.findings += _consistency(self.log, verifier, previous, current)
        leaves = self._entries(current.checkpoint)
        self._proofs(current.checkpoint, leaves)
        return self

    def result(self, started_at: datetime, finished_at: datetime) -> LogAudit:
        return LogAudit(
            id=0,
            started_at=started_at,
            finished_at=finished_at,
            checkpoint_size=self.size,
            checkpoint_note=self.note,
            entries_checked=self.checked,
            entries_with_findings=len(self.flagged),
            finding_count=len(self.findings),
            findings=tuple(self.findings[:KEPT_FINDINGS]),
        )

    def _checkpoint(self, verifier: notes.Verifier) -> checks.SignedCheckpoint | None:
        """The newest checkpoint if it verifies with the log's key; None (and a finding)
        when there is none or it does not."""
        try:
            note = self.log.checkpoint_note()
        except NotFoundError:
            self.findings.append(checks.Finding("NO_CHECKPOINT", "the log has no checkpoint"))
            return None
        try:
            return checks.open_checkpoint(note, verifier)
        except (AccordError, ValueError) as exc:
            self.findings.append(
                checks.Finding(
                    "BAD_CHECKPOINT",
                    f"the newest checkpoint does not verify with the log's key: {exc}",
                    (note,),
                )
            )
            return None

    def _entries(self, checkpoint: notes.Checkpoint) -> dict[int, bytes]:
        """Walk every entry a page at a time; check the leaves' root. Returns the leaves of
        the entries whose inclusion proofs are to be checked."""
        walker, root = checks.EntryAudit(), checks.RunningRoot()
        wanted = set(checks.proof_indexes(checkpoint.size, random.SystemRandom()))
        leaves: dict[int, bytes] = {}
        is_complete = True
        for start in range(0, checkpoint.size, PAGE):
            self._stop_if_asked()
            end = min(checkpoint.size, start + PAGE)
            page = self._page(start, end)
            walker.vouch(page)
            is_complete &= self._walk(walker, page, start, end)
            root.add([served.leaf_hash for served in page])
            leaves |= {s.index: s.leaf_hash for s in page if s.index in wanted}
        self.findings += walker.finish()
        self.checked = walker.read_in_full
        self.flagged |= _entries_named(walker.findings)
        if is_complete:  # else the gaps are reported; the root could only repeat them
            self.findings += root.check(checkpoint)
        return leaves

    def _page(self, start: int, end: int) -> list[checks.ServedEntry]:
        try:
            served = self.log.entries(_ADMIN, start, end)["entries"]
        except (AccordError, KeyError) as exc:  # the log's size or its leaves are damaged
            self._missing(start, end, f"cannot be read: {exc}")
            return []
        return [_served(item) for item in served]

    def _walk(
        self, walker: checks.EntryAudit, page: list[checks.ServedEntry], start: int, end: int
    ) -> bool:
        """Check a page's entries in order; False when some are missing from it."""
        expected = start
        for served in page:
            if served.index != expected:
                self._missing(expected, served.index, "missing from the stored records")
            walker.check(served)
            expected = served.index + 1
        if expected < end:
            self._missing(expected, end, "missing from the stored records")
        return len(page) == end - start

    def _missing(self, start: int, end: int, why: str) -> None:
        where = f"entry {start} is" if end == start + 1 else f"entries {start} to {end - 1} are"
        self.findings.append(checks.Finding("MISSING_ENTRIES", f"{where} {why}"))
        self.flagged |= set(range(start, end))

    def _proofs(self, checkpoint: notes.Checkpoint, leaves: dict[int, bytes]) -> None:
        """Inclusion proofs from the stored tree, for the entries drawn, against the leaves
        read (an entry missing from the records is reported already)."""
        for count, index in enumerate(sorted(leaves)):
            if count % PROOF_CHECK_EVERY == 0:
                self._stop_if_asked()
            try:
                answer = self.log.inclusion(index, checkpoint.size)
            except (AccordError, KeyError) as exc:  # a node of the tree is gone
                found = [checks.Finding("BAD_INCLUSION_PROOF", f"entry {index}: no proof: {exc}")]
            else:
                proof = checks.decode_hashes(answer["proof"])
                found = checks.check_inclusion(index, leaves[index], checkpoint, proof)
            self.findings += found
            self.flagged |= {index} if found else set()

    def _stop_if_asked(self) -> None:
        if self.should_stop():
            raise AuditInterrupted("the audit was stopped before it finished")


def _consistency(
    log: LogService,
    verifier: notes.Verifier,
    previous: LogAudit | None,
    current: checks.SignedCheckpoint,
) -> list[checks.Finding]:
    """Whether the log extends the checkpoint of the last clean audit. One of a log under
    another name or key (the origin or log key was changed since) is not compared."""
    seen_note = previous.checkpoint_note if previous else None
    if previous is None or seen_note is None or not _signed_by(seen_note, verifier):
        return []
    try:
        seen = checks.open_checkpoint(seen_note, verifier)
    except (AccordError, ValueError) as exc:
        message = f"the checkpoint of audit {previous.id} does not verify: {exc}"
        return [checks.Finding("BAD_PREVIOUS_CHECKPOINT", message, (seen_note,))]
    old, new = seen.checkpoint.size, current.checkpoint.size
    proof = None
    if 0 < old < new:
        try:
            proof = checks.decode_hashes(log.consistency(old, new)["proof"])
        except (AccordError, KeyError) as exc:
            message = f"the stored tree proves no consistency from {old} to {new}: {exc}"
            return [checks.Finding("NO_CONSISTENCY_PROOF", message)]
    return checks.check_extends(seen, current, proof) if old else []


def _signed_by(note: str, verifier: notes.Verifier) -> bool:
    """Whether ``note`` carries a signature line under the key ID of ``verifier`` (which
    hashes the key's name with it)."""
    try:
        return any(
            notes.line_key_id(line) == verifier.key_id for line in notes.signature_lines(note)
        )
    except (AccordError, ValueError):
        return True  # malformed: let ``open_checkpoint`` say what is wrong


def _served(item: dict[str, Any]) -> checks.ServedEntry:
    entry = base64.b64decode(item["entry"]) if "entry" in item else None
    leaf = base64.b64decode(item["leaf_hash"])
    original = base64.b64decode(item["original"]) if "original" in item else None
    return checks.ServedEntry(int(item["index"]), leaf, entry, item.get("body"), original)


def _entries_named(findings: Sequence[checks.Finding]) -> set[int]:
    """The entries the walk's findings name (each message starts "entry N")."""
    return {int(m.group(1)) for f in findings if (m := _ENTRY.match(f.message))}
