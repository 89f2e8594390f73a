"""SQL storage of the alert projection: alerts, their info facets, categories and threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import Point
from sqlalchemy import Connection, Select, and_, bindparam, exists, func, or_, select

from accord.adapters.sql.scope import audience_codes, readable_by
from accord.adapters.sql.tables import (
    PROJECTION_TABLES,
    alert_categories,
    alert_infos,
    alerts,
    records,
    threads,
)
from accord.domain.alerts.cap import Alert, MessageKey
from accord.domain.alerts.facts import AlertFacts
from accord.domain.alerts.threads import ThreadState, state_after
from accord.domain.sharing import Reader, Scope, Tlp
from accord.services.ports import AlertQuery, AlertRow, Projection, StoredRecord, ThreadRow

_ROW_COLUMNS = (
    alerts.c.position,
    alerts.c.record_id,
    alerts.c.author_code,
    records.c.author_seq,
    records.c.log_index,
    alerts.c.tlp,
    records.c.audience,
    alerts.c.status,
    alerts.c.msg_type,
    alerts.c.thread_id,
    alerts.c.received_at,
    records.c.body,
    records.c.original,
    records.c.content_type,
    alerts.c.signature_status,
    alerts.c.signature_detail,
    records.c.created_at,
)


# Built once: statements with bound parameters are compiled once and cached.
_KEY_CHUNK = 100  # message keys per query: short ORs stay inside SQLite's expression depth
_FIND_BY_KEY = (
    select(
        alerts.c.position,
        alerts.c.record_id,
        alerts.c.author_code,
        records.c.author_seq,
        records.c.log_index,
        alerts.c.content_digest,
    )
    .join(records, records.c.position == alerts.c.position)
    .where(
        alerts.c.sender == bindparam("sender"),
        alerts.c.identifier == bindparam("identifier"),
        alerts.c.sent_at == bindparam("sent_at"),
    )
)
_THREAD_COLUMNS = (
    threads.c.thread_id,
    threads.c.state,
    threads.c.message_count,
    threads.c.expires_at,
)
_ADVANCE_THREAD = threads.update().where(threads.c.thread_id == bindparam("id"))
_NEW_THREAD = threads.insert()


def _alert_values(p: Projection) -> dict[str, Any]:
    bbox = p.facts.bbox or (None, None, None, None)
    return {
        "position": p.record.position,
        "record_id": p.record.record_id,
        "sender": p.alert.sender,
        "identifier": p.alert.identifier,
        "sent": p.alert.sent,
        "sent_at": p.facts.sent_at,
        "status": p.alert.status,
        "msg_type": p.alert.msg_type,
        "cap_scope": p.alert.scope,
        "tlp": p.scope.tlp.value,
        "audience_codes": audience_codes(p.scope.audience),
        "author_code": p.record.author,
        "thread_id": p.thread_id,
        "received_at": p.received_at,
        "expires_at": p.facts.expires_at,
        "min_lon": bbox[0],
        "min_lat": bbox[1],
        "max_lon": bbox[2],
        "max_lat": bbox[3],
        "area_wkb": shapely.to_wkb(p.facts.area) if p.facts.area is not None else None,
        "signature_status": p.signature[0],
        "signature_detail": p.signature[1],
        "content_digest": p.content_digest,
    }


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Accord stores is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqlAlertRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def find_by_key(self, key: MessageKey) -> tuple[StoredRecord, str] | None:
        row = self._db.execute(
            _FIND_BY_KEY,
            {"sender": key.sender, "identifier": key.identifier, "sent_at": key.sent_at},
        ).first()
        if row is None:
            return None
        return StoredRecord(row[0], row[1], row[2], row[3], row[4]), row[5]

    def held_keys(self, keys: Sequence[MessageKey]) -> set[MessageKey]:
        """Which of these message keys are held: one query a batch, not one a message."""
        wanted = set(keys)
        held: set[MessageKey] = set()
        names = sorted({(key.sender, key.identifier) for key in wanted})
        for start in range(0, len(names), _KEY_CHUNK):
            pairs = names[start : start + _KEY_CHUNK]
            pairs += [pairs[-1]] * (_KEY_CHUNK - len(pairs))  # one statement size, compiled once
            params = {f"n{k}": sender for k, (sender, _identifier) in enumerate(pairs)}
            params |= {f"i{k}": identifier for k, (_sender, identifier) in enumerate(pairs)}
            rows = self._db.execute(_held_named(_KEY_CHUNK), params)
            found = (MessageKey(row[0], row[1], utc(row[2])) for row in rows)
            held.update(key for key in found if key in wanted)
        return held

    def thread_of(self, keys: Sequence[MessageKey]) -> int | None:
        if not keys:
            return None
        params = {
            f"{name}{k}": value
            for k, key in enumerate(keys)
            for name, value in zip("nis", (key.sender, key.identifier, key.sent_at), strict=True)
        }
        found = self._db.execute(_thread_of(len(keys)), params).first()
        return int(found[0]) if found else None

    def project(
        self,
        record: StoredRecord,
        *,
        alert: Alert,
        facts: AlertFacts,
        scope: Scope,
        thread_id: int,
        received_at: datetime,
        content_digest: str,
        signature: tuple[str, str],
    ) -> None:
        self.project_many(
            [
                Projection(
                    record, alert, facts, scope, thread_id, received_at, content_digest, signature
                )
            ]
        )

    def project_many(self, items: Sequence[Projection]) -> None:
        """Project alerts in order with a few multi-row statements: alert rows, info
        facets and categories in one insert each, threads read once and written once."""
        if not items:
            return
        self._db.execute(alerts.insert(), [_alert_values(p) for p in items])
        infos = [
            {
                "position": p.record.position,
                "ordinal": info.ordinal,
                "language": info.language,
                "event": info.event,
                "urgency_rank": info.urgency_rank,
                "severity_rank": info.severity_rank,
                "certainty_rank": info.certainty_rank,
            }
            for p in items
            for info in p.facts.infos
        ]
        if infos:
            self._db.execute(alert_infos.insert(), infos)
        categories = [
            {"position": p.record.position, "category": c}
            for p in items
            for c in sorted({c for info in p.facts.infos for c in info.categories})
        ]
        if categories:
            self._db.execute(alert_categories.insert(), categories)
        self._advance_threads(items)

    def _advance_threads(self, items: Sequence[Projection]) -> None:
        ids = sorted({p.thread_id for p in items})
        held = {
            row[0]: {"state": row[1], "message_count": row[2], "expires_at": row[3]}
            for row in self._db.execute(
                select(
                    threads.c.thread_id,
                    threads.c.state,
                    threads.c.message_count,
                    threads.c.expires_at,
                ).where(threads.c.thread_id.in_(ids))
            )
        }
        new: dict[int, dict[str, Any]] = {}
        changed: dict[int, dict[str, Any]] = {}
        for p in items:
            current = new.get(p.thread_id) or changed.get(p.thread_id) or held.get(p.thread_id)
            if current is None:
                new[p.thread_id] = {
                    "thread_id": p.thread_id,
                    "state": state_after(None, p.alert.msg_type).value,
                    "status": p.alert.status,
                    "latest_position": p.record.position,
                    "message_count": 1,
                    "updated_at": p.received_at,
                    "expires_at": p.facts.expires_at,
                }
                continue
            changes_content = p.alert.msg_type in ("Alert", "Update")
            following = {
                "state": state_after(ThreadState(current["state"]), p.alert.msg_type).value,
                "latest_position": p.record.position,
                "message_count": current["message_count"] + 1,
                "updated_at": p.received_at,
                "expires_at": p.facts.expires_at if changes_content else current["expires_at"],
            }
            if p.thread_id in new:
                new[p.thread_id].update(following)
            else:
                changed[p.thread_id] = {"id": p.thread_id, **following}
        if new:
            self._db.execute(_NEW_THREAD, list(new.values()))
        if changed:
            self._db.execute(_ADVANCE_THREAD, list(changed.values()))

    def clear(self) -> None:
        """Drop the whole projection (rebuild recomputes it from the records)."""
        for table in PROJECTION_TABLES:
            self._db.execute(table.delete())

    def search(self, reader: Reader, query: AlertQuery) -> list[AlertRow]:
        statement = _filtered(_rows().where(readable_by(reader)), query)
        if query.point is None:
            rows = self._db.execute(statement.limit(query.limit)).all()
            return [_alert_row(row) for row in rows]
        return self._search_by_point(statement, query.point, query.limit)

    def _search_by_point(
        self, statement: Select[Any], point: tuple[float, float], limit: int
    ) -> list[AlertRow]:
        """Bounding boxes narrow the candidates in SQL; the exact test runs on the shapes."""
        lon, lat = point
        candidates = statement.add_columns(alerts.c.area_wkb).where(
            alerts.c.min_lon <= lon,
            alerts.c.max_lon >= lon,
            alerts.c.min_lat <= lat,
            alerts.c.max_lat >= lat,
        )
        target = Point(lon, lat)
        found: list[AlertRow] = []
        for row in self._db.execute(candidates).yield_per(200):
            if shapely.from_wkb(row[-1]).covers(target):
                found.append(_alert_row(row))
                if len(found) == limit:
                    break
        return found

    def since(self, position: int, limit: int) -> list[AlertRow]:
        """Alerts after ``position`` in position order, unscoped: for the live stream,
        which applies each listener's scope itself."""
        statement = (
            select(*_ROW_COLUMNS)
            .join(records, records.c.position == alerts.c.position)
            .where(alerts.c.position > position)
            .order_by(alerts.c.position)
            .limit(limit)
        )
        return [_alert_row(row) for row in self._db.execute(statement)]

    def newest_position(self) -> int:
        return int(
            self._db.execute(select(func.coalesce(func.max(alerts.c.position), 0))).scalar_one()
        )

    def get(self, reader: Reader, record_id: str) -> AlertRow | None:
        row = self._db.execute(
            _rows().where(alerts.c.record_id == record_id, readable_by(reader))
        ).first()
        return _alert_row(row) if row else None

    def thread(self, thread_id: int) -> ThreadRow | None:
        return self.threads([thread_id]).get(thread_id)

    def threads(self, thread_ids: Sequence[int]) -> dict[int, ThreadRow]:
        if not thread_ids:
            return {}
        rows = self._db.execute(select(threads).where(threads.c.thread_id.in_(thread_ids)))
        return {
            row.thread_id: ThreadRow(
                thread_id=row.thread_id,
                state=ThreadState(row.state),
                status=row.status,
                message_count=row.message_count,
                updated_at=utc(row.updated_at),
                expires_at=utc(row.expires_at) if row.expires_at else None,
            )
            for row in rows
        }


@lru_cache(maxsize=4)
def _held_named(count: int) -> Select[Any]:
    """Messages named by any of ``count`` (sender, identifier) pairs, bound as ``n0, i0,
    n1, ...``. An OR of equalities, not a row-value IN: SQLite searches the key's index
    for each term of an OR but scans the whole table for ``(a, b) IN (…)``."""
    conditions = [
        and_(alerts.c.sender == bindparam(f"n{k}"), alerts.c.identifier == bindparam(f"i{k}"))
        for k in range(count)
    ]
    return select(alerts.c.sender, alerts.c.identifier, alerts.c.sent_at).where(or_(*conditions))


@lru_cache(maxsize=64)
def _thread_of(count: int) -> Select[Any]:
    """The thread of the first of ``count`` keys held, with bound parameters ``n0, i0, s0,
    n1, ...`` (sender, identifier, sent_at): one statement per count, compiled once."""
    conditions = [
        and_(
            alerts.c.sender == bindparam(f"n{k}"),
            alerts.c.identifier == bindparam(f"i{k}"),
            alerts.c.sent_at == bindparam(f"s{k}"),
        )
        for k in range(count)
    ]
    return select(alerts.c.thread_id).where(or_(*conditions)).order_by(alerts.c.position)


def _rows() -> Select[Any]:
    return (
        select(*_ROW_COLUMNS)
        .join(records, records.c.position == alerts.c.position)
        .order_by(alerts.c.position.desc())
    )


def _filtered(statement: Select[Any], query: AlertQuery) -> Select[Any]:
    conditions: list[Any] = []
    if query.statuses:
        conditions.append(alerts.c.status.in_(query.statuses))
    if query.msg_types:
        conditions.append(alerts.c.msg_type.in_(query.msg_types))
    if query.tlps:
        conditions.append(records.c.tlp.in_(query.tlps))
    if query.sender is not None:
        conditions.append(alerts.c.sender == query.sender)
    if query.sent_after is not None:
        conditions.append(alerts.c.sent_at >= query.sent_after)
    if query.sent_before is not None:
        conditions.append(alerts.c.sent_at < query.sent_before)
    if query.thread_id is not None:
        conditions.append(alerts.c.thread_id == query.thread_id)
    if query.before_position is not None:
        conditions.append(alerts.c.position < query.before_position)
    if query.categories:
        conditions.append(
            exists().where(
                alert_categories.c.position == alerts.c.position,
                alert_categories.c.category.in_(query.categories),
            )
        )
    info_conditions = _info_conditions(query)
    if info_conditions:
        conditions.append(
            exists().where(alert_infos.c.position == alerts.c.position, *info_conditions)
        )
    if query.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = query.bbox
        conditions.extend(
            [
                alerts.c.max_lon >= min_lon,
                alerts.c.min_lon <= max_lon,
                alerts.c.max_lat >= min_lat,
                alerts.c.min_lat <= max_lat,
            ]
        )
    return statement.where(*conditions)


def _info_conditions(query: AlertQuery) -> list[Any]:
    """Facets of one info block: "at least Severe" means a rank at or below Severe's."""
    conditions: list[Any] = []
    if query.event is not None:
        conditions.append(alert_infos.c.event == query.event)
    if query.min_urgency_rank is not None:
        conditions.append(alert_infos.c.urgency_rank <= query.min_urgency_rank)
    if query.min_severity_rank is not None:
        conditions.append(alert_infos.c.severity_rank <= query.min_severity_rank)
    if query.min_certainty_rank is not None:
        conditions.append(alert_infos.c.certainty_rank <= query.min_certainty_rank)
    return conditions


def _alert_row(row: Any) -> AlertRow:
    return AlertRow(
        position=row[0],
        record_id=row[1],
        author=row[2],
        seq=row[3],
        log_index=row[4],
        scope=Scope(Tlp(row[5]), frozenset(row[6] or ())),
        status=row[7],
        msg_type=row[8],
        thread_id=row[9],
        received_at=utc(row[10]),
        body=row[11],
        original=bytes(row[12]),
        content_type=row[13],
        signature_status=row[14],
        signature_detail=row[15],
        created_at=utc(row[16]),
    )
