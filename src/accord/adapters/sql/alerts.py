"""SQL storage of the alert projection: alerts, their info facets, categories and threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import Point
from sqlalchemy import Connection, Select, and_, bindparam, exists, func, or_, select

from accord.adapters.sql.originals import served_original
from accord.adapters.sql.scope import audience_codes, readable_by
from accord.adapters.sql.tables import (
    PROJECTION_TABLES,
    alert_categories,
    alert_infos,
    alerts,
    records,
)
from accord.domain.alerts.cap import Alert, MessageKey
from accord.domain.alerts.facts import AlertFacts
from accord.domain.alerts.threads import Message, Referenced, fold
from accord.domain.sharing import Reader, Scope, Tlp
from accord.services.ports import (
    AlertQuery,
    AlertRow,
    ProjectedAlert,
    Projection,
    StoredRecord,
    ThreadRow,
)

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
    records.c.entry,
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
        alerts.c.tlp,
        alerts.c.audience_codes,
    )
    .join(records, records.c.position == alerts.c.position)
    .where(
        alerts.c.author_code == bindparam("author"),
        alerts.c.sender == bindparam("sender"),
        alerts.c.identifier == bindparam("identifier"),
        alerts.c.sent_at == bindparam("sent_at"),
    )
)
_ROOTS = alerts.alias("roots")


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

    def find_by_key(self, author: str, key: MessageKey) -> tuple[StoredRecord, str, Scope] | None:
        """The message ``author`` holds under ``key``: keys are each author's own, so
        nobody can occupy another participant's, nor learn from a conflict that it exists."""
        row = self._db.execute(
            _FIND_BY_KEY,
            {
                "author": author,
                "sender": key.sender,
                "identifier": key.identifier,
                "sent_at": key.sent_at,
            },
        ).first()
        if row is None:
            return None
        scope = Scope(Tlp(row[6]), _codes(row[7]))
        return StoredRecord(row[0], row[1], row[2], row[3], row[4]), row[5], scope

    def held_keys(self, keys: Sequence[tuple[str, MessageKey]]) -> set[tuple[str, MessageKey]]:
        """Which of these (author, message key) pairs are held: one query a batch."""
        wanted = set(keys)
        held: set[tuple[str, MessageKey]] = set()
        names = sorted({(key.sender, key.identifier) for _author, key in wanted})
        for start in range(0, len(names), _KEY_CHUNK):
            pairs = names[start : start + _KEY_CHUNK]
            pairs += [pairs[-1]] * (_KEY_CHUNK - len(pairs))  # one statement size, compiled once
            params = {f"n{k}": sender for k, (sender, _identifier) in enumerate(pairs)}
            params |= {f"i{k}": identifier for k, (_sender, identifier) in enumerate(pairs)}
            rows = self._db.execute(_held_named(_KEY_CHUNK), params)
            found = ((row[3], MessageKey(row[0], row[1], utc(row[2]))) for row in rows)
            held.update(pair for pair in found if pair in wanted)
        return held

    def referenced(self, keys: Sequence[MessageKey]) -> list[Referenced]:
        """The held messages named by ``keys``, oldest first, with their threads' issuers
        and scopes (the thread rule decides which of them a message may join)."""
        if not keys:
            return []
        params = {
            f"{name}{k}": value
            for k, key in enumerate(keys)
            for name, value in zip("nis", (key.sender, key.identifier, key.sent_at), strict=True)
        }
        return [
            Referenced(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                Scope(Tlp(row[5]), _codes(row[6])),
                MessageKey(row[7], row[8], utc(row[9])),
            )
            for row in self._db.execute(_referenced(len(keys)), params)
        ]

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
        facets and categories in one insert each (threads are folded when read)."""
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

    def projected(self) -> dict[int, ProjectedAlert]:
        """Every alert row's author, scope and thread, for the self-audit."""
        rows = self._db.execute(
            select(
                alerts.c.position,
                alerts.c.record_id,
                alerts.c.author_code,
                alerts.c.tlp,
                alerts.c.audience_codes,
                alerts.c.thread_id,
                alerts.c.msg_type,
                alerts.c.status,
                alerts.c.sender,
                alerts.c.identifier,
                alerts.c.sent_at,
                alerts.c.expires_at,
            )
        )
        return {
            row[0]: ProjectedAlert(
                row[0],
                row[1],
                row[2],
                Scope(Tlp(row[3]), _codes(row[4])),
                row[5],
                (row[6], row[7], row[8], row[9], utc(row[10]), _utc_or_none(row[11])),
            )
            for row in rows
        }

    def threads(self, reader: Reader, thread_ids: Sequence[int]) -> dict[int, ThreadRow]:
        """Each thread as ``reader`` sees it: folded from the messages they may read only,
        so no state, count or "updated" mark tells them of a message they may not read."""
        if not thread_ids:
            return {}
        statement = (
            select(
                alerts.c.thread_id,
                alerts.c.msg_type,
                alerts.c.status,
                alerts.c.received_at,
                alerts.c.expires_at,
            )
            .where(alerts.c.thread_id.in_(sorted(set(thread_ids))), readable_by(reader))
            .order_by(alerts.c.position)
        )
        messages: dict[int, list[Message]] = {}
        for row in self._db.execute(statement):
            expires_at = utc(row[4]) if row[4] is not None else None
            messages.setdefault(row[0], []).append(Message(row[1], row[2], utc(row[3]), expires_at))
        folded = {thread_id: fold(found) for thread_id, found in messages.items()}
        return {
            thread_id: ThreadRow(
                thread_id,
                view.state,
                view.status,
                view.message_count,
                view.updated_at,
                view.expires_at,
            )
            for thread_id, view in folded.items()
            if view is not None
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
    return select(
        alerts.c.sender, alerts.c.identifier, alerts.c.sent_at, alerts.c.author_code
    ).where(or_(*conditions))


@lru_cache(maxsize=64)
def _referenced(count: int) -> Select[Any]:
    """Messages held under any of ``count`` keys, bound as ``n0, i0, s0, n1, ...``
    (sender, identifier, sent_at), with their threads' issuers: compiled once a count."""
    conditions = [
        and_(
            alerts.c.sender == bindparam(f"n{k}"),
            alerts.c.identifier == bindparam(f"i{k}"),
            alerts.c.sent_at == bindparam(f"s{k}"),
        )
        for k in range(count)
    ]
    return (
        select(
            alerts.c.position,
            alerts.c.record_id,
            alerts.c.thread_id,
            _ROOTS.c.author_code,
            alerts.c.author_code,
            alerts.c.tlp,
            alerts.c.audience_codes,
            alerts.c.sender,
            alerts.c.identifier,
            alerts.c.sent_at,
        )
        .join(_ROOTS, _ROOTS.c.position == alerts.c.thread_id)
        .where(or_(*conditions))
        .order_by(alerts.c.position)
    )


def _utc_or_none(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _codes(stored: str) -> frozenset[str]:
    """An audience as ``audience_codes`` stores it (``,EE,LV,``), back to its codes."""
    return frozenset(code for code in stored.split(",") if code)


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
    original, content_type = served_original(
        bytes(row[17]) if row[17] is not None else None, bytes(row[12]), row[11], row[13]
    )
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
        original=original,
        content_type=content_type,
        signature_status=row[14],
        signature_detail=row[15],
        created_at=utc(row[16]),
    )
