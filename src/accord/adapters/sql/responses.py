"""SQL storage of the responses projection: acknowledgements and response decisions."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import records, responses
from accord.domain.sharing import Scope, Tlp
from accord.services.delivery_ports import ResponseRow


class SqlResponseRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, row: ResponseRow) -> None:
        self._db.execute(
            responses.insert().values(
                position=row.position,
                alert_position=row.alert_position,
                participant_code=row.participant,
                username=row.username,
                kind=row.kind,
                decision=row.decision,
                detail=row.detail,
                at=row.at,
            )
        )

    def of_alert(self, alert_position: int) -> list[ResponseRow]:
        rows = self._db.execute(
            select(responses, records.c.record_id, records.c.tlp, records.c.audience)
            .join(records, records.c.position == responses.c.position)
            .where(responses.c.alert_position == alert_position)
            .order_by(responses.c.position)
        )
        return [
            ResponseRow(
                position=row.position,
                record_id=row.record_id,
                alert_position=row.alert_position,
                participant=row.participant_code,
                username=row.username,
                kind=row.kind,
                decision=row.decision,
                detail=dict(row.detail),
                at=utc(row.at),
                scope=Scope(Tlp(row.tlp), frozenset(row.audience or ())),
            )
            for row in rows
        ]

    def clear(self) -> None:
        self._db.execute(delete(responses))
