"""What the admin and subscription forms share: reading fields that repeat (checkboxes),
turning CAP polygon text into GeoJSON, and placing the services' problems next to the
fields they name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

from fastapi import Request

from accord.domain.geometry import parse_pairs
from accord.domain.untrusted import check_fields
from accord.entrypoints.web.security import MAX_FORM_BYTES
from accord.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)

MAX_FIELDS = 40
T = TypeVar("T")


async def read_fields(request: Request) -> dict[str, list[str]]:
    """A url-encoded form's fields with every value (checkbox groups repeat a name);
    empty when too big or not a form at all, which then fails its CSRF check."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    check_fields(fields)  # NUL: a 422 naming the field
    return fields


def first_values(fields: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[0] for name, values in fields.items()}


@dataclass
class FormProblems:
    """Problems by the form field they belong to; ``general`` holds the rest."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, problem: Problem, aliases: dict[str, str]) -> None:
        name = _field_name(problem.location, aliases)
        if name is None:
            self.general.append(problem.message)
        else:
            self.fields.setdefault(name, []).append(problem.message)

    def of(self, name: str) -> list[str]:
        return self.fields.get(name, [])


def _field_name(location: str, aliases: dict[str, str]) -> str | None:
    """The form field a problem's location (``/endpoints/0/url``, ``/filter.area``) names."""
    last = location.replace(".", "/").rstrip("/").rsplit("/", 1)[-1]
    return aliases.get(last)


def attempt(action: Callable[[], T], aliases: dict[str, str]) -> T | FormProblems:
    """Run a service call; bad input, conflicts, unknown names and refusals come back as
    the problems to show beside the form (in the services' own words)."""
    try:
        return action()
    except InvalidInputError as exc:
        found = FormProblems()
        for problem in exc.problems or (Problem("", "INVALID", str(exc)),):
            found.add(problem, aliases)
        return found
    except (ConflictError, NotFoundError, PermissionDeniedError) as exc:
        return FormProblems(general=[_sentence(str(exc))])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def polygon_geojson(
    text: str, location: str, gettext: Callable[[str], str]
) -> dict[str, Any] | None:
    """CAP polygon text (``lat,lon lat,lon …``) as a GeoJSON Polygon, closed if the last
    pair does not repeat the first; None for empty text. Raises InvalidInputError, whose
    problem ``gettext`` words (the form's own rule, in the reader's language)."""
    if not text.strip():
        return None
    try:
        points = [[lon, lat] for lon, lat in parse_pairs(text)]
    except ValueError:
        message = gettext("area: lat,lon pairs separated by spaces")
        raise InvalidInputError(
            "the area is not valid", [Problem(location, "INVALID_POLYGON", message)]
        ) from None
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        message = gettext("area: at least 3 distinct lat,lon pairs")
        raise InvalidInputError(
            "the area is not valid", [Problem(location, "INVALID_POLYGON", message)]
        )
    return {"type": "Polygon", "coordinates": [points]}


def polygon_text(geometry: object) -> str:
    """A stored GeoJSON Polygon (or MultiPolygon) as CAP polygon text, for reading."""
    if not isinstance(geometry, dict):
        return ""
    rings: Iterable[Any] = []
    if geometry.get("type") == "Polygon":
        rings = geometry.get("coordinates", [])[:1]
    elif geometry.get("type") == "MultiPolygon":
        rings = [polygon[0] for polygon in geometry.get("coordinates", []) if polygon]
    return " / ".join(" ".join(f"{lat},{lon}" for lon, lat in ring) for ring in rings)


def parse_id(text: str) -> int | None:
    """A row id from a path, None unless it is a positive 32-bit integer."""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= 2**31 - 1 else None
