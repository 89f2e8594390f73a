"""What participants file under agreements, in JSON, and the facts it becomes.

A filing is judged twice. Its *shape* here: a value of the wrong type, an unknown key or a
missing identifying field (what would make it no statement at all) is refused, every
problem named at once. Its *substance* by the compliance engine: a notification filed late
is still filed — a fact the log must keep — and comes back flagged with the obligation it
breaks. Fields a complete notification has but this one lacks (the area, the end, the
forces) are flagged as incomplete here, not refused, for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from accord.domain.agreements.facts import (
    ACTIVITY_KINDS,
    REQUEST_KINDS,
    Acceleration,
    Exchange,
    Fact,
    Forces,
    Notification,
    Observed,
    Participation,
    Renewal,
    Reply,
    Request,
    Share,
)
from accord.domain.agreements.periods import midnight
from accord.domain.bounds import INSTANT_RANGE, as_utc
from accord.errors import InvalidInputError, Problem

FILING_RECORD_PREFIX = "filing."
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Incomplete:
    """A field a complete filing of this kind carries, missing from this one."""

    field: str
    message: str


class _Reader:
    """Reads one filing's fields, collecting every problem rather than stopping at one."""

    def __init__(self, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
        self.data = data
        self.problems: list[Problem] = []
        self.incomplete: list[Incomplete] = []
        unknown = data.keys() - allowed
        if unknown:
            self.problems += [
                Problem(f"/{key}", "UNKNOWN_FIELD", f"no field {key!r}")
                for key in data
                if key in unknown
            ]

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self._missing(key)
            return default
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            self._bad(key, f"must be a non-empty string of at most {MAX_TEXT} characters")
            return default
        return value.strip()

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value and value not in choices:
            self._bad(key, f"must be one of {', '.join(choices)}")
        return value

    def codes(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self._bad(key, "must be a list of participant codes")
            return ()
        return tuple(sorted(set(value)))

    def instant(self, key: str, *, required: bool = True) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self._missing(key)
            return None
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self._bad(key, "must be an ISO 8601 date-time with its UTC offset")
            return None
        if parsed.tzinfo is None:
            self._bad(key, "must carry its UTC offset (e.g. 2026-05-01T06:00:00+00:00)")
            return None
        return self._within_range(key, as_utc(parsed))

    def _within_range(self, key: str, utc: datetime | None) -> datetime | None:
        if utc is None:
            self.problems.append(
                Problem(f"/{key}", "DATE_OUT_OF_RANGE", f"{key} must fall within {INSTANT_RANGE}")
            )
        return utc

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            self._missing(key)
            return None
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            self._bad(key, "must be an ISO 8601 date (YYYY-MM-DD)")
            return None
        return day if self._within_range(key, as_utc(midnight(day))) else None

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.data.get(key)
        if value is None:
            self._missing(key)
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self._bad(key, f"must be a whole number from {low} to {high}")
            return 0
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None:
            self._missing(key)
            return False
        if not isinstance(value, bool):
            self._bad(key, "must be true or false")
            return False
        return value

    def forces(self, key: str = "forces") -> Forces:
        value = self.data.get(key)
        if value is None:
            self.incomplete.append(
                Incomplete(key, f"no forces given: the {self.data.get('kind')} is incomplete")
            )
            return Forces()
        if not isinstance(value, dict):
            self._bad(key, "must be an object of counts by category")
            return Forces()
        counts: dict[str, int] = {}
        for category, count in value.items():
            if category not in Forces.CATEGORIES:
                known = ", ".join(Forces.CATEGORIES)
                self.problems.append(
                    Problem(f"/{key}/{category}", "UNKNOWN_FIELD", f"categories are {known}")
                )
            elif isinstance(count, bool) or not isinstance(count, int) or count < 0:
                self.problems.append(
                    Problem(f"/{key}/{category}", "INVALID_VALUE", "must be a count, 0 or more")
                )
            else:
                counts[category] = count
        return Forces(**counts)

    def _missing(self, key: str) -> None:
        self.problems.append(Problem(f"/{key}", "MISSING_FIELD", f"{key} is required"))

    def _bad(self, key: str, message: str) -> None:
        self.problems.append(Problem(f"/{key}", "INVALID_VALUE", f"{key} {message}"))


Parsed = tuple[Fact, list[Incomplete]]
_Parser = Callable[[_Reader, str, str, datetime], Fact]
_PARSERS: dict[str, tuple[frozenset[str], _Parser]] = {}


def _filing(kind: str, fields: set[str]) -> Callable[[_Parser], _Parser]:
    def register(parser: _Parser) -> _Parser:
        _PARSERS[kind] = (frozenset(fields | {"kind"}), parser)
        return parser

    return register


FILING_KINDS = (
    "notification",
    "observation",
    "request",
    "reply",
    "exchange",
    "share",
    "participation",
    "renewal",
    "acceleration",
)


def parse_filing(data: object, record_id: str, author: str, at: datetime) -> Parsed:
    """The fact a filing states, and what it lacks to be complete; ``InvalidInputError``
    naming every problem when it is no valid filing at all."""
    if not isinstance(data, dict):
        raise InvalidInputError("a filing is a JSON object", [Problem("/", "INVALID_VALUE", "")])
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _PARSERS:  # a list or object is unhashable
        message = f"kind must be one of {', '.join(FILING_KINDS)}"
        raise InvalidInputError(
            "unknown kind of filing", [Problem("/kind", "INVALID_VALUE", message)]
        )
    fields, parser = _PARSERS[str(kind)]
    reader = _Reader(data, fields)
    fact = parser(reader, record_id, author, at)
    if reader.problems:
        raise InvalidInputError(f"the {kind} is not valid", reader.problems)
    return fact, reader.incomplete


@_filing(
    "notification",
    {"activity_id", "activity", "start", "end", "area", "forces", "to", "participants"},
)
def _notification(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    start = r.instant("start")
    end = r.instant("end", required=False)
    if end is None:
        r.incomplete.append(Incomplete("end", "no end date: the notification is incomplete"))
    area = r.text("area", required=False)
    if not area:
        r.incomplete.append(Incomplete("area", "no area: the notification is incomplete"))
    if start and end and end < start:
        r.problems.append(Problem("/end", "INVALID_VALUE", "end is before start"))
    return Notification(
        record_id,
        author,
        at,
        activity_id=r.text("activity_id"),
        kind=r.choice("activity", ACTIVITY_KINDS),
        start=start or at,
        end=end or start or at,
        area=area,
        forces=r.forces(),
        to=r.codes("to"),
        participants=r.codes("participants"),
    )


@_filing("observation", {"conducted_by", "activity", "start", "end", "area", "forces"})
def _observation(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    start = r.instant("start")
    end = r.instant("end", required=False)
    return Observed(
        record_id,
        author,
        at,
        conducted_by=r.text("conducted_by"),
        kind=r.choice("activity", ACTIVITY_KINDS),
        start=start or at,
        end=end or start or at,
        area=r.text("area", required=False),
        forces=r.forces(),
    )


@_filing("request", {"request", "to", "about"})
def _request(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    to = r.text("to")
    if to == author:
        r.problems.append(Problem("/to", "INVALID_VALUE", "a request goes to another party"))
    return Request(
        record_id,
        author,
        at,
        kind=r.choice("request", REQUEST_KINDS),
        to=to,
        about=r.text("about", required=False),
    )


@_filing("reply", {"request", "accepted", "reason"})
def _reply(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    return Reply(
        record_id,
        author,
        at,
        request_id=r.text("request"),
        accepted=r.flag("accepted"),
        reason=r.text("reason", required=False),
    )


@_filing("exchange", {"exchange", "period", "to"})
def _exchange(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    return Exchange(
        record_id,
        author,
        at,
        kind=r.text("exchange"),
        period=r.integer("period", 1990, 2200),
        to=r.codes("to"),
    )


@_filing("share", {"share", "to", "data"})
def _share(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    if "data" in r.data and not isinstance(r.data["data"], dict | list):
        r.problems.append(Problem("/data", "INVALID_VALUE", "data must be an object or a list"))
    return Share(record_id, author, at, kind=r.text("share"), to=r.codes("to"))


@_filing("participation", {"activity_id", "conducted_by"})
def _participation(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    return Participation(
        record_id,
        author,
        at,
        activity_id=r.text("activity_id"),
        conducted_by=r.text("conducted_by"),
    )


@_filing("renewal", {"agreement", "until"})
def _renewal(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    until = r.day("until")
    return Renewal(record_id, author, at, agreement=r.text("agreement"), until=until or at.date())


@_filing("acceleration", {"agreement", "tier", "until", "reason"})
def _acceleration(r: _Reader, record_id: str, author: str, at: datetime) -> Fact:
    until = r.instant("until")
    return Acceleration(
        record_id,
        author,
        at,
        agreement=r.text("agreement"),
        tier=r.integer("tier", 1, 20),
        until=until or at,
        reason=r.text("reason", required=False),
    )
