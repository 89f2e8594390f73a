"""SQL storage of participants, agencies, users and API token hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import (
    agencies,
    api_tokens,
    participant_senders,
    participants,
    users,
)
from accord.domain.identity import NewAgency, NewParticipant, NewUser, Role
from accord.domain.senders import Registration
from accord.errors import ConflictError, InvalidInputError, NotFoundError, Problem
from accord.services.ports import Account


class SqlIdentityRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_participant(self, participant: NewParticipant, now: datetime) -> dict[str, Any]:
        values = {
            "code": participant.code,
            "name": participant.name,
            "kind": participant.kind.value,
            "created_at": now,
        }
        self._insert_unique(participants, values, f"participant {participant.code}")
        return {k: v for k, v in values.items() if k != "created_at"}

    def list_participants(self) -> list[dict[str, Any]]:
        query = select(participants.c.code, participants.c.name, participants.c.kind)
        return [dict(row) for row in self._db.execute(query.order_by("code")).mappings()]

    def participant_codes(self) -> set[str]:
        return set(self._db.execute(select(participants.c.code)).scalars())

    def add_sender(self, participant: str, sender: str, now: datetime) -> dict[str, Any]:
        values = {
            "participant_id": self._participant_id(participant),
            "sender": sender,
            "created_at": now,
        }
        self._insert_unique(participant_senders, values, f"a registration of {sender!r}")
        return {"participant": participant, "sender": sender}

    def remove_sender(self, sender: str, now: datetime) -> int:
        """Date the end of the current registration of ``sender`` (kept, for the records
        that arrived while it was in force)."""
        ended = self._db.execute(
            participant_senders.update()
            .where(
                participant_senders.c.sender == sender, participant_senders.c.removed_at.is_(None)
            )
            .values(removed_at=now)
        )
        return int(ended.rowcount)

    def senders(self) -> list[tuple[str, Registration]]:
        """Every registration ever made, current or removed, with its participant and
        when it was in force."""
        rows = self._db.execute(
            select(
                participant_senders.c.sender,
                participants.c.code,
                participant_senders.c.created_at,
                participant_senders.c.removed_at,
            )
            .join(participants, participants.c.id == participant_senders.c.participant_id)
            .order_by(participant_senders.c.id)
        )
        return [
            (row[0], Registration(row[1], utc(row[2]), utc(row[3]) if row[3] else None))
            for row in rows
        ]

    def add_agency(self, agency: NewAgency, now: datetime) -> dict[str, Any]:
        participant_id = self._participant_id(agency.participant)
        values = {
            "participant_id": participant_id,
            "name": agency.name,
            "sector": agency.sector.value,
            "jurisdiction": dict(agency.jurisdiction) if agency.jurisdiction else None,
            "created_at": now,
        }
        agency_id = self._insert_unique(agencies, values, f"agency {agency.name!r}")
        return {
            "id": agency_id,
            "participant": agency.participant,
            "name": agency.name,
            "sector": agency.sector.value,
            "jurisdiction": values["jurisdiction"],
        }

    def list_agencies(self, participant: str | None) -> list[dict[str, Any]]:
        query = select(
            agencies.c.id,
            participants.c.code.label("participant"),
            agencies.c.name,
            agencies.c.sector,
            agencies.c.jurisdiction,
        ).join(participants, participants.c.id == agencies.c.participant_id)
        if participant is not None:
            query = query.where(participants.c.code == participant)
        rows = self._db.execute(query.order_by(participants.c.code, agencies.c.name))
        return [dict(row) for row in rows.mappings()]

    def add_user(self, user: NewUser, now: datetime) -> dict[str, Any]:
        participant_id = self._participant_id(user.participant) if user.participant else None
        agency_id = self._agency_id(participant_id, user.agency) if user.agency else None
        values = {
            "username": user.username,
            "role": user.role.value,
            "participant_id": participant_id,
            "agency_id": agency_id,
            "created_at": now,
        }
        self._insert_unique(users, values, f"user {user.username}")
        return {
            "username": user.username,
            "role": user.role.value,
            "participant": user.participant,
            "agency": user.agency,
        }

    def list_users(self) -> list[dict[str, Any]]:
        query = (
            select(
                users.c.username,
                users.c.role,
                participants.c.code.label("participant"),
                agencies.c.name.label("agency"),
            )
            .outerjoin(participants, participants.c.id == users.c.participant_id)
            .outerjoin(agencies, agencies.c.id == users.c.agency_id)
            .order_by(users.c.username)
        )
        return [dict(row) for row in self._db.execute(query).mappings()]

    def add_token(self, username: str, token_hash: str, label: str, now: datetime) -> int:
        user_id = self._db.execute(select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            raise NotFoundError(f"no user {username!r}")
        values = {"user_id": user_id, "token_hash": token_hash, "label": label, "created_at": now}
        return self._insert_unique(api_tokens, values, "token")

    def revoke_token(self, token_id: int, now: datetime) -> None:
        result = self._db.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if result.rowcount == 0:
            raise NotFoundError(f"no active token {token_id}")

    def list_tokens(self, username: str | None) -> list[dict[str, Any]]:
        query = select(
            api_tokens.c.id,
            users.c.username,
            api_tokens.c.label,
            api_tokens.c.created_at,
            api_tokens.c.revoked_at,
        ).join(users, users.c.id == api_tokens.c.user_id)
        if username is not None:
            query = query.where(users.c.username == username)
        return [dict(row) for row in self._db.execute(query.order_by(api_tokens.c.id)).mappings()]

    def find_account(self, token_hash: str) -> Account | None:
        query = (
            select(users.c.id, users.c.username, users.c.role, participants.c.code)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .outerjoin(participants, participants.c.id == users.c.participant_id)
            .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        )
        row = self._db.execute(query).first()
        if row is None:
            return None
        return Account(row[0], row[1], Role(row[2]), row[3])

    def set_password_hash(self, username: str, password_hash: str | None) -> int:
        """Set (None: remove) a user's password hash; returns the user's id."""
        user_id = self._db.execute(select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            raise NotFoundError(f"no user {username!r}")
        self._db.execute(
            update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )
        return int(user_id)

    def find_password(self, username: str) -> tuple[Account, str | None] | None:
        query = (
            select(
                users.c.id,
                users.c.username,
                users.c.role,
                participants.c.code,
                users.c.password_hash,
            )
            .outerjoin(participants, participants.c.id == users.c.participant_id)
            .where(users.c.username == username)
        )
        row = self._db.execute(query).first()
        if row is None:
            return None
        return Account(row[0], row[1], Role(row[2]), row[3]), row[4]

    def _participant_id(self, code: str) -> int:
        found = self._db.execute(
            select(participants.c.id).where(participants.c.code == code)
        ).scalar()
        if found is None:
            raise InvalidInputError(
                "unknown participant",
                [Problem("/participant", "UNKNOWN_PARTICIPANT", f"no participant {code!r}")],
            )
        return int(found)

    def _agency_id(self, participant_id: int | None, name: str) -> int:
        found = self._db.execute(
            select(agencies.c.id).where(
                agencies.c.participant_id == participant_id, agencies.c.name == name
            )
        ).scalar()
        if found is None:
            raise InvalidInputError(
                "unknown agency",
                [Problem("/agency", "UNKNOWN_AGENCY", f"the participant has no agency {name!r}")],
            )
        return int(found)

    def _insert_unique(self, table: Any, values: dict[str, Any], what: str) -> int:
        savepoint = self._db.begin_nested()
        try:
            result = self._db.execute(table.insert().values(**values))
        except IntegrityError as exc:
            savepoint.rollback()
            raise ConflictError(f"{what} already exists") from exc
        savepoint.commit()
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])
