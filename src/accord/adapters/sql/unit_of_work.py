"""One transaction over SQLite or PostgreSQL, with the repositories bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from accord.adapters.sql.alerts import SqlAlertRepository
from accord.adapters.sql.deliveries import SqlDeliveryRepository
from accord.adapters.sql.engine import READONLY
from accord.adapters.sql.identity import SqlIdentityRepository
from accord.adapters.sql.keys import SqlKeyRepository
from accord.adapters.sql.log import SqlLogRepository
from accord.adapters.sql.log_audits import SqlLogAuditRepository
from accord.adapters.sql.peers import SqlPeerRepository
from accord.adapters.sql.records import SqlRecordRepository
from accord.adapters.sql.responses import SqlResponseRepository
from accord.adapters.sql.sessions import SqlSessionRepository
from accord.adapters.sql.subscriptions import SqlSubscriptionRepository
from accord.errors import ConflictError, InvalidInputError, Problem


class SqlUnitOfWork:
    def __init__(self, connection: Connection) -> None:
        self.identity = SqlIdentityRepository(connection)
        self.records = SqlRecordRepository(connection)
        self.alerts = SqlAlertRepository(connection)
        self.log = SqlLogRepository(connection)
        self.log_audits = SqlLogAuditRepository(connection)
        self.keys = SqlKeyRepository(connection)
        self.subscriptions = SqlSubscriptionRepository(connection)
        self.deliveries = SqlDeliveryRepository(connection)
        self.responses = SqlResponseRepository(connection)
        self.peers = SqlPeerRepository(connection)
        self.sessions = SqlSessionRepository(connection)


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def __call__(self, *, readonly: bool = False) -> Iterator[SqlUnitOfWork]:
        connection = self.engine.connect()
        if readonly:
            connection = connection.execution_options(**{READONLY: True})
        try:
            with connection.begin():
                yield SqlUnitOfWork(connection)
        except DataError as exc:
            # PostgreSQL refuses some values SQLite keeps (NUL characters in text): a bad
            # input, refused whole — the transaction rolled back.
            raise InvalidInputError(
                "a value cannot be stored",
                [Problem("/", "UNSTORABLE_VALUE", f"{exc.orig or exc}".splitlines()[0])],
            ) from exc
        except IntegrityError as exc:
            raise ConflictError(
                "another request wrote the same thing at the same time; retry the request"
            ) from exc
        except OperationalError as exc:
            if "locked" in str(exc) or "could not serialize" in str(exc):
                raise ConflictError("the database is busy; retry the request") from exc
            raise
        finally:
            connection.close()
