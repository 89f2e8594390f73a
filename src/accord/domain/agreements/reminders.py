"""Reminders of reviews and sunsets: which calendar dates the parties must be told of now.

A review that nobody prepares for is a review that does not happen, and a sunset that
arrives unannounced lapses an agreement by accident. So each review and sunset is
announced once, when it comes within the notice period, and each lapse once, when it
happens (or when the node first learns of it, within the notice period after). A
reminder's key — agreement, kind, date — is what makes it "once": whoever issues it
looks the key up before issuing it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from accord.domain.agreements.model import Agreement
from accord.domain.agreements.reports import CalendarEntry

ANNOUNCED = ("review", "sunset", "lapsed")

_WHAT = {
    "review": "Review of {title} due on {on}",
    "sunset": "{title} lapses on {on} unless the parties renew it",
    "lapsed": "{title} lapsed on {on}: it was not renewed",
}


@dataclass(frozen=True, slots=True)
class Reminder:
    agreement: str
    title: str
    kind: str  # one of ANNOUNCED
    on: date
    parties: tuple[str, ...] | None  # None: every participant

    @property
    def key(self) -> str:
        """Names the reminder among all others: a CAP identifier (no spaces or commas)."""
        return f"ACCORD-AGREEMENT-{self.agreement}-{self.kind}-{self.on:%Y%m%d}"

    @property
    def headline(self) -> str:
        return _WHAT[self.kind].format(title=self.title, on=self.on.isoformat())


def due_reminders(
    entries: Iterable[CalendarEntry],
    agreements: Mapping[str, Agreement],
    today: date,
    notice_days: int,
) -> list[Reminder]:
    """Reminders to announce on ``today``: reviews and sunsets at most ``notice_days``
    ahead, lapses at most ``notice_days`` behind (an older lapse is history, not news).
    ``notice_days`` of 0 announces nothing."""
    if notice_days <= 0:
        return []
    window = timedelta(days=notice_days)
    due = []
    for entry in entries:
        agreement = agreements.get(entry.agreement)
        if agreement is None or entry.kind not in ANNOUNCED:
            continue
        if entry.kind == "lapsed":
            timely = today - window <= entry.on <= today
        else:
            timely = today <= entry.on <= today + window
        if timely:
            due.append(
                Reminder(
                    agreement.name,
                    agreement.title,
                    entry.kind,
                    entry.on,
                    agreement.parties or None,
                )
            )
    return due
