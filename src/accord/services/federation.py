"""Federation: peers pinned by their log keys, pulled page by page, verified before applied.

A pull verifies the peer's checkpoint and its consistency with the last one verified,
then reads entries in bounded pages through the ``LogMirror`` (ADR 6). Each page the
mirror accepts is applied in one transaction with the mirror's new state: records stored
insert-or-ignore by record id, replicated alerts projected and routed to local
subscribers like local ones. Misbehaviour becomes an incident with its evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.domain.identity import Role
from accord.domain.sharing import Reader, Scope, Tlp
from accord.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PeerError,
    PermissionDeniedError,
    Problem,
    VerificationError,
)
from accord.ledger import notes
from accord.ledger.audit import Finding, ServedEntry, check_extends, open_checkpoint
from accord.ledger.mirror import LogMirror, Verified, mirror_from_json, mirror_to_json
from accord.ledger.witnessing import Sighting
from accord.services.alerts import ALERT_RECORD_KIND, AlertService
from accord.services.federation_ports import (
    PeerClient,
    PeerClients,
    PeerRow,
    ReplicatedRecord,
)
from accord.services.ports import Account, Clock, UnitOfWorkFactory

logger = logging.getLogger(__name__)
PAGE = 500


@dataclass
class PullReport:
    peer: int
    applied: int = 0
    hidden: int = 0
    findings: list[Finding] = field(default_factory=list)
    # Equivocation by third logs, seen by comparing the peer's views with ours: (peer, finding).
    third_parties: list[tuple[int, Finding]] = field(default_factory=list)
    error: str = ""


class FederationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        alerts: AlertService,
        clients: PeerClients,
        *,
        cosign: Callable[[str], str] | None = None,
        page: int = PAGE,
        name: str = "this node",
    ) -> None:
        self._cosign = cosign
        self._name = name
        self._uow = uow
        self._clock = clock
        self._alerts = alerts
        self._clients = clients
        self._page = page

    def add_peer(
        self, account: Account, url: str, verifier_key: str, participant: str
    ) -> dict[str, Any]:
        if account.role is not Role.ADMIN:
            raise PermissionDeniedError("only a node admin may add peers")
        problems = []
        try:
            notes.parse_verifier_key(verifier_key.strip())
        except VerificationError as exc:
            problems.append(Problem("/key", "INVALID_KEY", f"not a C2SP verifier key: {exc}"))
        if not url.startswith(("http://", "https://")):
            problems.append(Problem("/url", "INVALID_URL", "url: the peer's http(s) base URL"))
        with self._uow() as uow:
            if participant not in uow.identity.participant_codes():
                problems.append(
                    Problem("/participant", "UNKNOWN_PARTICIPANT", f"no participant {participant}")
                )
            if problems:
                raise InvalidInputError("the peer is not valid", problems)
            if uow.peers.by_verifier_key(verifier_key.strip()) is not None:
                raise ConflictError("a peer with this key is already known")
            peer_id = uow.peers.add(
                url.rstrip("/"), verifier_key.strip(), participant, self._clock.now()
            )
            row = uow.peers.get(peer_id)
        assert row is not None
        return peer_json(row, self._clock.now())

    def peers(self) -> list[dict[str, Any]]:
        with self._uow(readonly=True) as uow:
            rows = uow.peers.find()
        now = self._clock.now()
        return [peer_json(row, now) for row in rows]

    def incidents(self) -> list[dict[str, Any]]:
        with self._uow(readonly=True) as uow:
            return uow.peers.incidents(None)

    def public_key_for(self, verifier_key: str) -> bytes | None:
        """The pinned public key of the peer whose verifier key this is, if one is."""
        with self._uow(readonly=True) as uow:
            row = uow.peers.by_verifier_key(verifier_key)
        return notes.parse_verifier_key(row.verifier_key).public_key if row else None

    def reader_for(self, verifier_key: str) -> Reader:
        """A peer's requests read as its participant's focal point: the widest reader the
        participant has, so its node can hold what any of its people may read."""
        with self._uow(readonly=True) as uow:
            row = uow.peers.by_verifier_key(verifier_key)
        if row is None:
            raise AuthenticationError("the request is signed by a key this node does not know")
        return Reader(Role.FOCAL_POINT, row.participant)

    def seen_checkpoints(self, own_key: str, own_note: str) -> list[dict[str, str]]:
        """This node's newest checkpoint and the newest it verified of every peer: what
        other nodes compare with their own views to catch a log shown two ways."""
        with self._uow(readonly=True) as uow:
            rows = uow.peers.find()
        seen = [{"key": own_key, "note": own_note}]
        seen += [
            {"key": row.verifier_key, "note": row.mirror["checkpoint"]}
            for row in rows
            if row.mirror.get("checkpoint")
        ]
        return seen

    def pull_all(self) -> list[PullReport]:
        with self._uow(readonly=True) as uow:
            ids = [row.id for row in uow.peers.find()]
        return [self.pull(peer_id) for peer_id in ids]

    def pull(self, peer_id: int) -> PullReport:
        """Read everything the peer's newest checkpoint holds that is new to this node."""
        with self._uow(readonly=True) as uow:
            row = uow.peers.get(peer_id)
        if row is None:
            raise NotFoundError(f"no peer {peer_id}")
        report = PullReport(peer_id)
        mirror = mirror_from_json(notes.parse_verifier_key(row.verifier_key), row.mirror)
        client = self._clients(row)
        seen = _Sightings(_last_seen(row, self._name))
        try:
            self._pull(row, mirror, client, report, seen)
            if not report.error:
                report.third_parties += self._compare_views(row, client)
                self._witness(mirror, client)
        except PeerError as exc:
            report.error = str(exc)
        except (VerificationError, InvalidInputError) as exc:
            # Garbage on the wire or a malformed answer: nothing of it was applied.
            report.error = f"the peer's answer does not verify: {exc}"
        finally:
            client.close()
        with self._uow() as uow:
            uow.peers.record_attempt(peer_id, self._clock.now(), report.error)
            if not report.error and seen.now is not None:
                uow.peers.save_mirror(peer_id, _mirror_json(mirror, seen.now))
            noticed = [(peer_id, f) for f in report.findings] + report.third_parties
            for about, finding in noticed:
                if not uow.peers.has_incident(about, finding.code, finding.evidence):
                    uow.peers.add_incident(
                        about, finding.code, finding.message, finding.evidence, self._clock.now()
                    )
        return report

    def _pull(
        self, row: PeerRow, mirror: LogMirror, client: Any, report: PullReport, seen: _Sightings
    ) -> None:
        fetched_at = self._clock.now()
        note = client.checkpoint()
        old = mirror.checkpoint.checkpoint.size if mirror.checkpoint else 0
        new = notes.Checkpoint.parse(notes.note_text(note)).size
        proof = client.consistency(old, new) if 0 < old < new else None
        findings = mirror.offer_checkpoint(note, proof)
        if findings and _answered_otherwise(client, findings[0], note, proof, old, new):
            report.error = (
                f"{findings[0].message}; asked again, the peer answered otherwise "
                "(garbled on the way?): it will be asked again at the next pull"
            )
            return
        if findings:
            report.findings += findings
            report.error = findings[0].message
            return
        size = new
        seen.now = Sighting(fetched_at, self._name, size)

        def fetch(start: int) -> tuple[list[ServedEntry], list[bytes]]:
            served = client.entries(start, min(start + self._page, size))
            end = start + len(served)  # the peer may serve a shorter page than asked
            return served, client.consistency(end, size) if start < end < size else []

        # One page is fetched while the one before is checked and applied: the wire and the
        # peer's work overlap ours. A page fetched from where the last one should have ended
        # is used only if it did end there.
        with ThreadPoolExecutor(1, thread_name_prefix="accord-pull") as fetcher:
            ahead: tuple[int, Future[tuple[list[ServedEntry], list[bytes]]]] | None = None
            while mirror.frontier.size < size:
                start = mirror.frontier.size
                if ahead is None or ahead[0] != start:
                    if ahead is not None:
                        ahead[1].cancel()
                    ahead = (start, fetcher.submit(fetch, start))
                served, page_proof = ahead[1].result()
                following = start + len(served)
                ahead = (following, fetcher.submit(fetch, following)) if following < size else None
                if not self._read(row, mirror, served, page_proof, report, seen):
                    return

    def _read(
        self,
        row: PeerRow,
        mirror: LogMirror,
        served: list[ServedEntry],
        page_proof: list[bytes],
        report: PullReport,
        seen: _Sightings,
    ) -> bool:
        """Check one page and apply what it proved; False when the pull must stop."""
        start = mirror.frontier.size
        result = mirror.read_page(served, page_proof)
        if not result.accepted and result.findings and mirror.frontier.size == start:
            # The page as a whole is wrong (range, or not in the signed tree): it proves
            # nothing against the log, which signs no pages. An error; asked again later.
            report.error = result.findings[0].message
            return False
        report.findings += result.findings
        report.hidden += result.hidden
        report.applied += self._apply(row, mirror, result.accepted, seen)
        if result.retry is not None:
            # Served otherwise than logged: maybe the wire, maybe the peer. Not passed
            # over and not an incident; read again at the next pull.
            report.error = f"{result.retry.message}; it will be read again"
            return False
        return True

    def _witness(self, mirror: LogMirror, client: PeerClient) -> None:
        """Cosign the peer's checkpoint once everything it holds was read and verified:
        the peer can then show that another node saw that tree, and when."""
        if self._cosign is None or mirror.checkpoint is None or mirror.behind:
            return
        try:
            client.cosign(self._cosign(mirror.checkpoint.note), mirror.checkpoint.checkpoint.size)
        except PeerError as exc:  # the pull itself succeeded; the witness line can wait
            logger.warning("could not cosign a peer's checkpoint: %s", exc)

    def peer_witnesses(self) -> list[notes.Verifier]:
        """Every peer's log key as a cosignature/v1 witness key (same name, same key)."""
        with self._uow(readonly=True) as uow:
            rows = uow.peers.find()
        out = []
        for row in rows:
            key = notes.parse_verifier_key(row.verifier_key)
            out.append(notes.Verifier(key.name, notes.COSIGNATURE_V1, key.public_key))
        return out

    def _compare_views(self, source: PeerRow, client: PeerClient) -> list[tuple[int, Finding]]:
        """Compare the peer's view of third logs with ours: two checkpoints of one log that
        cannot both be true are equivocation by that log, whoever showed them to us."""
        findings = []
        with self._uow(readonly=True) as uow:
            mine = {row.verifier_key: row for row in uow.peers.find() if row.id != source.id}
        for key, note in client.checkpoints():
            row = mine.get(key)
            if row is None or not row.mirror.get("checkpoint"):
                continue
            finding = self._check_view(row, note)
            if finding is not None:
                findings.append((row.id, finding))
        return findings

    def _check_view(self, row: PeerRow, theirs_note: str) -> Finding | None:
        log_key = notes.parse_verifier_key(row.verifier_key)
        try:
            theirs = open_checkpoint(theirs_note, log_key)
        except VerificationError:
            return None  # not signed by that log: says nothing about it
        ours = open_checkpoint(row.mirror["checkpoint"], log_key)
        a, b = sorted((ours, theirs), key=lambda c: c.checkpoint.size)
        if a.checkpoint == b.checkpoint:
            return None
        proof: list[bytes] | None = None
        if a.checkpoint.size < b.checkpoint.size:
            client = self._clients(row)
            try:
                proof = client.consistency(a.checkpoint.size, b.checkpoint.size)
                if check_extends(a, b, proof):  # the log's own answer, asked twice
                    again = client.consistency(a.checkpoint.size, b.checkpoint.size)
                    if again != proof:
                        return None  # garbled on the way: ask again next time
            except PeerError:
                return None  # ask again next time
            finally:
                client.close()
        for finding in check_extends(a, b, proof):
            if finding.code == "EQUIVOCATION":
                return Finding(
                    "EQUIVOCATION",
                    f"the log of {row.url} was shown two ways: {finding.message}",
                    finding.evidence,
                )
        return None

    def _apply(
        self, row: PeerRow, mirror: LogMirror, accepted: list[Verified], seen: _Sightings
    ) -> int:
        now = self._clock.now()
        assert seen.now is not None  # pages are read only under a verified checkpoint
        with self._uow() as uow:
            known = uow.identity.participant_codes()
            rows = [_replicated(row.id, v, now, *seen.around(v.index)) for v in accepted]
            unknown = sorted({r.author for r in rows} - known)
            for author in unknown:
                uow.peers.add_incident(
                    row.id,
                    "UNKNOWN_AUTHOR",
                    f"records by {author}, a participant this node does not know, were skipped",
                    [],
                    now,
                )
            rows = [r for r in rows if r.author in known]
            foreign = sorted({r.author for r in rows} - {row.participant})
            for author in foreign:
                uow.peers.add_incident(
                    row.id,
                    "FOREIGN_AUTHOR",
                    f"records signed as {author} were skipped: this peer sends {row.participant}'s",
                    [],
                    now,
                )
            rows = [r for r in rows if r.author == row.participant]
            taken = uow.peers.taken_sequences(rows)
            for author, seq in sorted(taken):
                uow.peers.add_incident(
                    row.id,
                    "SEQUENCE_CONFLICT",
                    f"{author}'s record {seq} differs from the one already held",
                    [],
                    now,
                )
            stored = uow.peers.append([r for r in rows if (r.author, r.seq) not in taken])
            alerts = [(r, position) for r, position in stored if r.kind == ALERT_RECORD_KIND]
            hidden = self._alerts.apply_replicated(uow, [_for_projection(r, p) for r, p in alerts])
            for record_id, code, why in hidden:
                uow.peers.add_incident(row.id, code, why, [record_id], now)
            uow.peers.save_mirror(row.id, _mirror_json(mirror, seen.now))
        if stored:
            self._alerts.committed()
        return len(stored)


def _answered_otherwise(
    client: PeerClient, finding: Finding, note: str, proof: list[bytes] | None, old: int, new: int
) -> bool:
    """Whether a peer, asked again, gives another answer than the one that failed: then the
    failure was the wire's, not evidence against the log. A forger or a forked log gives
    the same answer twice (signatures and proofs are deterministic); garbage does not."""
    if finding.code == "BAD_CHECKPOINT":
        return bool(client.checkpoint() != note)
    if finding.code == "EQUIVOCATION" and proof is not None:
        return bool(client.consistency(old, new) != proof)
    return False  # two signed checkpoints that cannot both be true: no wire makes those


@dataclass
class _Sightings:
    """This node's sightings of a peer's tree: the newest checkpoint of the last pull, when
    last fetched, and this pull's. They bound when each record read now was written."""

    before: Sighting | None
    now: Sighting | None = None

    def around(self, index: int) -> tuple[Sighting | None, Sighting | None]:
        """(absent, present) for the entry at ``index``."""
        if self.before is not None and index < self.before.size:
            return None, self.before  # in the last tree already (read late, after a crash)
        return self.before, self.now


def _last_seen(row: PeerRow, name: str) -> Sighting | None:
    checkpoint, seen_at = row.mirror.get("checkpoint"), row.mirror.get("seen_at")
    if not checkpoint or not seen_at:
        return None
    size = notes.Checkpoint.parse(notes.note_text(checkpoint)).size
    return Sighting(datetime.fromisoformat(seen_at), name, size)


def _mirror_json(mirror: LogMirror, seen: Sighting | None) -> dict[str, Any]:
    state = mirror_to_json(mirror)
    if seen is not None:
        state["seen_at"] = seen.at.isoformat()  # when its checkpoint was last fetched
    return state


def _replicated(
    peer_id: int,
    verified: Verified,
    now: datetime,
    absent: Sighting | None,
    present: Sighting | None,
) -> ReplicatedRecord:
    envelope = verified.record.envelope
    return ReplicatedRecord(
        peer_id=peer_id,
        origin_index=verified.index,
        record_id=verified.record.record_id,
        entry=verified.entry,
        envelope=verified.record.envelope_bytes().decode("utf-8"),
        kind=envelope.kind,
        author=envelope.author,
        seq=envelope.seq,
        created_at=envelope.created_at,
        tlp=str(envelope.scope.get("tlp", "RED")),
        audience=list(envelope.scope.get("audience", [])),
        body=verified.body or "{}",
        body_digest=envelope.body_digest,
        received_at=now,
        absent=absent,
        present=present,
    )


def _for_projection(row: ReplicatedRecord, position: int) -> tuple[int, ReplicatedRecord, Scope]:
    return position, row, Scope(Tlp(row.tlp), frozenset(row.audience))


def peer_json(row: PeerRow, now: datetime) -> dict[str, Any]:
    mirror = row.mirror
    checkpoint = mirror.get("checkpoint")
    size = notes.Checkpoint.parse(notes.note_text(checkpoint)).size if checkpoint else 0
    read = int(mirror.get("frontier", {}).get("size", 0))
    return {
        "id": row.id,
        "url": row.url,
        "key": row.verifier_key,
        "participant": row.participant,
        "checkpoint": checkpoint,
        "verified_size": size,
        "read": read,
        "lag_entries": size - read if checkpoint else None,  # None: never verified yet
        "lag_seconds": (now - row.last_success_at).total_seconds() if row.last_success_at else None,
        "last_attempt_at": row.last_attempt_at.isoformat() if row.last_attempt_at else None,
        "last_error": row.last_error,
    }
