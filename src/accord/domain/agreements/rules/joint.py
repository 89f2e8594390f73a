"""Joint activities: each party takes part in at least ``per_year`` a calendar year.

A party takes part in an activity when it files a Participation naming it, or when it
conducts one whose notice names other participants. An activity counts in the year it
starts (by its notice; a Participation in an activity nobody notified counts when filed),
once, and only once it has started: a drill planned for December does not meet the duty
in June. With ``activities`` listed, only notified activities of those kinds count.

Duties: one per party and year from the agreement's start, subject "2026", due at the
year's end; done when the ``per_year``-th activity started.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from accord.domain.agreements.activities import Activity
from accord.domain.agreements.duties import Duty
from accord.domain.agreements.facts import ACTIVITY_KINDS, Fact, Notification, Participation
from accord.domain.agreements.periods import midnight, period_of
from accord.domain.agreements.rules.base import Affected, Rule, rule_type
from accord.domain.agreements.schema import Choice, ListOf, Number, Params, declare
from accord.domain.agreements.scope import Scope

# (conductor, activity id) -> (when it counts, the record showing it)
Joint = dict[tuple[str, str], tuple[datetime, str]]
_NEVER = (datetime.max.replace(tzinfo=UTC), "")


@rule_type("joint-exercise")
class JointExercise(Rule):
    fields = declare(
        per_year=Number(1, 366),
        activities=ListOf(Choice(ACTIVITY_KINDS), required=False),
    )
    consumes = (Participation, Notification)

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._needed = params.number("per_year")
        self._kinds: tuple[str | None, ...] = params.texts("activities")

    def affected(self, fact: Fact) -> Affected:
        index = self.scope.index
        if isinstance(fact, Participation):
            activity = index.activities.get(fact.conducted_by, fact.activity_id)
            starts = [n.start.year for n in activity.notices] if activity else []
            return {(fact.author, str(year)) for year in (fact.at.year, *starts)}
        if not isinstance(fact, Notification):
            return []
        activity = index.activities.get(fact.author, fact.activity_id)
        notices = activity.notices if activity is not None else [fact]
        keys = {(fact.author, str(n.start.year)) for n in notices if n.participants}
        for taking in index.taking_part.get((fact.author, fact.activity_id), ()):
            years = {taking.at.year, *(n.start.year for n in notices)}
            keys |= {(taking.author, str(year)) for year in years}
        return keys

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        parties = self.scope.parties
        for party in parties.members() if participant is None else (participant,):
            for year in range(self.scope.starts.year, now.year + 1):
                yield self._duty(party, year, now)

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        year = int(subject) if subject.isdigit() and len(subject) == 4 else 0
        return self._duty(participant, year, now) if 0 < year < 9999 else None

    def _joint(self, party: str, year: int, now: datetime) -> Joint:
        """Every joint activity of ``party`` counted in ``year`` that had started by ``now``."""
        index = self.scope.index
        joint: Joint = {}
        for activity in index.activities.in_year(party, year, ordered=False):
            if activity.latest.participants and self._counts(activity):
                notice = activity.latest
                joint[(party, activity.activity_id)] = (notice.start, notice.record_id)
        by_kind = index.participations_in.get((party, year), {})
        for kind in self._kinds or list(by_kind):
            for at, taking in by_kind.get(kind, {}).values():
                key = (taking.conducted_by, taking.activity_id)
                if taking.conducted_by != party and (at, taking.record_id) < joint.get(key, _NEVER):
                    joint[key] = (at, taking.record_id)
        return {key: value for key, value in joint.items() if value[0] <= now}

    def _counts(self, activity: Activity) -> bool:
        return not self._kinds or activity.latest.kind in self._kinds

    def _duty(self, party: str, year: int, now: datetime) -> Duty:
        span = period_of(midnight(date(year, 1, 1)), "year")
        held = sorted(self._joint(party, year, now).values())
        done = held[self._needed - 1][0] if len(held) >= self._needed else None
        return Duty(
            participant=party,
            subject=str(year),
            arose_at=span.start,
            due=span.end,
            done_at=done,
            evidence=tuple(record_id for _, record_id in held),
            detail=f"{len(held)} joint activities in {year}; {self._needed} required",
        )
