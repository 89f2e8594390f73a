"""Prior notification of military activities (Vienna Document chapter V and the like).

An activity of a listed kind that reaches ANY threshold must be notified ``lead_days``
before it starts; kinds in ``exempt_kinds_lead_days`` have their own lead (an alert
activity, carried out without warning to the troops, is notified when it starts: 0).

Duties, all owed by the state conducting the activity:

* one per notified activity ("activity/<activity id>"): met when the first notice came
  at least the lead before the start the latest notice gives, late by the shortfall
  otherwise, not-applicable when the activity is below every threshold;
* one per activity another party reports observing ("observed/<record id>") that reaches
  a threshold and overlaps no notice of the conductor, of any kind: missed once its due
  time (the start less the lead) has passed.

A notice that is on time but names no area, or is addressed to only some parties, is
accepted: the verdict keeps its timing and the defect is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from accord.domain.agreements.activities import (
    Activity,
    at_or_above,
    describe_forces,
    thresholds,
)
from accord.domain.agreements.duties import Duty, Status
from accord.domain.agreements.facts import ACTIVITY_KINDS, Fact, Forces, Notification, Observed
from accord.domain.agreements.periods import describe
from accord.domain.agreements.rules.base import Affected, Rule, rule_type, subject_id
from accord.domain.agreements.schema import (
    Choice,
    ListOf,
    Number,
    NumberMap,
    Params,
    declare,
    pointer,
)
from accord.domain.agreements.scope import Scope
from accord.errors import Problem

ACTIVITY = "activity/"
OBSERVED = "observed/"
_DAYS = Number(0, 366)


def threshold_map(*, required: bool = True) -> NumberMap:
    return NumberMap(Forces.CATEGORIES, Number(1), required=required)


@rule_type("prior-notification")
class PriorNotification(Rule):
    fields = declare(
        activities=ListOf(Choice(ACTIVITY_KINDS)),
        thresholds=threshold_map(),
        lead_days=_DAYS,
        exempt_kinds_lead_days=NumberMap(ACTIVITY_KINDS, _DAYS, required=False),
    )
    consumes = (Notification, Observed)

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._kinds = frozenset(params.texts("activities"))
        self._limits = thresholds(params.figures("thresholds"))
        exempt = params.figures("exempt_kinds_lead_days")
        lead = params.number("lead_days")
        self._leads = {
            kind: timedelta(days=exempt[kind].number if kind in exempt else lead)
            for kind in self._kinds
        }

    @classmethod
    def check_params(cls, params: Params, at: str, problems: list[Problem]) -> None:
        kinds = params.texts("activities")
        problems += [
            Problem(
                pointer(at, "exempt_kinds_lead_days", kind),
                "UNUSED_EXEMPTION",
                f"{kind} is not among the activities this obligation covers",
            )
            for kind in params.figures("exempt_kinds_lead_days")
            if kinds and kind not in kinds
        ]

    def routes(self) -> Iterable[tuple[type[Fact], str | None]]:
        # Notices of every kind: any of them can account for an observed activity.
        return [(Notification, None), *((Observed, kind) for kind in sorted(self._kinds))]

    def affected(self, fact: Fact) -> Affected:
        if isinstance(fact, Observed):
            return [(fact.conducted_by, OBSERVED + fact.record_id)]
        if not isinstance(fact, Notification):
            return []
        activity = self.scope.index.activities.get(fact.author, fact.activity_id)
        notices = activity.notices if activity is not None else [fact]
        keys = []
        if any(n.kind in self._kinds for n in notices):
            keys.append((fact.author, ACTIVITY + fact.activity_id))
        index = self.scope.index
        for notice in notices:
            for seen in index.observed_overlapping(fact.author, notice.start, notice.end):
                keys.append((fact.author, OBSERVED + seen.record_id))
        return keys

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        book = self.scope.index.activities
        activities = book.all() if participant is None else book.of(participant)
        for activity in activities:
            if (duty := self._notified(activity)) is not None:
                yield duty
        observed = self.scope.index.observed
        for conductor in observed if participant is None else (participant,):
            for fact in observed.get(conductor, ()):
                if (duty := self._observed(fact)) is not None:
                    yield duty

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        if (activity_id := subject_id(subject, ACTIVITY)) is not None:
            activity = self.scope.index.activities.get(participant, activity_id)
            return self._notified(activity) if activity is not None else None
        fact = self.scope.index.observed_by_id.get(subject_id(subject, OBSERVED) or "")
        if fact is None or fact.conducted_by != participant:
            return None
        return self._observed(fact)

    def _notified(self, activity: Activity) -> Duty | None:
        notice, first = activity.latest, activity.first.at
        if notice.kind not in self._kinds:
            return None
        lead = self._leads[notice.kind]
        duty = Duty(
            participant=activity.conductor,
            subject=ACTIVITY + activity.activity_id,
            arose_at=notice.start,
            due=notice.start - lead,
            done_at=first,
            evidence=activity.evidence,
            detail=_timing(first, notice.start, lead),
            defects=self._defects(notice),
        )
        if at_or_above(notice.forces, self._limits):
            return duty
        below = "below every threshold: " + describe_forces(notice.forces)
        return duty._replace(fixed=Status.NOT_APPLICABLE, detail=below, defects=())

    def _observed(self, fact: Observed) -> Duty | None:
        conductor = fact.conducted_by
        if fact.author == conductor or fact.kind not in self._kinds:
            return None
        if not at_or_above(fact.forces, self._limits):
            return None
        if self.scope.index.activities.overlapping(conductor, fact.start, fact.end, ordered=False):
            return None
        return Duty(
            participant=conductor,
            subject=OBSERVED + fact.record_id,
            arose_at=fact.start,
            due=fact.start - self._leads[fact.kind],
            evidence=(fact.record_id,),
            detail=(
                f"{fact.author} observed {fact.kind} ({describe_forces(fact.forces)}) from "
                f"{fact.start:%Y-%m-%d} to {fact.end:%Y-%m-%d}; no notice by {conductor} "
                "covers those dates"
            ),
        )

    def _defects(self, notice: Notification) -> tuple[str, ...]:
        defects = []
        if not notice.area.strip():
            defects.append("no area given")
        if notice.to:
            missing = set(self.scope.parties.members()) - set(notice.to) - {notice.author}
            if missing:
                defects.append("not addressed to " + ", ".join(sorted(missing)))
        return tuple(defects)


def _timing(first: datetime, start: datetime, lead: timedelta) -> str:
    ahead = start - first
    when = f"{describe(ahead)} before" if ahead >= timedelta(0) else f"{describe(-ahead)} after"
    if not ahead:
        when = "at"
    required = "at the start" if not lead else f"{describe(lead)} ahead"
    return f"first notified {when} the start; required {required}"
