"""Database engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged write survives a power
cut, and every transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the lock
instead of failing half-way with "database is locked"; read-only transactions
begin deferred so readers never wait for writers. In production mode the node checks
that PostgreSQL will not acknowledge commits it has not flushed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from accord.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option marking a read-only transaction: SQLite then begins without the write lock.
READONLY = "accord_readonly"


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", production: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_synchronous)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        if production:
            _require_durable_postgresql(engine)
        return engine
    raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}")


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        readonly = connection.get_execution_options().get(READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _require_durable_postgresql(engine: Engine) -> None:
    with engine.connect() as connection:
        fsync = connection.execute(text("SHOW fsync")).scalar()
        synchronous_commit = connection.execute(text("SHOW synchronous_commit")).scalar()
    if fsync != "on" or synchronous_commit == "off":
        raise ConfigurationError(
            "production mode needs durable commits: PostgreSQL reports "
            f"fsync={fsync}, synchronous_commit={synchronous_commit}"
        )
