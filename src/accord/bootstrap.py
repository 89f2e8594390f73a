"""The composition root: builds a node's services from settings, and nothing else does."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from accord.adapters.clock import SystemClock
from accord.adapters.keystore import FileKeystore
from accord.adapters.sql import migrate
from accord.adapters.sql.engine import make_engine
from accord.adapters.sql.legacy import sign_legacy_records
from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.config import Settings
from accord.services.alerts import AlertService
from accord.services.identity import IdentityService
from accord.services.keys import KeyService
from accord.services.log import LogService
from accord.services.ports import Clock
from accord.services.records import RecordWriter


@dataclass(frozen=True, slots=True)
class Node:
    settings: Settings
    engine: Engine
    clock: Clock
    identity: IdentityService
    alerts: AlertService
    log: LogService
    keys: KeyService
    keystore: FileKeystore

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None, migrate_schema: bool = True) -> Node:
    """Wire a node: engine, migrations applied, services over one unit-of-work factory."""
    engine = make_engine(
        settings.resolved_database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        production=settings.mode == "production",
    )
    if migrate_schema:
        migrate.upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = clock or SystemClock()
    keystore = FileKeystore(settings.resolved_key_dir)
    writer = RecordWriter(keystore, clock)
    log = LogService(uow, clock, keystore, settings.resolved_log_origin, settings.witness_key_list)
    keys = KeyService(uow, clock, keystore, writer, log)
    node = Node(
        settings=settings,
        engine=engine,
        clock=clock,
        identity=IdentityService(uow, clock, on_participant_added=keys.register),
        alerts=AlertService(uow, clock, writer, log),
        log=log,
        keys=keys,
        keystore=keystore,
    )
    if migrate_schema:
        prepare_log(node)
    return node


def prepare_log(node: Node) -> None:
    """The log key; records from before signing signed and logged (in their order, by keys
    registered right after them); every participant's key registered; a checkpoint."""
    node.keys.ensure_log_key()
    keystore = node.keystore
    sign_legacy_records(
        node.engine,
        keystore.sign,
        lambda code: keystore.public_key(code) if keystore.has(code) else keystore.create(code),
    )
    node.keys.register_missing()
    node.log.ensure_checkpoint()
