"""The compliance engine: facts in, one at a time; verdicts, flags and reports out.

``add`` files a fact in the shared index and asks only the rules routed to its type (and
kind) which duties it touches: the work per fact grows with what the fact touches, not
with the facts held. Verdicts are computed when asked, from the index, for a given
``now``; the only thing kept between calls is the last full set of verdicts, until the
next fact. So an engine fed facts one by one and asked along the way answers exactly as a
fresh engine fed the same facts at once. A record id seen before is ignored, so a fact
replicated twice counts once. Obligations with the same rule, params, start and parties
(copies of an agreement) share one rule instance: their facts are filed and judged once.

Whether a duty counts is decided here, not by its rule: its participant must be a party,
and at its ``arose_at`` the agreement must be in force and the obligation's tier reached
or accelerated (see ``force``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from accord.domain.agreements.duties import Duty, DutyKey
from accord.domain.agreements.facts import Acceleration, Exchange, Fact, Renewal, Share
from accord.domain.agreements.force import Force
from accord.domain.agreements.index import FactIndex
from accord.domain.agreements.ladder import Concern, Recommendation, concerns, recommend
from accord.domain.agreements.model import Agreement, Obligation
from accord.domain.agreements.periods import PERIOD_KINDS, midnight
from accord.domain.agreements.reciprocity import ReciprocityLedger, ReciprocityRow
from accord.domain.agreements.reports import CalendarEntry, PeriodCounts, calendar, series
from accord.domain.agreements.rules import RULE_TYPES, Rule
from accord.domain.agreements.scope import PartySet, Scope
from accord.domain.agreements.verdicts import Flag, Verdict, flag, judge
from accord.errors import InvalidInputError, NotFoundError, Problem

Route = tuple[type[Fact], str | None]
_key = tuple.__new__  # DutyKey(...) without the Python-level __new__: add's hot loop


@dataclass(frozen=True, slots=True, eq=False)
class _Bound:
    """One obligation of one agreement, with its rule and what decides where it applies."""

    agreement: Agreement
    obligation: Obligation
    rule: Rule
    force: Force
    parties: PartySet

    def applies(self, duty: Duty) -> bool:
        return duty.participant in self.parties and self.force.applies(
            self.obligation.tier, duty.arose_at
        )

    def verdicts(self, duties: list[Duty], now: datetime, who: str | None) -> list[Verdict]:
        applied, parties = self.force.test(self.obligation.tier), self.parties
        return [
            judge(self.agreement, self.obligation, duty, now)
            for duty in duties
            if (who is None or who == duty.participant)
            and duty.participant in parties
            and applied(duty.arose_at)
        ]


@dataclass(frozen=True, slots=True, eq=False)
class _Shared:
    """One rule instance and the obligations it serves: obligations with the same rule,
    params, start and parties (copies of an agreement, or one obligation written into
    two) owe the same duties, so their facts are filed and judged once."""

    rule: Rule
    bounds: list[_Bound]
    names: list[tuple[str, str]]  # (agreement, obligation) of each bound
    records: bool  # whether the rule keeps state of its own (overrides ``record``)


class ComplianceEngine:
    """Judges compliance with ``agreements``; "all" parties means ``parties_of_all``, or
    with none given, every participant that has filed a fact."""

    def __init__(self, agreements: Sequence[Agreement], parties_of_all: Sequence[str] = ()):
        _check_names(agreements)
        self._index = FactIndex()
        self._everyone = PartySet(parties_of_all or None)
        self._forces = {a.name: Force(a) for a in agreements}
        listed = {a.parties: PartySet(a.parties) for a in agreements if a.parties}
        self._parties = {
            a.name: listed[a.parties] if a.parties else self._everyone for a in agreements
        }
        self._shared: dict[str, _Shared] = {}
        self._bound = [self._bind(a, o) for a in agreements for o in a.obligations]
        self._by_name = {(b.agreement.name, b.obligation.id): b for b in self._bound}
        self._routes: dict[Route, list[_Shared]] = {}
        for shared in self._shared.values():
            for route in shared.rule.routes():
                self._routes.setdefault(route, []).append(shared)
        self._handlers: dict[Route, tuple[_Shared, ...]] = {}
        self._seen: set[str] = set()
        self._ledger = ReciprocityLedger()
        # The last full set of verdicts, valid until the next fact: reports asked one
        # after another for the same ``now`` judge once. Any fact moves the epoch on.
        self._epoch = 0
        self._cached: tuple[tuple[int, datetime] | None, dict[str, list[Verdict]]] = (None, {})

    def _bind(self, agreement: Agreement, obligation: Obligation) -> _Bound:
        parties, starts = self._parties[agreement.name], midnight(agreement.starts)
        kind = RULE_TYPES[obligation.rule]
        params = json.dumps(kind.dump_params(obligation.params), sort_keys=True)
        key = f"{obligation.rule} {params} {starts.isoformat()} {id(parties)}"
        shared = self._shared.get(key)
        if shared is None:
            rule = kind(obligation.params, Scope(starts, parties, self._index))
            records = type(rule).record is not Rule.record
            shared = self._shared[key] = _Shared(rule, [], [], records)
        bound = _Bound(agreement, obligation, shared.rule, self._forces[agreement.name], parties)
        shared.bounds.append(bound)
        shared.names.append((agreement.name, obligation.id))
        return bound

    def add(self, fact: Fact) -> set[DutyKey]:
        """File ``fact``; the keys of the duties it may have changed. Renewals and
        accelerations change which duties apply, not any duty: they return no keys."""
        keys: set[DutyKey] = set()
        for shared in self._file(fact):
            pairs = list(shared.rule.affected(fact))
            for name, obligation in shared.names:
                keys.update([_key(DutyKey, (name, obligation, p, s)) for p, s in pairs])
        return keys

    def load(self, facts: Iterable[Fact]) -> None:
        """File many facts (a catch-up, a rebuild): as ``add`` does, without working out
        which duties each one touched, which nobody asks of a bulk load."""
        for fact in facts:
            self._file(fact)

    def _file(self, fact: Fact) -> tuple[_Shared, ...]:
        """Index ``fact`` and let the rules that keep their own tallies record it; the
        rules it concerns (none for a fact seen before, a renewal or an acceleration)."""
        if fact.record_id in self._seen:
            return ()
        self._seen.add(fact.record_id)
        self._epoch += 1
        self._everyone.learn(fact.author)
        self._index.add(fact)
        if isinstance(fact, Renewal | Acceleration):
            self._scope_fact(fact)
            return ()
        if isinstance(fact, Share | Exchange):
            self._ledger.add(fact)
        handlers = self._handlers_of(fact)
        for shared in handlers:
            if shared.records:
                shared.rule.record(fact)
        return handlers

    def _handlers_of(self, fact: Fact) -> tuple[_Shared, ...]:
        route = (type(fact), getattr(fact, "kind", None))
        handlers = self._handlers.get(route)
        if handlers is None:
            wanted = {id(s) for s in self._routes.get((route[0], None), ())}
            wanted |= {id(s) for s in self._routes.get(route, ())}
            shared = self._shared.values()
            handlers = self._handlers[route] = tuple(s for s in shared if id(s) in wanted)
        return handlers

    def _scope_fact(self, fact: Renewal | Acceleration) -> None:
        force = self._forces.get(fact.agreement)
        if force is None or fact.author not in self._parties[fact.agreement]:
            return
        if isinstance(fact, Renewal):
            force.renew(fact)
        else:
            force.accelerate(fact)

    def verdicts(
        self, now: datetime, *, agreement: str | None = None, participant: str | None = None
    ) -> list[Verdict]:
        """Every duty that applies, judged at ``now``, by agreement and obligation in the
        order given; within one obligation in the order its rule enumerates them, which
        the facts and their order decide (sort for display)."""
        names = [self._agreement(agreement).name] if agreement is not None else None
        cached = self._cached[1] if self._cached[0] == (self._epoch, now) else None
        if cached is not None:
            every = [v for name in names or cached for v in cached[name]]
            return (
                every if participant is None else [v for v in every if v.participant == participant]
            )
        judged = self._judge(now, names, participant)
        if names is None and participant is None:
            self._cached = ((self._epoch, now), judged)
        return [v for held in judged.values() for v in held]

    def _judge(
        self, now: datetime, names: list[str] | None, participant: str | None
    ) -> dict[str, list[Verdict]]:
        """Verdicts by agreement; each shared rule enumerates its duties once."""
        duties: dict[int, list[Duty]] = {}
        judged: dict[str, list[Verdict]] = {name: [] for name in names or self._forces}
        for bound in self._bound:
            if bound.agreement.name in judged:
                held = duties.get(id(bound.rule))
                if held is None:
                    held = duties[id(bound.rule)] = list(bound.rule.duties(now, participant))
                judged[bound.agreement.name] += bound.verdicts(held, now, participant)
        return judged

    def _judged(self, now: datetime) -> dict[str, list[Verdict]]:
        self.verdicts(now)
        return self._cached[1]

    def verdict(self, key: DutyKey, now: datetime) -> Verdict | None:
        """The verdict on one duty at ``now`` (a key ``add`` returned, say); None when
        there is no such duty, or it does not apply."""
        bound = self._by_name.get((key.agreement, key.obligation))
        duty = bound.rule.duty(key.participant, key.subject, now) if bound else None
        if bound is None or duty is None or not bound.applies(duty):
            return None
        return judge(bound.agreement, bound.obligation, duty, now)

    def check(self, fact: Fact, now: datetime) -> list[Flag]:
        """Add ``fact`` (once, as ``add`` does) and say what it shows broken: each late or
        missed duty it touches, and each it fulfils incompletely, with the obligation and
        the reason. The fact stays accepted either way."""
        self.add(fact)
        if isinstance(fact, Renewal | Acceleration):
            return []
        flags = []
        for shared in self._handlers_of(fact):
            for participant, subject in sorted(set(shared.rule.affected(fact))):
                duty = shared.rule.duty(participant, subject, now)
                if duty is None:
                    continue
                raised = (self._flag(fact.record_id, b, duty, now) for b in shared.bounds)
                flags += [f for f in raised if f is not None]
        return flags

    def _flag(self, record_id: str, bound: _Bound, duty: Duty, now: datetime) -> Flag | None:
        if not bound.applies(duty):
            return None
        verdict = judge(bound.agreement, bound.obligation, duty, now)
        return flag(record_id, bound.obligation, duty, verdict)

    def series(
        self, now: datetime, agreement: str, participant: str, period: str = "month"
    ) -> list[PeriodCounts]:
        """``participant``'s verdicts under ``agreement`` counted by status in every
        ``period`` (month, quarter or year) from the agreement's start to ``now``."""
        if period not in PERIOD_KINDS:
            problem = Problem("period", "UNKNOWN_VALUE", "one of " + ", ".join(PERIOD_KINDS))
            raise InvalidInputError("unknown period", [problem])
        found = self.verdicts(now, agreement=agreement, participant=participant)
        return series(found, midnight(self._agreement(agreement).starts), now, period)

    def reciprocity(self, now: datetime) -> list[ReciprocityRow]:
        return self._ledger.rows(now, self._everyone.members())

    def recommendations(self, now: datetime) -> list[Recommendation]:
        judged = self._judged(now)
        found = (recommend(f, judged[n], now) for n, f in self._forces.items())
        return [r for r in found if r is not None]

    def concerns(self, now: datetime) -> list[Concern]:
        judged = self._judged(now)
        return [c for n, f in self._forces.items() for c in concerns(f, judged[n], now)]

    def calendar(self, now: datetime, horizon_days: int) -> list[CalendarEntry]:
        return calendar(self._forces.values(), now, horizon_days)

    def agreements(self) -> Iterator[Agreement]:
        return (force.agreement for force in self._forces.values())

    def _agreement(self, name: str) -> Agreement:
        force = self._forces.get(name)
        if force is None:
            raise NotFoundError(f"no agreement {name!r}")
        return force.agreement


def _check_names(agreements: Sequence[Agreement]) -> None:
    seen: set[str] = set()
    problems = []
    for i, agreement in enumerate(agreements):
        if agreement.name in seen:
            problems.append(Problem(f"/{i}/name", "DUPLICATE_NAME", f"{agreement.name} twice"))
        seen.add(agreement.name)
    if problems:
        raise InvalidInputError("agreement names must be distinct", problems)
