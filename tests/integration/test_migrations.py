"""The migrations build exactly the schema the table definitions describe, on both engines,
and the log audits one (0007) can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from accord.adapters.sql.migrate import alembic_config
from accord.adapters.sql.tables import metadata
from accord.bootstrap import Node


def test_migrated_schema_matches_the_table_definitions(node: Node) -> None:
    with node.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_the_log_audits_migration_downgrades_and_upgrades_again(node: Node) -> None:
    node.log_audit.run()
    with node.engine.begin() as connection:
        config = alembic_config(node.engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
        assert "log_audits" not in inspect(connection).get_table_names()
        command.upgrade(config, "head")
    assert node.log_audit.recent() == []
    with node.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
