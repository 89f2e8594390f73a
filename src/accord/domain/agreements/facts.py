"""The facts compliance is judged on: what participants filed, as the records say it.

Each fact is read from one signed record (``record_id``) written by one participant
(``author``) at one time (``at``: the record's signed creation time). The engine never
sees records themselves, only these, so it can be tested and benchmarked without a log.
Activity kinds and force categories follow the Vienna Document's notification forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

# Kinds of military activity a notification or an observation can name.
ACTIVITY_KINDS = (
    "exercise",  # field training exercise or activity of land forces
    "concentration",  # a concentration or transfer of forces
    "amphibious-landing",
    "parachute-assault",
    "air-activity",  # air force participation counted in sorties
    "alert-activity",  # carried out without advance notice to the troops
    "disaster-response-drill",  # joint civil-military drills of the regional ladder
)
REQUEST_KINDS = ("inspection", "evaluation-visit", "consultation", "observation-visit")


@dataclass(frozen=True, slots=True)
class Forces:
    """Forces involved, by the categories thresholds are written in."""

    personnel: int = 0
    battle_tanks: int = 0
    armoured_combat_vehicles: int = 0
    artillery: int = 0  # self-propelled and towed pieces, mortars and MRL of 100 mm and more
    aircraft_sorties: int = 0

    CATEGORIES: ClassVar[tuple[str, ...]] = (
        "personnel",
        "battle_tanks",
        "armoured_combat_vehicles",
        "artillery",
        "aircraft_sorties",
    )

    def get(self, category: str) -> int:
        value: int = getattr(self, category)
        return value


@dataclass(frozen=True, slots=True)
class Fact:
    record_id: str
    author: str  # the participant that filed it
    at: datetime  # its signed creation time (UTC)


@dataclass(frozen=True, slots=True)
class Notification(Fact):
    """Prior notification of a military activity by the state conducting it."""

    activity_id: str  # the notifier's name for the activity; later notices may amend it
    kind: str
    start: datetime
    end: datetime
    area: str
    forces: Forces
    to: tuple[str, ...] = ()  # recipients; empty: every party
    participants: tuple[str, ...] = ()  # other states taking part (joint exercises)


@dataclass(frozen=True, slots=True)
class Observed(Fact):
    """An activity reported by someone other than the state conducting it (an observer,
    an inspection report, a neighbour's early warning): what was seen, not what was said."""

    conducted_by: str
    kind: str
    start: datetime
    end: datetime
    area: str
    forces: Forces


@dataclass(frozen=True, slots=True)
class Request(Fact):
    """A request to another party: inspection, evaluation or observation visit, or
    consultation about an unusual activity. Its ``record_id`` is what replies name."""

    kind: str
    to: str
    about: str = ""


@dataclass(frozen=True, slots=True)
class Reply(Fact):
    request_id: str  # the record id of the request
    accepted: bool
    reason: str = ""  # why refused: "quota-filled", "force-majeure", or free text


@dataclass(frozen=True, slots=True)
class Exchange(Fact):
    """A periodic exchange of information (annual military information, calendars of
    activities, defence planning) for ``period`` (the year it describes)."""

    kind: str
    period: int
    to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Share(Fact):
    """Shared observations: weather, hazard or disease-surveillance data."""

    kind: str
    to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Participation(Fact):
    """The author took part in a joint activity another state notified."""

    activity_id: str
    conducted_by: str


@dataclass(frozen=True, slots=True)
class AlertIssued(Fact):
    """An early-warning alert (CAP) the author issued, and to whom."""

    urgency: str
    severity: str
    audience: tuple[str, ...] = ()  # empty: every party


@dataclass(frozen=True, slots=True)
class Acknowledged(Fact):
    alert_id: str  # the record id of the alert


@dataclass(frozen=True, slots=True)
class Renewal(Fact):
    """Parties renew an agreement before its sunset: it runs on until ``until``."""

    agreement: str
    until: date


@dataclass(frozen=True, slots=True)
class Acceleration(Fact):
    """A party invokes an agreement's emergency clause: obligations of ``tier`` apply at
    once, until ``until``."""

    agreement: str
    tier: int
    until: datetime
    reason: str = ""
