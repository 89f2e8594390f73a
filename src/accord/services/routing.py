"""Routing: which desks an accepted alert goes to, written in the alert's own transaction.

``Router.route`` runs inside the unit of work that stores the alert, so the outbox rows
(one delivery per matching endpoint) and the recipients with their deadlines commit or
roll back with the record itself: an accepted alert is never without its deliveries.
The subscription index is cached and rebuilt only when the subscriptions' revision moves.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from accord.domain.alerts.cap import Alert
from accord.domain.alerts.threads import thread_to_join
from accord.domain.routing.deadlines import DeadlinePolicy
from accord.domain.routing.filters import filter_from_json
from accord.domain.routing.matching import (
    RoutedAlert,
    Subscription,
    SubscriptionIndex,
    routed_alert,
    status_admits,
)
from accord.domain.sharing import Scope, may_read
from accord.services.delivery_ports import NewDelivery, NewRecipient, SubscriptionRow
from accord.services.ports import Clock, UnitOfWork

# Messages that open or change what a desk must act on get deadlines; Cancel, Ack and
# Error are delivered to those who asked for them but set no deadline.
_ACTIONABLE = frozenset({"Alert", "Update"})
_TEST_STATUSES = frozenset({"Test", "System"})
_FOLLOW_UPS = frozenset({"Update", "Cancel"})


@dataclass(frozen=True, slots=True)
class Routable:
    """A stored alert as the router needs it."""

    position: int
    record_id: str
    alert: Alert
    scope: Scope
    author: str
    area: BaseGeometry | None


@dataclass(frozen=True, slots=True)
class _Snapshot:
    revision: int
    index: SubscriptionIndex
    rows: dict[int, SubscriptionRow]


def message_id(record_id: str, endpoint_id: int, reason: str) -> str:
    """The delivery's id, sent as ``webhook-id`` on every attempt: stable, so receivers
    drop repeats, and different for a re-notification, which is a new message."""
    return f"msg_{record_id[:32]}_{endpoint_id}_{reason}"


class Router:
    def __init__(self, clock: Clock, policy: DeadlinePolicy) -> None:
        self._clock = clock
        self.policy = policy
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._filters: dict[tuple[int, str], Subscription] = {}

    def subscriptions(self, uow: UnitOfWork) -> dict[int, SubscriptionRow]:
        return self._current(uow).rows

    def index(self, uow: UnitOfWork) -> SubscriptionIndex:
        return self._current(uow).index

    def on_alerts(self, uow: UnitOfWork, stored: Sequence[Routable]) -> None:
        self.route(uow, stored)

    def route(self, uow: UnitOfWork, stored: Sequence[Routable]) -> int:
        """Queue deliveries for ``stored`` alerts; returns how many were queued."""
        if not stored:
            return 0
        snapshot = self._current(uow)
        now = self._clock.now()
        deliveries: list[NewDelivery] = []
        recipients: list[NewRecipient] = []
        for item in stored:
            routed = routed_alert(item.alert, item.scope, item.author, item.area)
            matched = sorted(
                set(snapshot.index.match(routed)) | self._followers(uow, snapshot, item, routed)
            )
            if not matched:
                continue
            deadlines = self.policy.for_alert(routed) if routed.msg_type in _ACTIONABLE else None
            for subscription_id in matched:
                row = snapshot.rows[subscription_id]
                deliveries.extend(_deliveries(item, routed, row))
                if row.participant is not None and row.participant != item.author:
                    recipients.append(
                        NewRecipient(
                            item.position,
                            row.participant,
                            now,
                            now + deadlines.acknowledge
                            if deadlines and deadlines.acknowledge
                            else None,
                            now + deadlines.respond if deadlines and deadlines.respond else None,
                        )
                    )
        uow.deliveries.add(deliveries, now)
        uow.deliveries.add_recipients(recipients)
        return len(deliveries)

    def _followers(
        self, uow: UnitOfWork, snapshot: _Snapshot, item: Routable, routed: RoutedAlert
    ) -> set[int]:
        """Subscriptions that received what an Update or Cancel refers to: a desk that was
        told of an alert is told when it changes or ends, even if the new message no
        longer meets its filter (a bare Cancel carries no category or severity)."""
        if routed.msg_type not in _FOLLOW_UPS:
            return set()
        held = uow.alerts.referenced(item.alert.referenced_keys())
        joined = thread_to_join(item.author, routed.msg_type, held)
        positions = [ref.position for ref in held if joined and ref.thread_id == joined.thread_id]
        reached = uow.deliveries.subscriptions_reached(positions) if positions else set()
        return {
            subscription_id
            for subscription_id in reached
            if (row := snapshot.rows.get(subscription_id)) is not None
            and status_admits(
                routed.status, exercises=row.filter.get("exercises") is True, test=True
            )
            and may_read(row.reader, routed.scope, routed.author)
        }

    def _current(self, uow: UnitOfWork) -> _Snapshot:
        revision = uow.subscriptions.revision()
        with self._lock:
            if self._snapshot is None or self._snapshot.revision != revision:
                rows = {row.id: row for row in uow.subscriptions.active()}
                self._snapshot = _Snapshot(revision, SubscriptionIndex(self._parsed(rows)), rows)
            return self._snapshot

    def _parsed(self, rows: dict[int, SubscriptionRow]) -> list[Subscription]:
        """Subscriptions with parsed filters, reusing those whose stored filter has not
        changed: parsing an area costs far more than the rest of a rebuild."""
        parsed = []
        cache: dict[tuple[int, str], Subscription] = {}
        for row in rows.values():
            key = (row.id, json.dumps(row.filter, sort_keys=True) + row.role + str(row.participant))
            subscription = self._filters.get(key) or Subscription(
                row.id, row.reader, filter_from_json(row.filter)
            )
            cache[key] = subscription
            parsed.append(subscription)
        self._filters = cache
        return parsed


def _deliveries(item: Routable, routed: RoutedAlert, row: SubscriptionRow) -> list[NewDelivery]:
    """One delivery per live endpoint; Test and System messages only to test endpoints."""
    return [
        NewDelivery(
            message_id(item.record_id, endpoint.id, "alert"),
            endpoint.id,
            item.position,
            row.participant,
            "alert",
        )
        for endpoint in row.endpoints
        if endpoint.state == "active" and (endpoint.test or routed.status not in _TEST_STATUSES)
    ]
