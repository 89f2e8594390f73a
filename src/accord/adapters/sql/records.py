"""SQL storage of records: the append-only table every projection is derived from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import participants, records
from accord.domain.sharing import Scope, Tlp
from accord.errors import NotFoundError
from accord.ledger.canonical import canonical_json
from accord.ledger.records import SignedRecord
from accord.services.ports import StoredRecord

# Built once: statements with bound parameters are compiled once and cached.
_NEXT_SEQ = (
    update(participants)
    .where(participants.c.code == bindparam("author"))
    .values(record_seq=participants.c.record_seq + 1)
    .returning(participants.c.record_seq)
)
_AUTHOR_ID = select(participants.c.id).where(participants.c.code == bindparam("author"))
_INSERT = records.insert().returning(records.c.position)


class SqlRecordRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._author_ids: dict[str, int] = {}  # per unit of work: ids never change

    def next_seq(self, author: str) -> int:
        """Claim the author's next sequence number.

        The counter row is updated in the caller's transaction, so concurrent writers for
        one author queue on its row lock (PostgreSQL) or the database lock (SQLite) and
        sequence numbers have no gaps and no repeats.
        """
        seq = self._db.execute(_NEXT_SEQ, {"author": author}).scalar()
        if seq is None:
            raise NotFoundError(f"no participant {author!r}")
        return int(seq)

    def append(
        self,
        record: SignedRecord,
        *,
        log_index: int,
        received_at: datetime,
        content_type: str,
        original: bytes,
        body: str,
    ) -> StoredRecord:
        envelope = record.envelope
        author_id = self._author_ids.get(envelope.author)
        if author_id is None:
            author_id = self._db.execute(_AUTHOR_ID, {"author": envelope.author}).scalar_one()
            self._author_ids[envelope.author] = author_id
        position = self._db.execute(
            _INSERT,
            {
                "record_id": record.record_id,
                "kind": envelope.kind,
                "author_id": author_id,
                "author_seq": envelope.seq,
                "created_at": envelope.created_at,
                "received_at": received_at,
                "tlp": envelope.scope["tlp"],
                "audience": envelope.scope["audience"],
                "envelope": canonical_json(envelope.to_json()).decode("utf-8"),
                "entry": record.entry,
                "log_index": log_index,
                "content_type": content_type,
                "original": original,
                "body": body,
            },
        ).scalar_one()
        return StoredRecord(
            int(position), record.record_id, envelope.author, envelope.seq, log_index
        )

    def of_kind(self, kind: str) -> Iterator[tuple[StoredRecord, Scope, str, bytes, str, datetime]]:
        """Every record of ``kind`` in log order, with what projections are built from."""
        rows = self._db.execute(
            select(
                records.c.position,
                records.c.record_id,
                participants.c.code,
                records.c.author_seq,
                records.c.log_index,
                records.c.tlp,
                records.c.audience,
                records.c.content_type,
                records.c.original,
                records.c.body,
                records.c.received_at,
            )
            .join(participants, participants.c.id == records.c.author_id)
            .where(records.c.kind == kind)
            .order_by(records.c.log_index)
        )
        for row in rows:
            stored = StoredRecord(row[0], row[1], row[2], row[3], row[4])
            scope = Scope(Tlp(row[5]), frozenset(row[6] or ()))
            yield stored, scope, row[7], bytes(row[8]), row[9], utc(row[10])
