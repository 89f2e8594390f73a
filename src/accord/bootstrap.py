"""The composition root: builds a node's services from settings, and nothing else does."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from accord.adapters.clock import SystemClock
from accord.adapters.sql import migrate
from accord.adapters.sql.engine import make_engine
from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.config import Settings
from accord.services.alerts import AlertService
from accord.services.identity import IdentityService
from accord.services.ports import Clock


@dataclass(frozen=True, slots=True)
class Node:
    settings: Settings
    engine: Engine
    clock: Clock
    identity: IdentityService
    alerts: AlertService

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
    return Node(
        settings=settings,
        engine=engine,
        clock=clock,
        identity=IdentityService(uow, clock),
        alerts=AlertService(uow, clock),
    )
