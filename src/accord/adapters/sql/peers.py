"""SQL storage of peers, incidents and the records replicated from peers' logs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import incidents, participants, peers, records, replicated
from accord.ledger.witnessing import Sighting
from accord.services.federation_ports import PeerRow, ReplicatedRecord

# One statement for a page of records; positions come back in input order.
_INSERT_RECORD = records.insert().returning(records.c.position, sort_by_parameter_order=True)


class SqlPeerRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, url: str, verifier_key: str, participant: str, now: datetime) -> int:
        return int(
            self._db.execute(
                peers.insert()
                .values(
                    url=url,
                    verifier_key=verifier_key,
                    participant_code=participant,
                    mirror={},
                    created_at=now,
                    last_error="",
                )
                .returning(peers.c.id)
            ).scalar_one()
        )

    def get(self, peer_id: int) -> PeerRow | None:
        row = self._db.execute(select(peers).where(peers.c.id == peer_id)).first()
        return _peer(row) if row else None

    def by_verifier_key(self, verifier_key: str) -> PeerRow | None:
        row = self._db.execute(select(peers).where(peers.c.verifier_key == verifier_key)).first()
        return _peer(row) if row else None

    def find(self) -> list[PeerRow]:
        return [_peer(row) for row in self._db.execute(select(peers).order_by(peers.c.id))]

    def save_mirror(self, peer_id: int, mirror: dict[str, Any]) -> None:
        self._db.execute(update(peers).where(peers.c.id == peer_id).values(mirror=mirror))

    def record_attempt(self, peer_id: int, now: datetime, error: str) -> None:
        values: dict[str, Any] = {"last_attempt_at": now, "last_error": error}
        if not error:
            values["last_success_at"] = now
        self._db.execute(update(peers).where(peers.c.id == peer_id).values(**values))

    def add_incident(
        self,
        peer_id: int | None,
        code: str,
        detail: str,
        evidence: Sequence[str],
        now: datetime,
    ) -> None:
        self._db.execute(
            incidents.insert().values(
                peer_id=peer_id,
                code=code,
                detail=detail,
                evidence=list(evidence),
                created_at=now,
            )
        )

    def incidents(self, peer_id: int | None) -> list[dict[str, Any]]:
        query = select(incidents).order_by(incidents.c.id)
        if peer_id is not None:
            query = query.where(incidents.c.peer_id == peer_id)
        return [
            {
                "id": row.id,
                "peer": row.peer_id,
                "code": row.code,
                "detail": row.detail,
                "evidence": list(row.evidence),
                "at": utc(row.created_at).isoformat(),
            }
            for row in self._db.execute(query)
        ]

    def has_incident(self, peer_id: int, code: str, evidence: Sequence[str]) -> bool:
        rows = self._db.execute(
            select(incidents.c.evidence).where(
                incidents.c.peer_id == peer_id, incidents.c.code == code
            )
        )
        return any(sorted(row[0]) == sorted(evidence) for row in rows)

    def append(self, rows: Sequence[ReplicatedRecord]) -> list[tuple[ReplicatedRecord, int]]:
        """Store the records not held yet (by record id); returns them with their positions.
        Applying a page twice stores nothing the second time."""
        if not rows:
            return []
        held = set(
            self._db.execute(
                select(records.c.record_id).where(
                    records.c.record_id.in_([r.record_id for r in rows])
                )
            ).scalars()
        )
        fresh = [r for r in rows if r.record_id not in held]
        ids = dict(
            self._db.execute(
                select(participants.c.code, participants.c.id).where(
                    participants.c.code.in_({r.author for r in fresh})
                )
            ).all()
        )
        if not fresh:
            return []
        positions = (
            self._db.execute(
                _INSERT_RECORD,
                [
                    {
                        "record_id": row.record_id,
                        "kind": row.kind,
                        "author_id": ids[row.author],
                        "author_seq": row.seq,
                        "created_at": row.created_at,
                        "received_at": row.received_at,
                        "tlp": row.tlp,
                        "audience": row.audience,
                        "envelope": row.envelope,
                        "content_type": "application/json",
                        "original": row.body.encode("utf-8"),
                        "body": row.body,
                        "entry": row.entry,
                        "log_index": None,
                    }
                    for row in fresh
                ],
            )
            .scalars()
            .all()
        )
        self._db.execute(
            replicated.insert(),
            [
                {
                    "position": position,
                    "peer_id": row.peer_id,
                    "origin_index": row.origin_index,
                    "absent_at": row.absent.at if row.absent else None,
                    "absent_size": row.absent.size if row.absent else None,
                    "present_at": row.present.at if row.present else None,
                    "present_size": row.present.size if row.present else None,
                }
                for row, position in zip(fresh, positions, strict=True)
            ],
        )
        return [(row, int(position)) for row, position in zip(fresh, positions, strict=True)]

    def sightings(self, position: int, by: str) -> tuple[Sighting | None, Sighting | None] | None:
        """When this node (``by``) saw the origin's tree without the record and with it;
        None when the record did not come from a peer."""
        row = self._db.execute(
            select(
                replicated.c.absent_at,
                replicated.c.absent_size,
                replicated.c.present_at,
                replicated.c.present_size,
            ).where(replicated.c.position == position)
        ).first()
        if row is None:
            return None
        return _sighting(row[0], row[1], by), _sighting(row[2], row[3], by)

    def taken_sequences(self, rows: Sequence[ReplicatedRecord]) -> set[tuple[str, int]]:
        """(author, seq) pairs already held under another record id: an author writing on
        two nodes, which is reported rather than merged."""
        by_author: dict[str, dict[int, str]] = {}
        for row in rows:
            by_author.setdefault(row.author, {})[row.seq] = row.record_id
        taken = set()
        for author, seqs in by_author.items():
            found = self._db.execute(
                select(records.c.author_seq, records.c.record_id)
                .join(participants, participants.c.id == records.c.author_id)
                .where(participants.c.code == author, records.c.author_seq.in_(list(seqs)))
            )
            taken |= {(author, seq) for seq, rid in found if seqs.get(seq) != rid}
        return taken


def _sighting(at: datetime | None, size: int | None, by: str) -> Sighting | None:
    return Sighting(utc(at), by, int(size)) if at is not None and size is not None else None


def _peer(row: Any) -> PeerRow:
    return PeerRow(
        id=row.id,
        url=row.url,
        verifier_key=row.verifier_key,
        participant=row.participant_code,
        mirror=dict(row.mirror),
        created_at=utc(row.created_at),
        last_attempt_at=utc(row.last_attempt_at) if row.last_attempt_at else None,
        last_success_at=utc(row.last_success_at) if row.last_success_at else None,
        last_error=row.last_error,
    )
