"""SQL storage of records: the append-only table every projection is derived from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.append_only import allow_changes, forbid_changes
from accord.adapters.sql.tables import participants, records
from accord.domain.sharing import Scope, Tlp
from accord.errors import NotFoundError, VerificationError
from accord.ledger.records import open_entry
from accord.services.ports import LoggedRecord, NewRecord, StoredRecord

# Built once: statements with bound parameters are compiled once and cached.
_CLAIM_SEQS = (
    update(participants)
    .where(participants.c.code == bindparam("author"))
    .values(record_seq=participants.c.record_seq + bindparam("count"))
    .returning(participants.c.record_seq)
)
_AUTHOR_ID = select(participants.c.id).where(participants.c.code == bindparam("author"))
_INSERT = records.insert().returning(records.c.position, sort_by_parameter_order=True)


class SqlRecordRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._author_ids: dict[str, int] = {}  # per unit of work: ids never change

    def claim_seqs(self, author: str, count: int) -> int:
        """Claim the author's next ``count`` sequence numbers; returns the first.

        The counter row is updated in the caller's transaction, so concurrent writers for
        one author queue on its row lock (PostgreSQL) or the database lock (SQLite) and
        sequence numbers have no gaps and no repeats.
        """
        last = self._db.execute(_CLAIM_SEQS, {"author": author, "count": count}).scalar()
        if last is None:
            raise NotFoundError(f"no participant {author!r}")
        return int(last) - count + 1

    def append_many(self, rows: Sequence[NewRecord]) -> list[StoredRecord]:
        """Insert signed records in one statement; positions come back in input order."""
        values = [self._values(row) for row in rows]
        positions = self._db.execute(_INSERT, values).scalars().all()
        return [
            StoredRecord(
                int(position),
                row.record.record_id,
                row.record.envelope.author,
                row.record.envelope.seq,
                row.log_index,
            )
            for position, row in zip(positions, rows, strict=True)
        ]

    def _values(self, row: NewRecord) -> dict[str, Any]:
        envelope = row.record.envelope
        author_id = self._author_ids.get(envelope.author)
        if author_id is None:
            author_id = self._db.execute(_AUTHOR_ID, {"author": envelope.author}).scalar_one()
            self._author_ids[envelope.author] = author_id
        return {
            "record_id": row.record.record_id,
            "kind": envelope.kind,
            "author_id": author_id,
            "author_seq": envelope.seq,
            "created_at": envelope.created_at,
            "received_at": row.received_at,
            "tlp": envelope.scope["tlp"],
            "audience": envelope.scope["audience"],
            "envelope": _envelope_text(row.record.entry),
            "entry": row.record.entry,
            "log_index": row.log_index,
            "content_type": row.content_type,
            "original": row.original,
            "body": row.body,
        }

    def since(self, position: int, kinds: Sequence[str], limit: int) -> list[LoggedRecord]:
        """Records of these kinds after ``position``, oldest first, at most ``limit``."""
        rows = self._db.execute(
            select(
                records.c.position,
                records.c.record_id,
                records.c.kind,
                participants.c.code,
                records.c.created_at,
                records.c.tlp,
                records.c.audience,
                records.c.body,
            )
            .join(participants, participants.c.id == records.c.author_id)
            .where(records.c.position > position, records.c.kind.in_(list(kinds)))
            .order_by(records.c.position)
            .limit(limit)
        )
        return [
            LoggedRecord(
                row[0],
                row[1],
                row[2],
                row[3],
                utc(row[4]),
                Scope(Tlp(row[5]), frozenset(row[6] or ())),
                row[7],
            )
            for row in rows
        ]

    def scope_columns(self) -> Iterator[tuple[str, Scope, Scope | None, bytes | None]]:
        """Every record's stored scope columns (which read paths filter on) beside the
        scope its signed entry states (None when the entry does not open), and the entry."""
        rows = self._db.execute(
            select(records.c.record_id, records.c.tlp, records.c.audience, records.c.entry)
        ).yield_per(1000)
        for row in rows:
            stored = Scope(Tlp(row[1]), frozenset(row[2] or ()))
            entry = bytes(row[3]) if row[3] is not None else None
            yield row[0], stored, _signed_scope(entry), entry

    def restore_signed_scopes(self) -> int:
        """Put back the scope columns of records whose signed entry states another scope
        (what the self-audit names ``RECORD_SCOPE``): the only change to ``records`` after
        it is written, made with the append-only triggers lifted inside this transaction."""
        wrong = [
            (record_id, signed)
            for record_id, stored, signed, _entry in self.scope_columns()
            if signed is not None and stored != signed
        ]
        if not wrong:
            return 0
        allow_changes(self._db)
        for record_id, signed in wrong:
            self._db.execute(
                update(records)
                .where(records.c.record_id == record_id)
                .values(tlp=signed.tlp.value, audience=sorted(signed.audience))
            )
        forbid_changes(self._db, create_function=False)
        return len(wrong)

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
                records.c.entry,
            )
            .join(participants, participants.c.id == records.c.author_id)
            .where(records.c.kind == kind)
            .order_by(records.c.position)
        )
        for row in rows:
            stored = StoredRecord(row[0], row[1], row[2], row[3], row[4])
            scope = _signed_scope(row[11]) or Scope(Tlp(row[5]), frozenset(row[6] or ()))
            yield stored, scope, row[7], bytes(row[8]), row[9], utc(row[10])


def _signed_scope(entry: bytes | None) -> Scope | None:
    """The scope the author signed, which a rebuild trusts over the stored columns."""
    if entry is None:
        return None
    try:
        signed = open_entry(bytes(entry)).envelope.scope
        return Scope(Tlp(signed["tlp"]), frozenset(signed.get("audience") or ()))
    except (VerificationError, ValueError, KeyError, TypeError):
        return None


def _envelope_text(entry: bytes) -> str:
    """The canonical envelope inside a sealed entry (see ``ledger.records.seal``)."""
    return entry[len(b'{"envelope":') : entry.rindex(b',"signature":')].decode("utf-8")
