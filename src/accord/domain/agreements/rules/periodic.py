"""Duties that fall due with the calendar: annual exchanges and regular sharing.

Both are enumerated for every party from the agreement's start up to ``now``, so a party
that files nothing still has its duties listed, and missed.

* periodic-exchange: each year, by ``due`` ("MM-DD", to the end of that day), each party
  files an Exchange of ``kind`` for the year ``for_year_offset`` ahead (information on
  forces is due 15 December for the following year: offset 1). Subject: the year the
  exchange describes. The earliest such Exchange counts.
* periodic-sharing: in every period of ``every_days`` days, counted from the agreement's
  start, each party files at least one Share of ``kind``. Subject: the period's first day.
  A share can only fall in one period, so a period is met or, once over, missed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from accord.domain.agreements.duties import Duty
from accord.domain.agreements.facts import Exchange, Fact, Share
from accord.domain.agreements.periods import end_of_day, midnight
from accord.domain.agreements.rules.base import Affected, Rule, rule_type
from accord.domain.agreements.schema import MonthDay, Number, Params, Text, declare, month_day
from accord.domain.agreements.scope import Scope


class _Periodic(Rule):
    def _parties(self, participant: str | None) -> tuple[str, ...]:
        members = self.scope.parties.members()
        if participant is None:
            return members
        return (participant,) if participant in self.scope.parties else ()


@rule_type("periodic-exchange")
class PeriodicExchange(_Periodic):
    fields = declare(kind=Text(), due=MonthDay(), for_year_offset=Number(0, 1))
    consumes = (Exchange,)

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._kind = params.text("kind")
        self._offset = params.number("for_year_offset")

    def routes(self) -> Iterable[tuple[type[Fact], str | None]]:
        return [(Exchange, self._kind)]

    def affected(self, fact: Fact) -> Affected:
        return [(fact.author, str(fact.period))] if isinstance(fact, Exchange) else []

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        years = range(self.scope.starts.year, now.year + 1)
        for party in self._parties(participant):
            yield from (self._duty(party, year + self._offset) for year in years)

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        # The period is whatever a filing said: one outside the calendar owes nothing.
        period = int(subject) if subject.isdigit() and len(subject) <= 4 else 0
        return self._duty(participant, period) if 0 < period - self._offset < 9999 else None

    def _duty(self, party: str, period: int) -> Duty:
        day = month_day(self.params.figure("due"), period - self._offset)
        filed = self.scope.index.exchanges.get((party, self._kind, period))
        return Duty(
            participant=party,
            subject=str(period),
            arose_at=midnight(day),
            due=end_of_day(day),
            done_at=filed.at if filed is not None else None,
            evidence=(filed.record_id,) if filed is not None else (),
            detail=f"{self._kind} for {period}, due by {day.isoformat()}",
        )


@rule_type("periodic-sharing")
class PeriodicSharing(_Periodic):
    fields = declare(kind=Text(), every_days=Number(1, 366))
    consumes = (Share,)

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._kind = params.text("kind")
        self._step = timedelta(days=params.number("every_days"))
        self._labels: dict[int, str] = {}  # period number -> its first day, ISO 8601

    def routes(self) -> Iterable[tuple[type[Fact], str | None]]:
        return [(Share, self._kind)]

    def affected(self, fact: Fact) -> Affected:
        number = (fact.at - self.scope.starts) // self._step
        return [(fact.author, self._label(number))] if number >= 0 else []

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        last = (now - self.scope.starts) // self._step
        for party in self._parties(participant):
            yield from (self._duty(party, number) for number in range(last + 1))

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        try:
            first = date.fromisoformat(subject)
        except ValueError:
            return None
        number, rest = divmod(midnight(first) - self.scope.starts, self._step)
        return self._duty(participant, number) if number >= 0 and not rest else None

    def _label(self, number: int) -> str:
        label = self._labels.get(number)
        if label is None:  # shares come by the thousand per period: format it once
            label = (self.scope.starts + number * self._step).date().isoformat()
            self._labels[number] = label
        return label

    def _duty(self, party: str, number: int) -> Duty:
        start = self.scope.starts + number * self._step
        end = start + self._step
        shares = self.scope.index.shares.get((party, self._kind), ())
        first = bisect_left(shares, (start,))  # (start,) sorts before every (start, id)
        count = bisect_left(shares, (end,), first) - first
        at, record_id = shares[first] if count else (None, None)
        return Duty(
            participant=party,
            subject=start.date().isoformat(),
            arose_at=start,
            due=end,
            done_at=at,
            evidence=(record_id,) if record_id is not None else (),
            detail=f"{count} {self._kind} share{'' if count == 1 else 's'}",
        )
