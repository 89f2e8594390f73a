"""Matching alerts to subscriptions: the plain rule, and an index that applies it fast.

``matches`` is the definition, written to be read; it is the oracle. ``SubscriptionIndex``
gives the same answers (a property test compares the two on random subscriptions and
alerts) while touching only subscriptions that can match: an STRtree over filter areas
finds those whose bounding box meets the alert's, a dictionary those listing one of its
geocodes, and subscriptions with no location restriction are always candidates. Each
candidate then passes the cheap checks (status, message type, sender, TLP ceiling, info
conditions, the owner's right to read — computed once per distinct reader) before the
one expensive check, the exact intersection of two polygons, which only bounding-box
candidates that survived everything else pay. With 10,000 subscriptions whose areas are
country- and county-sized polygons of 50-500 vertices spread over Europe, matching an
alert with a typical polygon takes about 0.3 ms (against about 12 ms for ``matches``
applied to every subscription).

Test and System messages pass both: whether one goes to a given endpoint (only to test
endpoints) is the caller's decision, made per endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from accord.domain.alerts.cap import CERTAINTY_RANK, SEVERITY_RANK, URGENCY_RANK, Alert
from accord.domain.alerts.facts import facts_of
from accord.domain.routing.filters import DEFAULT_MSG_TYPES, Filter, event_key
from accord.domain.sharing import Reader, Scope, may_read

__all__ = [
    "DEFAULT_MSG_TYPES",
    "RoutedAlert",
    "RoutedInfo",
    "Subscription",
    "SubscriptionIndex",
    "matches",
    "routed_alert",
    "status_admits",
]


@dataclass(frozen=True, slots=True)
class RoutedInfo:
    """What matching reads of one info block; ranks as in cap.py (lower = stronger,
    values outside CAP rank after every CAP value)."""

    event: str  # normalised by ``event_key``
    categories: frozenset[str]
    event_codes: frozenset[tuple[str, str]]  # (valueName, value)
    urgency_rank: int
    severity_rank: int
    certainty_rank: int


@dataclass(frozen=True, slots=True)
class RoutedAlert:
    """What matching reads of an alert, with the scope and author the node gave it."""

    status: str
    msg_type: str
    sender: str
    author: str  # participant code
    scope: Scope
    infos: tuple[RoutedInfo, ...]
    area: BaseGeometry | None  # union of every polygon and circle; None when there are none
    geocodes: frozenset[tuple[str, str]]  # of every area of every info block


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    reader: Reader  # the owner, as a reader: deliveries never show more than they may read
    filter: Filter


def routed_alert(
    alert: Alert, scope: Scope, author: str, area: BaseGeometry | None = None
) -> RoutedAlert:
    """Read ``alert`` for matching. ``area`` defaults to ``facts_of(alert).area``; callers
    that already hold the facts pass it to save recomputing the union of shapes. An empty
    geometry counts as no area (the alert is then unlocated unless it has geocodes)."""
    if area is None:
        area = facts_of(alert).area
    if area is not None and area.is_empty:
        area = None
    return RoutedAlert(
        status=alert.status,
        msg_type=alert.msg_type,
        sender=alert.sender,
        author=author,
        scope=scope,
        infos=tuple(
            RoutedInfo(
                event=event_key(info.event),
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
    endpoints; Draft (and anything else) never leaves the node."""
    if status == "Actual":
        return True
    if status == "Exercise":
        return exercises
    if status in ("Test", "System"):
        return test
    return False


def matches(sub: Subscription, alert: RoutedAlert) -> bool:
    """Whether ``alert`` goes to ``sub``: the definition. Test and System messages pass
    (``test=True``); the caller sends them only to endpoints marked as test endpoints."""
    f = sub.filter
    return (
        status_admits(alert.status, exercises=f.exercises, test=True)
        and alert.msg_type in (f.msg_types or DEFAULT_MSG_TYPES)
        and (not f.senders or alert.sender in f.senders)
        and alert.scope.tlp.rank <= f.tlp_ceiling.rank
        and may_read(sub.reader, alert.scope, alert.author)
        and (not _has_info_conditions(f) or any(_info_matches(f, i) for i in alert.infos))
        and _area_matches(f, alert)
    )


def _has_info_conditions(f: Filter) -> bool:
    """A filter with none takes alerts with no info block too (a bare Cancel)."""
    return bool(
        f.categories
        or f.events
        or f.event_codes
        or f.min_urgency is not None
        or f.min_severity is not None
        or f.min_certainty is not None
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
    if f.area is not None and alert.area is not None and f.area.intersects(alert.area):
        return True
    if f.geocodes & alert.geocodes:
        return True
    return f.include_unlocated and alert.area is None and not alert.geocodes


_MANY = 16  # undecided area candidates that make preparing the alert's area worth it
_ANY_RANK = 1 << 30  # a missing minimum: every rank is "at least" this strong


class _Compiled:
    """A subscription's cheap conditions, flattened so the index checks them without
    attribute chains or enum lookups."""

    __slots__ = (
        "categories",
        "ceiling",
        "codes",
        "events",
        "exercises",
        "id",
        "max_certainty",
        "max_severity",
        "max_urgency",
        "msg_types",
        "needs_info",
        "reader",
        "senders",
    )

    def __init__(self, sub: Subscription, reader: int) -> None:
        f = sub.filter
        self.id = sub.id
        self.reader = reader
        self.exercises = f.exercises
        self.msg_types = f.msg_types or DEFAULT_MSG_TYPES
        self.senders = f.senders
        self.ceiling = f.tlp_ceiling.rank
        self.needs_info = _has_info_conditions(f)
        self.categories = f.categories
        self.events = f.events
        self.codes = f.event_codes
        self.max_urgency = _ANY_RANK if f.min_urgency is None else URGENCY_RANK[f.min_urgency]
        self.max_severity = _ANY_RANK if f.min_severity is None else SEVERITY_RANK[f.min_severity]
        self.max_certainty = (
            _ANY_RANK if f.min_certainty is None else CERTAINTY_RANK[f.min_certainty]
        )


class _Probe:
    """One alert's side of the cheap checks, computed once per ``match`` call."""

    __slots__ = ("alert", "exercise_only", "readable", "readers", "tlp")

    def __init__(self, alert: RoutedAlert, readers: Sequence[Reader]) -> None:
        self.alert = alert
        # Admitted for some subscriptions (checked by the caller), but not for all?
        self.exercise_only = not status_admits(alert.status, exercises=False, test=True)
        self.tlp = alert.scope.tlp.rank
        self.readers = readers
        self.readable: dict[int, bool] = {}

    def admits(self, c: _Compiled) -> bool:
        alert = self.alert
        if self.exercise_only and not c.exercises:
            return False
        if alert.msg_type not in c.msg_types or self.tlp > c.ceiling:
            return False
        if c.senders and alert.sender not in c.senders:
            return False
        if c.needs_info and not any(_compiled_info_matches(c, i) for i in alert.infos):
            return False
        readable = self.readable.get(c.reader)
        if readable is None:
            readable = may_read(self.readers[c.reader], alert.scope, alert.author)
            self.readable[c.reader] = readable
        return readable


def _compiled_info_matches(c: _Compiled, info: RoutedInfo) -> bool:
    return (
        info.urgency_rank <= c.max_urgency
        and info.severity_rank <= c.max_severity
        and info.certainty_rank <= c.max_certainty
        and (not c.categories or not c.categories.isdisjoint(info.categories))
        and (not c.events or info.event in c.events)
        and (not c.codes or not c.codes.isdisjoint(info.event_codes))
    )


class SubscriptionIndex:
    """The subscriptions of a node, arranged for matching; ``match`` equals applying
    ``matches`` to each of them.

    Immutable by design (no ``add``/``remove``): routers build a new one when
    subscriptions change (rarely, next to the alerts matched against them) and swap it in,
    so a match never sees a half-updated index, and ``match`` may run in many threads at
    once. Building is linear — some tens of milliseconds for 10,000 area subscriptions,
    far less than parsing their filters — and prepares every filter area in place
    (shapely's ``prepare``: a cache on the geometry that changes no value), so do not
    build two indexes over the same ``Filter`` objects at the same time.
    """

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self._subscriptions = tuple(subscriptions)
        reader_slots: dict[Reader, int] = {}
        self._compiled = [
            _Compiled(sub, reader_slots.setdefault(sub.reader, len(reader_slots)))
            for sub in self._subscriptions
        ]
        self._readers = tuple(reader_slots)
        self._anywhere: list[int] = []  # positions of subscriptions with no area, no geocodes
        self._unlocated: list[int] = []  # positions that take alerts without any location
        self._by_geocode: dict[tuple[str, str], list[int]] = {}
        areas: list[BaseGeometry] = []
        self._area_owner: list[int] = []  # tree item -> subscription position
        for position, sub in enumerate(self._subscriptions):
            f = sub.filter
            if not f.is_located:
                self._anywhere.append(position)
                continue
            if f.include_unlocated:
                self._unlocated.append(position)
            for code in f.geocodes:
                self._by_geocode.setdefault(code, []).append(position)
            if f.area is not None:
                shapely.prepare(f.area)
                areas.append(f.area)
                self._area_owner.append(position)
        self._tree = STRtree(areas) if areas else None

    def __len__(self) -> int:
        return len(self._subscriptions)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return self._subscriptions

    def match(self, alert: RoutedAlert) -> list[int]:
        """The ids of the subscriptions ``alert`` matches, ascending."""
        if not status_admits(alert.status, exercises=True, test=True):
            return []
        probe = _Probe(alert, self._readers)
        compiled = self._compiled
        located: set[int] = set(self._anywhere)
        for code in alert.geocodes:
            located.update(self._by_geocode.get(code, ()))
        if alert.area is None and not alert.geocodes:
            located.update(self._unlocated)
        ids = [compiled[p].id for p in located if probe.admits(compiled[p])]
        if alert.area is not None:
            ids += self._area_matches(alert.area, probe, located)
        ids.sort()
        return ids

    def _area_matches(self, area: BaseGeometry, probe: _Probe, located: set[int]) -> list[int]:
        """Ids of the area subscriptions, other than those already ``located``, whose area
        ``area`` meets and which ``probe`` admits.

        Cheapest first: the bounding-box query, then the attribute checks, then one
        vectorised point-in-polygon pass that accepts every (prepared) filter area holding
        a vertex of the alert, and only for the rest the exact intersection test.
        """
        if self._tree is None:
            return []
        compiled = self._compiled
        owners = self._area_owner
        items = [
            item
            for item in self._tree.query(area).tolist()
            if owners[item] not in located and probe.admits(compiled[owners[item]])
        ]
        if not items:
            return []
        x, y = shapely.get_coordinates(area)[0]
        candidates = self._tree.geometries[items]
        hits = shapely.contains_xy(candidates, x, y)
        undecided = [i for i, hit in enumerate(hits.tolist()) if not hit]
        if len(undecided) >= _MANY:
            # A large alert meets many areas: preparing (a private copy of) it pays off.
            prepared = shapely.from_wkb(shapely.to_wkb(area))
            shapely.prepare(prepared)
            hits[undecided] = shapely.intersects(prepared, candidates[undecided])
        elif undecided:
            hits[undecided] = shapely.intersects(candidates[undecided], area)
        return [
            compiled[owners[item]].id for item, hit in zip(items, hits.tolist(), strict=True) if hit
        ]
