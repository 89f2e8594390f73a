"""The migrations build exactly the schema the table definitions describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from accord.adapters.sql.tables import metadata
from accord.bootstrap import Node


def test_migrated_schema_matches_the_table_definitions(node: Node) -> None:
    with node.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
