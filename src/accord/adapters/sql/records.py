"""SQL storage of records: the append-only table every projection is derived from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from accord.adapters.sql.tables import participants, records
from accord.errors import NotFoundError
from accord.ledger.records import Envelope
from accord.services.ports import StoredRecord


class SqlRecordRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def next_seq(self, author: str) -> int:
        """Claim the author's next sequence number.

        The counter row is updated in the caller's transaction, so concurrent writers for
        one author queue on its row lock (PostgreSQL) or the database lock (SQLite) and
        sequence numbers have no gaps and no repeats.
        """
        seq = self._db.execute(
            update(participants)
            .where(participants.c.code == author)
            .values(record_seq=participants.c.record_seq + 1)
            .returning(participants.c.record_seq)
        ).scalar()
        if seq is None:
            raise NotFoundError(f"no participant {author!r}")
        return int(seq)

    def append(
        self,
        envelope: Envelope,
        *,
        received_at: datetime,
        content_type: str,
        original: bytes,
        body: str,
    ) -> StoredRecord:
        author_id = self._db.execute(
            select(participants.c.id).where(participants.c.code == envelope.author)
        ).scalar_one()
        position = self._db.execute(
            records.insert()
            .values(
                record_id=envelope.record_id,
                kind=envelope.kind,
                author_id=author_id,
                author_seq=envelope.seq,
                created_at=envelope.created_at,
                received_at=received_at,
                tlp=envelope.scope["tlp"],
                audience=envelope.scope["audience"],
                envelope=envelope.canonical_bytes().decode("utf-8"),
                content_type=content_type,
                original=original,
                body=body,
            )
            .returning(records.c.position)
        ).scalar_one()
        return StoredRecord(int(position), envelope.record_id, envelope.author, envelope.seq)
