"""The triggers that make ``records`` append-only, on SQLite and PostgreSQL.

Only a schema migration that must rewrite history (signing records written before records
were signed) lifts them, inside its own transaction, and puts them back before it commits.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_POSTGRES_FUNCTION = (
    "CREATE FUNCTION accord_records_are_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'records are append-only'; END; $$ LANGUAGE plpgsql"
)
_POSTGRES_TRIGGER = (
    "CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON records "
    "FOR EACH ROW EXECUTE FUNCTION accord_records_are_append_only()"
)


def forbid_changes(connection: Connection, *, create_function: bool = True) -> None:
    if connection.dialect.name == "postgresql":
        if create_function:
            connection.execute(text(_POSTGRES_FUNCTION))
        connection.execute(text(_POSTGRES_TRIGGER))
        return
    for event in ("UPDATE", "DELETE"):
        connection.execute(
            text(
                f"CREATE TRIGGER records_no_{event.lower()} BEFORE {event} ON records "
                "BEGIN SELECT RAISE(ABORT, 'records are append-only'); END"
            )
        )


def allow_changes(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP TRIGGER records_append_only ON records"))
        return
    for event in ("update", "delete"):
        connection.execute(text(f"DROP TRIGGER records_no_{event}"))
