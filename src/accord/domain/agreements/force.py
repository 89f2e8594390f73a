"""When an agreement is in force, and which of its tiers apply at a given moment.

In force from its start (midnight UTC) until its sunset, which Renewal facts push on: a
renewal filed while the agreement is in force extends it to the renewal's date; one
filed after it lapsed revives it from the renewal's signed time, leaving the gap out.
Renewals are applied in signed-time order whatever order they arrived in.

Obligations of tiers up to the agreement's tier apply whenever it is in force; those of a
tier its emergency clause names also apply from an Acceleration fact's signed time until
its ``until``, at most ``max_days`` later. Only parties' renewals and accelerations count:
the engine checks the author before it passes them on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from accord.domain.agreements.facts import Acceleration, Renewal
from accord.domain.agreements.model import Agreement
from accord.domain.agreements.order import earliest
from accord.domain.agreements.periods import midnight

Window = tuple[datetime, datetime | None]  # [start, end); end None: no sunset


class Force:
    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        self._renewals: list[Renewal] = []
        self._windows: tuple[Window, ...] | None = None
        self._accelerated: dict[int, list[tuple[datetime, datetime]]] = {}

    def renew(self, fact: Renewal) -> None:
        if self.agreement.sunset is not None:
            self._renewals.append(fact)
            self._windows = None

    def accelerate(self, fact: Acceleration) -> bool:
        """Record an invocation of the emergency clause; False when the clause does not
        allow it (no clause, a tier it does not name, an empty window)."""
        clause = self.agreement.emergency
        if clause is None or fact.tier not in clause.tiers or fact.until <= fact.at:
            return False
        end = min(fact.until, fact.at + timedelta(days=clause.max_days.number))
        self._accelerated.setdefault(fact.tier, []).append((fact.at, end))
        return True

    def windows(self) -> tuple[Window, ...]:
        if self._windows is None:
            self._windows = self._compute()
        return self._windows

    def _compute(self) -> tuple[Window, ...]:
        start = midnight(self.agreement.starts)
        if self.agreement.sunset is None:
            return ((start, None),)
        end, windows = midnight(self.agreement.sunset), []
        for renewal in sorted(self._renewals, key=earliest):
            until = midnight(renewal.until)
            if renewal.at < end:
                end = max(end, until)
            elif until > renewal.at:
                windows.append((start, end))
                start, end = renewal.at, until
        return (*windows, (start, end))

    def in_force(self, at: datetime) -> bool:
        for start, end in self._windows or self.windows():
            if start <= at and (end is None or at < end):
                return True
        return False

    def applies(self, tier: int, at: datetime) -> bool:
        """Whether obligations of ``tier`` applied at ``at`` (asked once per verdict)."""
        if not self.in_force(at):
            return False
        if tier <= self.agreement.tier:
            return True
        return any(s <= at < e for s, e in self._accelerated.get(tier, ()))

    def test(self, tier: int) -> Callable[[datetime], bool]:
        """``applies`` for one tier, as a predicate on the time: built once per query and
        asked once per duty, so the common case (one window, tier reached) is a single
        comparison."""
        windows = self.windows()
        if tier > self.agreement.tier or len(windows) > 1:
            return partial(self.applies, tier)
        start, end = windows[0]
        if end is None:
            return start.__le__
        return lambda at: start <= at < end

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether it was in force throughout [start, end)."""
        return any(s <= start and (e is None or end <= e) for s, e in self.windows())

    def current_end(self, now: datetime) -> datetime | None:
        """When the window holding ``now`` ends (None: no sunset, or not in force)."""
        return next((e for s, e in self.windows() if s <= now and (e is None or now < e)), None)

    def lapsed_at(self, now: datetime) -> datetime | None:
        """When it last lapsed, if it is not in force at ``now`` and was before."""
        if self.in_force(now):
            return None
        ended = [e for s, e in self.windows() if e is not None and e <= now]
        return max(ended) if ended else None
