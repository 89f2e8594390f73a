"""SQL storage of subscriptions and their endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import agencies, endpoints, participants, subscriptions, users
from accord.domain.identity import Role
from accord.services.delivery_ports import EndpointRow, Secret, SubscriptionRow

_SUBSCRIPTION_COLUMNS = (
    subscriptions.c.id,
    subscriptions.c.user_id,
    users.c.username,
    users.c.role,
    participants.c.code,
    subscriptions.c.agency_id,
    agencies.c.name,
    subscriptions.c.name,
    subscriptions.c.filter,
    subscriptions.c.created_at,
    subscriptions.c.disabled_at,
)
_SUBSCRIPTIONS = (
    select(*_SUBSCRIPTION_COLUMNS)
    .join(users, users.c.id == subscriptions.c.user_id)
    .outerjoin(participants, participants.c.id == users.c.participant_id)
    .outerjoin(agencies, agencies.c.id == subscriptions.c.agency_id)
)


class SqlSubscriptionRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(
        self,
        *,
        user_id: int,
        participant: str | None,
        agency_id: int | None,
        name: str,
        filter: dict[str, Any],
        now: datetime,
    ) -> int:
        return int(
            self._db.execute(
                subscriptions.insert()
                .values(
                    user_id=user_id,
                    participant_code=participant,
                    agency_id=agency_id,
                    name=name,
                    filter=filter,
                    revision=self._next_revision(),
                    created_at=now,
                )
                .returning(subscriptions.c.id)
            ).scalar_one()
        )

    def add_endpoint(
        self,
        subscription_id: int,
        *,
        kind: str,
        target: str,
        format: str,
        test: bool,
        secrets: Sequence[Secret],
        now: datetime,
    ) -> int:
        endpoint_id = self._db.execute(
            endpoints.insert()
            .values(
                subscription_id=subscription_id,
                kind=kind,
                target=target,
                format=format,
                test=test,
                secrets=[s.to_json() for s in secrets],
                state="active",
                disabled_reason="",
                created_at=now,
            )
            .returning(endpoints.c.id)
        ).scalar_one()
        self._touch(subscription_id)
        return int(endpoint_id)

    def get(self, subscription_id: int) -> SubscriptionRow | None:
        row = self._db.execute(_SUBSCRIPTIONS.where(subscriptions.c.id == subscription_id)).first()
        return self._with_endpoints([row])[0] if row else None

    def find(self, *, user_id: int | None, include_disabled: bool) -> list[SubscriptionRow]:
        query = _SUBSCRIPTIONS.order_by(subscriptions.c.id)
        if user_id is not None:
            query = query.where(subscriptions.c.user_id == user_id)
        if not include_disabled:
            query = query.where(subscriptions.c.disabled_at.is_(None))
        return self._with_endpoints(list(self._db.execute(query)))

    def active(self) -> list[SubscriptionRow]:
        return self.find(user_id=None, include_disabled=False)

    def revision(self) -> int:
        newest = select(func.coalesce(func.max(subscriptions.c.revision), 0))
        return int(self._db.execute(newest).scalar_one())

    def disable(self, subscription_id: int, now: datetime) -> None:
        self._db.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(disabled_at=now, revision=self._next_revision())
        )

    def endpoint(self, endpoint_id: int) -> EndpointRow | None:
        row = self._db.execute(select(endpoints).where(endpoints.c.id == endpoint_id)).first()
        return _endpoint(row) if row else None

    def endpoints_of(self, subscription_ids: Sequence[int]) -> dict[int, list[EndpointRow]]:
        found: dict[int, list[EndpointRow]] = {sid: [] for sid in subscription_ids}
        if not subscription_ids:
            return found
        rows = self._db.execute(
            select(endpoints)
            .where(endpoints.c.subscription_id.in_(list(subscription_ids)))
            .order_by(endpoints.c.id)
        )
        for row in rows:
            found[row.subscription_id].append(_endpoint(row))
        return found

    def update_endpoint(
        self,
        endpoint_id: int,
        *,
        state: str | None = None,
        reason: str | None = None,
        secrets: Sequence[Secret] | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if state is not None:
            values["state"] = state
        if reason is not None:
            values["disabled_reason"] = reason
        if secrets is not None:
            values["secrets"] = [s.to_json() for s in secrets]
        subscription_id = self._db.execute(
            update(endpoints)
            .where(endpoints.c.id == endpoint_id)
            .values(**values)
            .returning(endpoints.c.subscription_id)
        ).scalar()
        if subscription_id is not None:
            self._touch(int(subscription_id))

    def set_feed_token(self, subscription_id: int, token_hash: str) -> None:
        self._db.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(feed_token_hash=token_hash)
        )

    def by_feed_token(self, token_hash: str) -> SubscriptionRow | None:
        row = self._db.execute(
            _SUBSCRIPTIONS.where(
                subscriptions.c.feed_token_hash == token_hash,
                subscriptions.c.disabled_at.is_(None),
            )
        ).first()
        return self._with_endpoints([row])[0] if row else None

    def user_agency(self, user_id: int) -> int | None:
        found = self._db.execute(select(users.c.agency_id).where(users.c.id == user_id)).scalar()
        return int(found) if found is not None else None

    def agency(self, agency_id: int) -> tuple[str, str, dict[str, Any] | None] | None:
        row = self._db.execute(
            select(participants.c.code, agencies.c.name, agencies.c.jurisdiction)
            .join(participants, participants.c.id == agencies.c.participant_id)
            .where(agencies.c.id == agency_id)
        ).first()
        return (row[0], row[1], row[2]) if row else None

    def _with_endpoints(self, rows: Sequence[Any]) -> list[SubscriptionRow]:
        by_id = self.endpoints_of([row[0] for row in rows])
        return [
            SubscriptionRow(
                id=row[0],
                user_id=row[1],
                username=row[2],
                role=Role(row[3]),
                participant=row[4],
                agency_id=row[5],
                agency=row[6],
                name=row[7],
                filter=dict(row[8]),
                created_at=utc(row[9]),
                disabled_at=utc(row[10]) if row[10] else None,
                endpoints=tuple(by_id[row[0]]),
            )
            for row in rows
        ]

    def _next_revision(self) -> int:
        return self.revision() + 1

    def _touch(self, subscription_id: int) -> None:
        self._db.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(revision=self._next_revision())
        )


def _endpoint(row: Any) -> EndpointRow:
    return EndpointRow(
        id=row.id,
        subscription_id=row.subscription_id,
        kind=row.kind,
        target=row.target,
        format=row.format,
        test=bool(row.test),
        secrets=tuple(_secret(s) for s in row.secrets),
        state=row.state,
        disabled_reason=row.disabled_reason,
        created_at=utc(row.created_at),
    )


def _secret(value: dict[str, Any]) -> Secret:
    expires = value.get("expires_at")
    return Secret(
        value["value"],
        datetime.fromisoformat(value["created_at"]),
        datetime.fromisoformat(expires) if expires else None,
    )
