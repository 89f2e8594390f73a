"""A subscription's filter: which alerts a desk wants, as data that validates itself.

Every field is optional and an empty one means "any". The JSON form is what the API takes
and what is stored; ``filter_from_json`` reports every problem at once (one
``InvalidInputError``), and ``filter_to_json`` writes the canonical form back, so
``filter_from_json(filter_to_json(f)) == f``. Problem locations read ``filter.min_urgency``
and ``filter.categories[2]`` under the ``location`` the caller names.

Build filters with ``filter_from_json``: it normalises what matching relies on (events
through ``event_key``, trimmed strings). A ``Filter`` built by hand must do the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from accord.domain.alerts.cap import CATEGORIES, CERTAINTIES, MSG_TYPES, SEVERITIES, URGENCIES
from accord.domain.geometry import jurisdiction_problems
from accord.domain.sharing import Tlp
from accord.errors import InvalidInputError, Problem

# What an empty ``msg_types`` admits: the messages that carry or change a warning. Ack and
# Error are answers between systems; a desk sees them only if it names them.
DEFAULT_MSG_TYPES = frozenset({"Alert", "Update", "Cancel"})

FIELDS = (
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
MAX_ITEMS = 500  # per list: a filter is a desk's interest, not a gazetteer
MAX_TEXT = 500

_Where = Callable[[str], str]


def event_key(text: str) -> str:
    """How event texts compare: without regard to case or to runs of whitespace, so that
    "Flood warning" in a filter finds " FLOOD  Warning" in an alert. Idempotent."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class Filter:
    """One desk's interest. Geometries compare by identity in shapely, so equality and
    hashing use the area's WKB (equal coordinates in equal order)."""

    categories: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()  # normalised by ``event_key``
    event_codes: frozenset[tuple[str, str]] = frozenset()  # (valueName, value)
    min_urgency: str | None = None
    min_severity: str | None = None
    min_certainty: str | None = None
    senders: frozenset[str] = frozenset()
    msg_types: frozenset[str] = frozenset()  # empty: DEFAULT_MSG_TYPES
    tlp_ceiling: Tlp = Tlp.RED
    area: BaseGeometry | None = field(default=None, compare=False)
    geocodes: frozenset[tuple[str, str]] = frozenset()  # (valueName, value)
    exercises: bool = False
    include_unlocated: bool = False

    @property
    def area_wkb(self) -> bytes | None:
        return self.area.wkb if self.area is not None else None

    @property
    def is_located(self) -> bool:
        """Whether the filter restricts where alerts are (an area or geocodes)."""
        return self.area is not None or bool(self.geocodes)

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
    """Read a filter; ``None`` is the empty filter (everything the reader may read).

    Raises InvalidInputError naming every bad field, each at ``{location}.{field}``.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInputError(
            "the filter is not valid",
            [Problem(location, "INVALID_FILTER", "the filter must be a JSON object")],
        )

    def at(name: str) -> str:
        return f"{location}.{name}"

    problems: list[Problem] = [
        Problem(at(str(key)), "UNKNOWN_FIELD", f"unknown filter field {key!r}")
        for key in sorted(map(str, data))
        if key not in FIELDS
    ]
    categories = _strings(data, "categories", at, problems, allowed=CATEGORIES)
    events = frozenset(map(event_key, _strings(data, "events", at, problems)))
    senders = _strings(data, "senders", at, problems)
    msg_types = _strings(data, "msg_types", at, problems, allowed=MSG_TYPES)
    event_codes = _pairs(data, "event_codes", at, problems)
    geocodes = _pairs(data, "geocodes", at, problems)
    min_urgency = _choice(data, "min_urgency", URGENCIES, at, problems)
    min_severity = _choice(data, "min_severity", SEVERITIES, at, problems)
    min_certainty = _choice(data, "min_certainty", CERTAINTIES, at, problems)
    ceiling = _choice(data, "tlp_ceiling", tuple(t.value for t in Tlp), at, problems)
    area = _area(data.get("area"), at("area"), problems)
    exercises = _flag(data, "exercises", at, problems)
    include_unlocated = _flag(data, "include_unlocated", at, problems)
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
        tlp_ceiling=Tlp(ceiling) if ceiling is not None else Tlp.RED,
        area=area,
        geocodes=geocodes,
        exercises=exercises,
        include_unlocated=include_unlocated,
    )


def filter_to_json(f: Filter) -> dict[str, Any]:
    """The stored and shown form: defaults left out, lists sorted, the area as GeoJSON
    with plain lists (what ``json`` writes and reads back)."""
    out: dict[str, Any] = {}
    for name in ("categories", "events", "senders", "msg_types"):
        values: frozenset[str] = getattr(f, name)
        if values:
            out[name] = sorted(values)
    for name in ("event_codes", "geocodes"):
        pairs: frozenset[tuple[str, str]] = getattr(f, name)
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
    """shapely's GeoJSON uses tuples; stored JSON wants lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _strings(
    data: dict[str, Any],
    name: str,
    at: _Where,
    problems: list[Problem],
    allowed: tuple[str, ...] | None = None,
) -> frozenset[str]:
    value = data.get(name)
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        problems.append(Problem(at(name), "INVALID_LIST", f"{name} must be a list of strings"))
        return frozenset()
    if len(value) > MAX_ITEMS:
        problems.append(Problem(at(name), "TOO_MANY_ITEMS", f"{name}: at most {MAX_ITEMS}"))
        return frozenset()
    good = []
    for index, item in enumerate(value):
        where = f"{at(name)}[{index}]"
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_TEXT:
            problems.append(
                Problem(where, "INVALID_TEXT", f"must be a non-empty string of at most {MAX_TEXT}")
            )
        elif allowed is not None and item not in allowed:
            problems.append(
                Problem(where, "UNKNOWN_VALUE", f"{item!r} is not one of {', '.join(allowed)}")
            )
        else:
            good.append(item.strip())
    return frozenset(good)


def _pairs(
    data: dict[str, Any], name: str, at: _Where, problems: list[Problem]
) -> frozenset[tuple[str, str]]:
    value = data.get(name)
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        problems.append(Problem(at(name), "INVALID_LIST", f"{name} must be a list of pairs"))
        return frozenset()
    if len(value) > MAX_ITEMS:
        problems.append(Problem(at(name), "TOO_MANY_ITEMS", f"{name}: at most {MAX_ITEMS}"))
        return frozenset()
    pairs = []
    for index, item in enumerate(value):
        if (
            isinstance(item, dict)
            and set(item) == {"valueName", "value"}
            and all(isinstance(v, str) and v and len(v) <= MAX_TEXT for v in item.values())
        ):
            pairs.append((item["valueName"], item["value"]))
        else:
            problems.append(
                Problem(
                    f"{at(name)}[{index}]",
                    "INVALID_PAIR",
                    'each must be {"valueName": "...", "value": "..."} with non-empty strings',
                )
            )
    return frozenset(pairs)


def _choice(
    data: dict[str, Any], name: str, allowed: tuple[str, ...], at: _Where, problems: list[Problem]
) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        problems.append(
            Problem(at(name), "UNKNOWN_VALUE", f"{name} must be one of {', '.join(allowed)}")
        )
        return None
    return value


def _flag(data: dict[str, Any], name: str, at: _Where, problems: list[Problem]) -> bool:
    value = data.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.append(Problem(at(name), "INVALID_FLAG", f"{name} must be true or false"))
        return False
    return value


def _area(value: object, where: str, problems: list[Problem]) -> BaseGeometry | None:
    """A Polygon or MultiPolygon in WGS 84; ``None`` means anywhere."""
    if value is None:
        return None
    found = jurisdiction_problems(value, where)
    if found:
        problems.extend(found)
        return None
    geometry: BaseGeometry = shape(value)
    return geometry
