"""Limits on how many large activities a state carries out (Vienna Document VIII (67)).

Counted: notified activities of the listed kinds (every kind when none are listed) whose
forces are MORE than ANY threshold, as the constraining provisions are worded. ``per``:

* "calendar-year": at most ``max_count`` starting in one year; one duty per state and
  year with such an activity, subject "2026";
* "3-calendar-years": at most ``max_count`` starting in any three consecutive calendar
  years; one duty per state and window ending in a year with such an activity, subject
  "2024-2026" (the window ending in the latest activity's year holds any breach);
* "simultaneous": at most ``max_count`` under way at once; one duty per counted activity,
  judged at its start, subject "activity/<activity id>".

A limit kept is met and a limit exceeded is missed, with every counted activity as
evidence. Activities seen but never notified are not counted: their missing notice is
already a missed duty under prior notification.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from accord.domain.agreements.activities import Activity, above, thresholds
from accord.domain.agreements.duties import Duty, Status
from accord.domain.agreements.facts import ACTIVITY_KINDS, Fact, Notification
from accord.domain.agreements.rules.base import Affected, Rule, rule_type, subject_id
from accord.domain.agreements.rules.notification import ACTIVITY, threshold_map
from accord.domain.agreements.schema import Choice, ListOf, Number, Params, declare
from accord.domain.agreements.scope import Scope

PER = ("calendar-year", "3-calendar-years", "simultaneous")


@rule_type("activity-limit")
class ActivityLimit(Rule):
    fields = declare(
        max_count=Number(0),
        thresholds=threshold_map(),
        per=Choice(PER),
        activities=ListOf(Choice(ACTIVITY_KINDS), required=False),
    )
    consumes = (Notification,)

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._max = params.number("max_count")
        self._limits = thresholds(params.figures("thresholds"))
        self._per = params.text("per")
        self._kinds = frozenset(params.texts("activities", ACTIVITY_KINDS))

    def affected(self, fact: Fact) -> Affected:
        if not isinstance(fact, Notification):
            return []
        book = self.scope.index.activities
        activity = book.get(fact.author, fact.activity_id)
        notices = activity.notices if activity is not None else [fact]
        if not any(n.kind in self._kinds and above(n.forces, self._limits) for n in notices):
            return []  # never counted: it changes no count
        if self._per == "simultaneous":
            # This activity, and those counted starting while it runs: it counts against them.
            found = [
                o
                for n in notices
                for o in book.overlapping(fact.author, n.start, n.end)
                if o.latest.start >= n.start and o.activity_id != fact.activity_id
            ]
            others = {ACTIVITY + o.activity_id for o in self._counted(found)}
            return {(fact.author, s) for s in (ACTIVITY + fact.activity_id, *others)}
        years = {n.start.year for n in notices}
        if self._per == "calendar-year":
            return {(fact.author, str(year)) for year in years}
        return {(fact.author, _window(year + k)) for year in years for k in range(3)}

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        book = self.scope.index.activities
        if self._per == "simultaneous":
            found = book.all() if participant is None else book.of(participant)
            duties = (self._running(a) for a in found)
        else:
            years = (k for k in book.years() if participant in (None, k[0]))
            duties = (self._years(conductor, year) for conductor, year in years)
        return (duty for duty in duties if duty is not None)

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        if self._per == "simultaneous":
            activity_id = subject_id(subject, ACTIVITY) or ""
            found = self.scope.index.activities.get(participant, activity_id)
            return self._running(found) if found is not None else None
        last = subject.rsplit("-", 1)[-1]
        if not last.isdigit():
            return None
        expected = _window(int(last)) if self._per == "3-calendar-years" else last
        return self._years(participant, int(last)) if subject == expected else None

    def _counted(self, activities: Iterable[Activity]) -> list[Activity]:
        return [
            a
            for a in activities
            if a.latest.kind in self._kinds and above(a.latest.forces, self._limits)
        ]

    def _years(self, conductor: str, year: int) -> Duty | None:
        book = self.scope.index.activities
        counted = self._counted(book.in_year(conductor, year))
        if not counted:
            return None  # a window ending here repeats an earlier one, or is empty
        if self._per == "calendar-year":
            return self._judge(conductor, str(year), counted)
        span = [a for y in range(year - 2, year) for a in book.in_year(conductor, y)]
        return self._judge(conductor, _window(year), self._counted(span) + counted)

    def _running(self, activity: Activity) -> Duty | None:
        if not self._counted([activity]):
            return None
        start = activity.latest.start
        running = self._counted(
            self.scope.index.activities.overlapping(activity.conductor, start, start)
        )
        return self._judge(activity.conductor, ACTIVITY + activity.activity_id, running, start)

    def _judge(
        self, conductor: str, subject: str, counted: list[Activity], at: datetime | None = None
    ) -> Duty:
        breach = len(counted) > self._max
        # It arose with the activity that broke the limit, or with the first one counted.
        arose = at or counted[self._max if breach else 0].latest.start
        when = f"under way on {arose:%Y-%m-%d}" if at else f"starting in {subject}"
        return Duty(
            participant=conductor,
            subject=subject,
            arose_at=arose,
            due=arose if breach else None,
            evidence=tuple(a.latest.record_id for a in counted),
            detail=f"{len(counted)} activities above the thresholds {when}; at most {self._max}",
            fixed=Status.MISSED if breach else Status.MET,
        )


def _window(last_year: int) -> str:
    return f"{last_year - 2}-{last_year}"
