"""SQL storage of console sessions (by token hash) and of failed sign-ins per key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import participants, sign_in_failures, users, web_sessions
from accord.domain.identity import Role
from accord.domain.signin import Failures
from accord.services.ports import Account
from accord.services.session_ports import WebSession


class SqlSessionRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(
        self, token_hash: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None:
        self._db.execute(
            web_sessions.insert().values(
                token_hash=token_hash,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        )

    def find(self, token_hash: str, now: datetime) -> WebSession | None:
        query = (
            select(
                users.c.id,
                users.c.username,
                users.c.role,
                participants.c.code,
                web_sessions.c.csrf_token,
                web_sessions.c.expires_at,
            )
            .join(users, users.c.id == web_sessions.c.user_id)
            .outerjoin(participants, participants.c.id == users.c.participant_id)
            .where(web_sessions.c.token_hash == token_hash, web_sessions.c.expires_at > now)
        )
        row = self._db.execute(query).first()
        if row is None:
            return None
        return WebSession(Account(row[0], row[1], Role(row[2]), row[3]), row[4], utc(row[5]))

    def delete(self, token_hash: str) -> None:
        self._db.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))

    def delete_for_user(self, user_id: int) -> None:
        self._db.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))

    def delete_expired(self, now: datetime) -> None:
        self._db.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))

    def failures(self, keys: Sequence[str]) -> dict[str, Failures]:
        rows = self._db.execute(
            select(
                sign_in_failures.c.key,
                sign_in_failures.c.failures,
                sign_in_failures.c.last_failed_at,
            ).where(sign_in_failures.c.key.in_(list(keys)))
        )
        return {key: Failures(count, utc(at)) for key, count, at in rows}

    def record_failure(self, key: str, failures: Failures) -> None:
        values = {"failures": failures.count, "last_failed_at": failures.last_failed_at}
        changed = self._db.execute(
            update(sign_in_failures).where(sign_in_failures.c.key == key).values(**values)
        )
        if changed.rowcount:
            return
        savepoint = self._db.begin_nested()
        try:
            self._db.execute(sign_in_failures.insert().values(key=key, **values))
        except IntegrityError:  # a concurrent failure inserted it first: count on from it
            savepoint.rollback()
            self._db.execute(
                update(sign_in_failures)
                .where(sign_in_failures.c.key == key)
                .values(
                    failures=sign_in_failures.c.failures + 1,
                    **{"last_failed_at": values["last_failed_at"]},
                )
            )
            return
        savepoint.commit()

    def clear_failures(self, key: str) -> None:
        self._db.execute(delete(sign_in_failures).where(sign_in_failures.c.key == key))
