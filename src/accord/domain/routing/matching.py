"""Matching alerts to subscriptions: the plain rule, and an index that applies it fast.

``matches`` is the definition, written to be read. ``SubscriptionIndex`` must give the
same answers (a property test checks it against ``matches``) while touching only the
subscriptions that can possibly match: an STRtree over the areas finds those whose area
meets the alert's, a dictionary finds those listing one of its geocodes, and the rest
(no area) are checked directly. With ten thousand area subscriptions, an alert costs one
tree query and exact tests on the few candidates it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from accord.domain.alerts.cap import (
    CERTAINTY_RANK,
    SEVERITY_RANK,
    URGENCY_RANK,
    Alert,
)
from accord.domain.alerts.facts import facts_of
from accord.domain.routing.filters import Filter
from accord.domain.sharing import Reader, Scope, may_read

DEFAULT_MSG_TYPES = frozenset({"Alert", "Update", "Cancel"})


@dataclass(frozen=True, slots=True)
class RoutedInfo:
    event: str  # casefolded
    categories: frozenset[str]
    event_codes: frozenset[tuple[str, str]]
    urgency_rank: int
    severity_rank: int
    certainty_rank: int


@dataclass(frozen=True, slots=True)
class RoutedAlert:
    status: str
    msg_type: str
    sender: str
    author: str
    scope: Scope
    infos: tuple[RoutedInfo, ...]
    area: BaseGeometry | None
    geocodes: frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    reader: Reader
    filter: Filter


def routed_alert(
    alert: Alert, scope: Scope, author: str, area: BaseGeometry | None = None
) -> RoutedAlert:
    """What matching reads of an alert; ``area`` saves recomputing the union of shapes."""
    if area is None:
        area = facts_of(alert).area
    return RoutedAlert(
        status=alert.status,
        msg_type=alert.msg_type,
        sender=alert.sender,
        author=author,
        scope=scope,
        infos=tuple(
            RoutedInfo(
                event=info.event.casefold(),
                categories=frozenset(info.categories),
                event_codes=frozenset((p.value_name, p.value) for p in info.event_codes),
                urgency_rank=URGENCY_RANK.get(info.urgency, len(URGENCY_RANK)),
                severity_rank=SEVERITY_RANK.get(info.severity, len(SEVERITY_RANK)),
                certainty_rank=CERTAINTY_RANK.get(info.certainty, len(CERTAINTY_RANK)),
            )
            for info in alert.infos
        ),
        area=area,
        geocodes=frozenset(
            (code.value_name, code.value)
            for info in alert.infos
            for a in info.areas
            for code in a.geocodes
        ),
    )


def status_admits(status: str, *, exercises: bool, test: bool) -> bool:
    """Actual goes everywhere; Exercise only where asked for; Test and System only to test
    endpoints; Draft never leaves the node."""
    if status == "Actual":
        return True
    if status == "Exercise":
        return exercises
    if status in ("Test", "System"):
        return test
    return False


def matches(subscription: Subscription, alert: RoutedAlert) -> bool:
    """Whether ``alert`` goes to ``subscription``. Test messages pass here; the caller
    sends them only to endpoints marked as test endpoints."""
    f = subscription.filter
    return (
        _attributes_match(f, alert)
        and may_read(subscription.reader, alert.scope, alert.author)
        and _area_matches(f, alert)
    )


def _attributes_match(f: Filter, alert: RoutedAlert) -> bool:
    if not status_admits(alert.status, exercises=f.exercises, test=True):
        return False
    if alert.msg_type not in (f.msg_types or DEFAULT_MSG_TYPES):
        return False
    if f.senders and alert.sender not in f.senders:
        return False
    if alert.scope.tlp.rank > f.tlp_ceiling.rank:
        return False
    if not _needs_info(f):
        return True
    return any(_info_matches(f, info) for info in alert.infos)


def _needs_info(f: Filter) -> bool:
    return bool(
        f.categories
        or f.events
        or f.event_codes
        or f.min_urgency
        or f.min_severity
        or f.min_certainty
    )


def _info_matches(f: Filter, info: RoutedInfo) -> bool:
    """One info block must satisfy every info condition together: an alert whose English
    block is Extreme and whose other block is about floods is not an Extreme flood."""
    return (
        (not f.categories or bool(f.categories & info.categories))
        and (not f.events or info.event in f.events)
        and (not f.event_codes or bool(f.event_codes & info.event_codes))
        and (f.min_urgency is None or info.urgency_rank <= URGENCY_RANK[f.min_urgency])
        and (f.min_severity is None or info.severity_rank <= SEVERITY_RANK[f.min_severity])
        and (f.min_certainty is None or info.certainty_rank <= CERTAINTY_RANK[f.min_certainty])
    )


def _area_matches(f: Filter, alert: RoutedAlert) -> bool:
    if f.area is None and not f.geocodes:
        return True
    if f.geocodes & alert.geocodes:
        return True
    if f.area is not None and alert.area is not None and f.area.intersects(alert.area):
        return True
    return f.include_unlocated and alert.area is None and not alert.geocodes


class SubscriptionIndex:
    """Immutable: routers rebuild it when subscriptions change (they are few and change
    rarely next to the alerts that are matched against them)."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self._all = list(subscriptions)
        self._anywhere: list[Subscription] = []
        self._unlocated: list[Subscription] = []
        self._by_geocode: dict[tuple[str, str], list[Subscription]] = {}
        areas: list[BaseGeometry] = []
        self._with_area: list[Subscription] = []
        for sub in self._all:
            f = sub.filter
            if f.area is None and not f.geocodes:
                self._anywhere.append(sub)
                continue
            if f.include_unlocated:
                self._unlocated.append(sub)
            for code in f.geocodes:
                self._by_geocode.setdefault(code, []).append(sub)
            if f.area is not None:
                shapely.prepare(f.area)
                areas.append(f.area)
                self._with_area.append(sub)
        self._tree = STRtree(areas) if areas else None

    def __len__(self) -> int:
        return len(self._all)

    def match(self, alert: RoutedAlert) -> list[int]:
        candidates: dict[int, Subscription] = {s.id: s for s in self._anywhere}
        for code in alert.geocodes:
            for sub in self._by_geocode.get(code, ()):
                candidates[sub.id] = sub
        if alert.area is not None and self._tree is not None:
            for position in self._tree.query(alert.area, predicate="intersects"):
                sub = self._with_area[int(position)]
                candidates[sub.id] = sub
        if alert.area is None and not alert.geocodes:
            for sub in self._unlocated:
                candidates[sub.id] = sub
        return sorted(
            sub.id
            for sub in candidates.values()
            if _attributes_match(sub.filter, alert)
            and may_read(sub.reader, alert.scope, alert.author)
        )
