"""Every fact the engine was given, indexed the ways rule types look facts up.

One index serves every rule of every agreement: ten agreements that each judge prior
notification read one book of activities rather than keeping ten. Facts may arrive in any
order (a reply before its request, replicated from another node): what pairs them is
kept here and resolved when a rule asks, so the order of arrival never changes an answer.
Where several facts compete (two replies, two acknowledgements) the earliest by signed
time wins, ties broken by record id.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from accord.domain.agreements.activities import LONG, ActivityBook, days_of
from accord.domain.agreements.facts import (
    Acknowledged,
    AlertIssued,
    Exchange,
    Fact,
    Notification,
    Observed,
    Participation,
    Reply,
    Request,
    Share,
)
from accord.domain.agreements.order import earliest
from accord.domain.agreements.requestbook import RequestBook

Joined = tuple[datetime, Participation]  # when it counts, and the participation


class FactIndex:
    def __init__(self) -> None:
        self.activities = ActivityBook()
        self.observed: dict[str, list[Observed]] = {}  # by the state said to conduct it
        self.observed_by_id: dict[str, Observed] = {}
        self._observed_days: dict[tuple[str, date], list[Observed]] = {}
        self._observed_long: dict[str, list[Observed]] = {}
        self.requests = RequestBook()
        self.exchanges: dict[tuple[str, str, int], Exchange] = {}  # (author, kind, period)
        # (author, kind) -> (signed time, record id) of every share, in order: a period's
        # shares are a slice of it, found by bisection, so one list serves every rule.
        self.shares: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
        self.alerts: dict[str, AlertIssued] = {}
        self.acks: dict[tuple[str, str], Acknowledged] = {}  # (alert id, author)
        self.taking_part: dict[tuple[str, str], list[Participation]] = {}  # by activity
        # (author, year it counts in) -> its activity's kind (None while not notified) ->
        # record id -> (when it counts: the activity's start, or the participation's own
        # time; the participation). Kept up to date as notices amend the activity.
        self.participations_in: dict[tuple[str, int], dict[str | None, dict[str, Joined]]] = {}
        self._counted_in: dict[str, tuple[str, int, str | None]] = {}
        self._adders: dict[type[Fact], Callable[[Any], object]] = {
            Notification: self._notification,
            Observed: self._observed,
            Request: self.requests.add_request,
            Reply: self.requests.add_reply,
            Exchange: self._exchange,
            Share: self._share,
            AlertIssued: self._alert,
            Acknowledged: self._ack,
            Participation: self._participation,
        }

    def add(self, fact: Fact) -> None:
        adder = self._adders.get(type(fact))
        if adder is not None:
            adder(fact)

    def observed_overlapping(
        self, conductor: str, start: datetime, end: datetime
    ) -> list[Observed]:
        """Observations of ``conductor``'s activities whose dates meet [start, end]."""
        if end - start > LONG:
            found = self.observed.get(conductor, [])
        else:
            found = list(self._observed_long.get(conductor, ()))
            for day in days_of(start, end):
                found += self._observed_days.get((conductor, day), ())
        unique = {o.record_id: o for o in found if o.start <= end and start <= o.end}
        return list(unique.values())

    def _observed(self, fact: Observed) -> None:
        self.observed.setdefault(fact.conducted_by, []).append(fact)
        self.observed_by_id[fact.record_id] = fact
        if fact.end - fact.start > LONG:
            self._observed_long.setdefault(fact.conducted_by, []).append(fact)
            return
        for day in days_of(fact.start, fact.end):
            self._observed_days.setdefault((fact.conducted_by, day), []).append(fact)

    def _exchange(self, fact: Exchange) -> None:
        key = (fact.author, fact.kind, fact.period)
        held = self.exchanges.get(key)
        if held is None or earliest(fact) < earliest(held):
            self.exchanges[key] = fact

    def _share(self, fact: Share) -> None:
        held = self.shares.get((fact.author, fact.kind))
        mark = (fact.at, fact.record_id)
        if held is None:
            self.shares[(fact.author, fact.kind)] = [mark]
        elif held[-1] < mark:  # the usual case: shares come in the order they were made
            held.append(mark)
        else:
            insort(held, mark)

    def _alert(self, fact: AlertIssued) -> None:
        self.alerts[fact.record_id] = fact

    def _ack(self, fact: Acknowledged) -> None:
        key = (fact.alert_id, fact.author)
        held = self.acks.get(key)
        if held is None or earliest(fact) < earliest(held):
            self.acks[key] = fact

    def _notification(self, fact: Notification) -> None:
        self.activities.add(fact)
        for taking in self.taking_part.get((fact.author, fact.activity_id), ()):
            self._file(taking)  # the activity may have moved to another year

    def _participation(self, fact: Participation) -> None:
        self.taking_part.setdefault((fact.conducted_by, fact.activity_id), []).append(fact)
        self._file(fact)

    def _file(self, taking: Participation) -> None:
        activity = self.activities.get(taking.conducted_by, taking.activity_id)
        notice = activity.latest if activity is not None else None
        at, kind = (notice.start, notice.kind) if notice else (taking.at, None)
        before = self._counted_in.pop(taking.record_id, None)
        if before is not None:
            author, year, was = before
            del self.participations_in[(author, year)][was][taking.record_id]
        by_kind = self.participations_in.setdefault((taking.author, at.year), {})
        by_kind.setdefault(kind, {})[taking.record_id] = (at, taking)
        self._counted_in[taking.record_id] = (taking.author, at.year, kind)
