"""A subscription's filter: which alerts a desk wants, as data that validates itself.

Every field is optional and an empty one means "any". The JSON form is what the API
takes and what is stored; ``filter_from_json`` reports every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from accord.domain.alerts.cap import CATEGORIES, CERTAINTIES, MSG_TYPES, SEVERITIES, URGENCIES
from accord.domain.geometry import jurisdiction_problems
from accord.domain.sharing import Tlp
from accord.errors import InvalidInputError, Problem

_FIELDS = (
    "categories",
    "events",
    "event_codes",
    "min_urgency",
    "min_severity",
    "min_certainty",
    "senders",
    "msg_types",
    "tlp_ceiling",
    "area",
    "geocodes",
    "exercises",
    "include_unlocated",
)
_MAX_ITEMS = 500


@dataclass(frozen=True, slots=True)
class Filter:
    categories: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()  # casefolded
    event_codes: frozenset[tuple[str, str]] = frozenset()
    min_urgency: str | None = None
    min_severity: str | None = None
    min_certainty: str | None = None
    senders: frozenset[str] = frozenset()
    msg_types: frozenset[str] = frozenset()  # empty: Alert, Update and Cancel
    tlp_ceiling: Tlp = Tlp.RED
    area: BaseGeometry | None = field(default=None, compare=False)
    geocodes: frozenset[tuple[str, str]] = frozenset()
    exercises: bool = False
    include_unlocated: bool = False

    @property
    def area_wkb(self) -> bytes | None:
        """The area compared by value (geometries compare by identity)."""
        return self.area.wkb if self.area is not None else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Filter):
            return NotImplemented
        return _key(self) == _key(other)

    def __hash__(self) -> int:
        return hash(_key(self))


def _key(f: Filter) -> tuple[Any, ...]:
    return (
        f.categories,
        f.events,
        f.event_codes,
        f.min_urgency,
        f.min_severity,
        f.min_certainty,
        f.senders,
        f.msg_types,
        f.tlp_ceiling,
        f.area_wkb,
        f.geocodes,
        f.exercises,
        f.include_unlocated,
    )


def filter_from_json(data: object, location: str = "filter") -> Filter:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInputError(
            "the filter is not valid", [Problem(location, "INVALID_FILTER", "must be an object")]
        )
    problems: list[Problem] = [
        Problem(f"{location}.{key}", "UNKNOWN_FIELD", f"unknown filter field {key!r}")
        for key in sorted(set(data) - set(_FIELDS))
    ]

    def at(name: str) -> str:
        return f"{location}.{name}"

    categories = _strings(data, "categories", at, problems, allowed=CATEGORIES)
    events = frozenset(e.casefold() for e in _strings(data, "events", at, problems))
    senders = _strings(data, "senders", at, problems)
    msg_types = _strings(data, "msg_types", at, problems, allowed=MSG_TYPES)
    event_codes = _pairs(data, "event_codes", at, problems)
    geocodes = _pairs(data, "geocodes", at, problems)
    min_urgency = _choice(data, "min_urgency", URGENCIES, at, problems)
    min_severity = _choice(data, "min_severity", SEVERITIES, at, problems)
    min_certainty = _choice(data, "min_certainty", CERTAINTIES, at, problems)
    ceiling = _choice(data, "tlp_ceiling", tuple(t.value for t in Tlp), at, problems)
    area = None
    if data.get("area") is not None:
        area_problems = jurisdiction_problems(data["area"], at("area"))
        problems += area_problems
        if not area_problems:
            area = shape(data["area"])
    flags = {}
    for name in ("exercises", "include_unlocated"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            problems.append(Problem(at(name), "INVALID_FLAG", f"{name} must be true or false"))
        flags[name] = value is True
    if problems:
        raise InvalidInputError("the filter is not valid", problems)
    return Filter(
        categories=categories,
        events=events,
        event_codes=event_codes,
        min_urgency=min_urgency,
        min_severity=min_severity,
        min_certainty=min_certainty,
        senders=senders,
        msg_types=msg_types,
        tlp_ceiling=Tlp(ceiling) if ceiling else Tlp.RED,
        area=area,
        geocodes=geocodes,
        exercises=flags["exercises"],
        include_unlocated=flags["include_unlocated"],
    )


def filter_to_json(f: Filter) -> dict[str, Any]:
    """The stored and shown form; ``filter_from_json`` reads it back to an equal filter."""
    out: dict[str, Any] = {}
    for name in ("categories", "events", "senders", "msg_types"):
        values = getattr(f, name)
        if values:
            out[name] = sorted(values)
    for name in ("event_codes", "geocodes"):
        pairs = getattr(f, name)
        if pairs:
            out[name] = [{"valueName": n, "value": v} for n, v in sorted(pairs)]
    for name in ("min_urgency", "min_severity", "min_certainty"):
        if getattr(f, name) is not None:
            out[name] = getattr(f, name)
    if f.tlp_ceiling is not Tlp.RED:
        out["tlp_ceiling"] = f.tlp_ceiling.value
    if f.area is not None:
        out["area"] = _plain(mapping(f.area))
    if f.exercises:
        out["exercises"] = True
    if f.include_unlocated:
        out["include_unlocated"] = True
    return out


def _plain(value: Any) -> Any:
    """GeoJSON from shapely uses tuples; stored JSON wants lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _strings(
    data: dict[str, Any],
    name: str,
    at: Any,
    problems: list[Problem],
    allowed: tuple[str, ...] | None = None,
) -> frozenset[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or len(value) > _MAX_ITEMS:
        problems.append(Problem(at(name), "INVALID_LIST", f"{name} must be a list of strings"))
        return frozenset()
    good = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > 500:
            problems.append(Problem(f"{at(name)}[{index}]", "INVALID_TEXT", "a non-empty string"))
        elif allowed is not None and item not in allowed:
            problems.append(
                Problem(
                    f"{at(name)}[{index}]",
                    "UNKNOWN_VALUE",
                    f"{item!r} is not one of {', '.join(allowed)}",
                )
            )
        else:
            good.append(item.strip())
    return frozenset(good)


def _pairs(
    data: dict[str, Any], name: str, at: Any, problems: list[Problem]
) -> frozenset[tuple[str, str]]:
    value = data.get(name, [])
    if not isinstance(value, list) or len(value) > _MAX_ITEMS:
        problems.append(Problem(at(name), "INVALID_LIST", f"{name} must be a list of pairs"))
        return frozenset()
    pairs = []
    for index, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or set(item) != {"valueName", "value"}
            or not all(isinstance(v, str) and v for v in item.values())
        ):
            problems.append(
                Problem(
                    f"{at(name)}[{index}]",
                    "INVALID_PAIR",
                    'each must be {"valueName": "...", "value": "..."}',
                )
            )
        else:
            pairs.append((item["valueName"], item["value"]))
    return frozenset(pairs)


def _choice(
    data: dict[str, Any], name: str, allowed: tuple[str, ...], at: Any, problems: list[Problem]
) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if value not in allowed:
        problems.append(
            Problem(at(name), "UNKNOWN_VALUE", f"{name} must be one of {', '.join(allowed)}")
        )
        return None
    return str(value)
