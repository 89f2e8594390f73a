"""Sign and log the records a node wrote before records were signed (schema revision 0001).

Revision 0002 adds the log; this step, run by bootstrap right after the migrations (it
needs the keystore, which migrations do not see), gives each unsigned record a salted v3
envelope (committing to its original bytes as found) signed with its author's key, appends
them to the log in their original order and moves the alert projection to the new record
ids. It lifts the append-only triggers inside its own transaction and restores them before
committing; on a node with nothing unsigned it does nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.append_only import allow_changes, forbid_changes
from accord.adapters.sql.log import SqlLogRepository
from accord.adapters.sql.tables import alerts, participants, records
from accord.ledger import merkle
from accord.ledger.canonical import canonical_json
from accord.ledger.records import Envelope, SignedRecord, key_id_of, new_salt, seal


def sign_legacy_records(
    engine: Engine,
    sign: Callable[[str, bytes], bytes],
    public_key: Callable[[str], bytes],
) -> int:
    with engine.begin() as connection:
        rows = connection.execute(
            select(records.c.position, records.c.envelope, records.c.original, participants.c.code)
            .join(participants, participants.c.id == records.c.author_id)
            .where(records.c.entry.is_(None))
            .order_by(records.c.position)
        ).all()
        if not rows:
            return 0
        sealed = [
            _reseal(row.envelope, bytes(row.original), row.code, sign, public_key) for row in rows
        ]
        first = SqlLogRepository(connection).append([merkle.leaf_hash(r.entry) for r in sealed])
        allow_changes(connection)
        for offset, (row, record) in enumerate(zip(rows, sealed, strict=True)):
            connection.execute(
                update(records)
                .where(records.c.position == row.position)
                .values(
                    entry=record.entry,
                    log_index=first + offset,
                    record_id=record.record_id,
                    envelope=canonical_json(record.envelope.to_json()).decode("utf-8"),
                )
            )
            connection.execute(
                update(alerts)
                .where(alerts.c.position == row.position)
                .values(record_id=record.record_id)
            )
        forbid_changes(connection, create_function=False)
        return len(rows)


def _reseal(
    stored: str,
    original: bytes,
    author: str,
    sign: Callable[[str, bytes], bytes],
    public_key: Callable[[str], bytes],
) -> SignedRecord:
    old = json.loads(stored)
    envelope = Envelope(
        kind=old["kind"],
        author=author,
        seq=int(old["seq"]),
        created_at=utc(datetime.fromisoformat(old["created_at"])),
        scope=old["scope"],
        body_digest=old["body_sha256"],
        salt=new_salt(),
        key_id=key_id_of(public_key(author)),
        original_digest=hashlib.sha256(original).hexdigest(),
    )
    return seal(envelope, lambda message: sign(author, message))
