"""SQL storage of participants' public signing keys (the private halves live in the keystore)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import participant_keys, participants


class SqlKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def current(self, participant: str) -> bytes | None:
        found = self._db.execute(
            select(participant_keys.c.public_key)
            .join(participants, participants.c.id == participant_keys.c.participant_id)
            .where(participants.c.code == participant, participant_keys.c.retired_at.is_(None))
        ).scalar()
        return bytes(found) if found is not None else None

    def add(self, participant: str, key_id: str, public_key: bytes, now: datetime) -> None:
        participant_id = self._db.execute(
            select(participants.c.id).where(participants.c.code == participant)
        ).scalar_one()
        self._db.execute(
            insert(participant_keys).values(
                participant_id=participant_id,
                key_id=key_id,
                public_key=public_key,
                created_at=now,
            )
        )

    def retire(self, participant: str, now: datetime) -> None:
        participant_id = self._db.execute(
            select(participants.c.id).where(participants.c.code == participant)
        ).scalar_one()
        self._db.execute(
            update(participant_keys)
            .where(
                participant_keys.c.participant_id == participant_id,
                participant_keys.c.retired_at.is_(None),
            )
            .values(retired_at=now)
        )

    def all(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            select(
                participants.c.code,
                participant_keys.c.key_id,
                participant_keys.c.public_key,
                participant_keys.c.created_at,
                participant_keys.c.retired_at,
            )
            .join(participants, participants.c.id == participant_keys.c.participant_id)
            .order_by(participants.c.code, participant_keys.c.id)
        )
        return [
            {
                "participant": row.code,
                "key_id": row.key_id,
                "public_key": base64.b64encode(bytes(row.public_key)).decode("ascii"),
                "created_at": utc(row.created_at).isoformat(),
                "retired_at": utc(row.retired_at).isoformat() if row.retired_at else None,
            }
            for row in rows
        ]
