"""Military activities as their conductors notified them, indexed by day and by year.

A state may file several notices for one activity (the first, then amendments); the
activity is what the latest notice says, and it was notified when the first was filed.
Rules ask "which activities of this state overlap these dates" (an observation, activities
under way at once) and "which started in this year" (annual limits); the day index answers
the first without scanning every activity the state ever held.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from accord.domain.agreements.facts import Forces, Notification
from accord.domain.agreements.schema import Figure

# Activities longer than this are kept aside and checked on every overlap query instead
# of being entered under each of their days: a mistyped end year must not cost millions.
LONG = timedelta(days=62)

Thresholds = tuple[tuple[str, int], ...]


def thresholds(figures: Mapping[str, Figure]) -> Thresholds:
    return tuple((category, figure.number) for category, figure in figures.items())


def at_or_above(forces: Forces, limits: Thresholds) -> bool:
    """Any-of, as the notification thresholds are written: one category reaching its
    figure is enough."""
    return any(forces.get(category) >= figure for category, figure in limits)


def above(forces: Forces, limits: Thresholds) -> bool:
    """Any-of and strictly more, as the constraining provisions are written ("more than
    40,000 troops")."""
    return any(forces.get(category) > figure for category, figure in limits)


def describe_forces(forces: Forces) -> str:
    named = [
        f"{forces.get(category):,} {category.replace('_', ' ')}"
        for category in Forces.CATEGORIES
        if forces.get(category)
    ]
    return ", ".join(named) or "no forces"


def _order(notice: Notification) -> tuple[datetime, str]:
    return notice.at, notice.record_id


@dataclass(slots=True)
class Activity:
    conductor: str
    activity_id: str
    notices: list[Notification]  # by filing time
    first: Notification  # notices[0] and notices[-1], kept as fields: rules read them often
    latest: Notification

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(notice.record_id for notice in self.notices)


class ActivityBook:
    """Every notified activity, by conductor and activity id, by day and by start year."""

    def __init__(self) -> None:
        self._activities: dict[str, dict[str, Activity]] = {}
        self._days: dict[tuple[str, date], set[str]] = {}
        self._long: dict[str, set[str]] = {}
        self._years: dict[tuple[str, int], set[str]] = {}

    def add(self, notice: Notification) -> Activity:
        held = self._activities.setdefault(notice.author, {})
        activity = held.get(notice.activity_id)
        if activity is None:
            activity = held[notice.activity_id] = Activity(
                notice.author, notice.activity_id, [notice], notice, notice
            )
            self._file(notice, discard=False)
            return activity
        before = activity.latest
        insort(activity.notices, notice, key=_order)
        activity.first, activity.latest = activity.notices[0], activity.notices[-1]
        if before is not activity.latest:
            self._file(before, discard=True)
            self._file(activity.latest, discard=False)
        return activity

    def _file(self, notice: Notification, *, discard: bool) -> None:
        keys: list[set[str]] = [self._years.setdefault((notice.author, notice.start.year), set())]
        if notice.end - notice.start > LONG:
            keys.append(self._long.setdefault(notice.author, set()))
        else:
            days = days_of(notice.start, notice.end)
            keys += [self._days.setdefault((notice.author, d), set()) for d in days]
        for ids in keys:
            (ids.discard if discard else ids.add)(notice.activity_id)

    def get(self, conductor: str, activity_id: str) -> Activity | None:
        return self._activities.get(conductor, {}).get(activity_id)

    def of(self, conductor: str) -> Iterable[Activity]:
        return self._activities.get(conductor, {}).values()

    def all(self) -> Iterator[Activity]:
        for held in self._activities.values():
            yield from held.values()

    def years(self) -> Iterator[tuple[str, int]]:
        """(conductor, year) for every year in which some activity of theirs starts."""
        return (key for key, ids in self._years.items() if ids)

    def in_year(self, conductor: str, year: int, *, ordered: bool = True) -> list[Activity]:
        """The conductor's activities starting in ``year``, in start order unless
        ``ordered`` is false."""
        held = self._activities.get(conductor, {})
        found = [held[i] for i in self._years.get((conductor, year), ())]
        return _by_start(found) if ordered else found

    def overlapping(
        self, conductor: str, start: datetime, end: datetime, *, ordered: bool = True
    ) -> list[Activity]:
        """The conductor's activities whose dates meet [start, end], in start order
        unless ``ordered`` is false."""
        if end - start > LONG:
            ids: set[str] = set(self._activities.get(conductor, {}))
        else:
            ids = set(self._long.get(conductor, ()))
            for day in days_of(start, end):
                ids.update(self._days.get((conductor, day), ()))
        held = self._activities.get(conductor, {})
        found = [
            a for a in map(held.__getitem__, ids) if a.latest.start <= end and start <= a.latest.end
        ]
        return _by_start(found) if ordered else found


def _by_start(activities: list[Activity]) -> list[Activity]:
    return sorted(activities, key=lambda a: (a.latest.start, a.activity_id))


def days_of(start: datetime, end: datetime) -> tuple[date, ...]:
    """The days [start, end] touches (just the first when it ends before it starts)."""
    return _days(start.date(), max(start, end).date())


@lru_cache(maxsize=4096)
def _days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
