"""Query parameters of ``GET /api/v1/alerts``: parsed, checked, every problem collected."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from accord.domain.bounds import MAX_POSITION, instant_problem
from accord.domain.identity import SECTOR_CATEGORIES, Sector
from accord.domain.sharing import Tlp
from accord.errors import Problem

SECTORS = tuple(sector.value for sector in Sector)
TLPS = tuple(level.value for level in Tlp)


def members(
    values: list[str], allowed: tuple[str, ...], name: str, problems: list[Problem]
) -> list[str]:
    for value in values:
        if value not in allowed:
            problems.append(
                Problem(name, "INVALID_VALUE", f"{name} must be one of {', '.join(allowed)}")
            )
    return values


def in_sectors(sectors: list[str], categories: list[str], problems: list[Problem]) -> list[str]:
    """The categories to ask for: those of the chosen sectors (``SECTOR_CATEGORIES``),
    narrowed to ``categories`` when both are given. A category outside every chosen sector
    is a problem rather than an empty answer, so a contradictory filter says so."""
    if not sectors:
        return categories
    covered: set[str] = set()
    for value in sectors:
        if value in SECTORS:
            covered |= SECTOR_CATEGORIES[Sector(value)]
        else:
            problems.append(
                Problem("sector", "INVALID_VALUE", f"sector must be one of {', '.join(SECTORS)}")
            )
    if not categories:
        return sorted(covered)
    outside = [c for c in categories if c not in covered]
    if covered and outside:
        problems.append(
            Problem(
                "category",
                "OUTSIDE_SECTOR",
                f"{', '.join(outside)} is not a category of sector {', '.join(sectors)}, "
                f"which covers {', '.join(sorted(covered))}",
            )
        )
    return [c for c in categories if c in covered]


def rank(
    value: str | None, ranks: dict[str, int], name: str, problems: list[Problem]
) -> int | None:
    if value is None:
        return None
    if value not in ranks:
        problems.append(Problem(name, "INVALID_VALUE", f"{name} must be one of {', '.join(ranks)}"))
        return None
    return ranks[value]


def aware(value: datetime | None, name: str, problems: list[Problem]) -> datetime | None:
    """``value`` if it carries its offset and lies within ``bounds.INSTANT_RANGE``."""
    if value is not None and value.tzinfo is None:
        problems.append(Problem(name, "MISSING_TIMEZONE", f"{name} needs a UTC offset"))
        return None
    out_of_range = None if value is None else instant_problem(value, name)
    if out_of_range is not None:
        problems.append(out_of_range)
        return None
    return value


def bbox(value: str | None, problems: list[Problem]) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
    except ValueError:
        problems.append(Problem("bbox", "INVALID_BBOX", "bbox is min_lon,min_lat,max_lon,max_lat"))
        return None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        problems.append(Problem("bbox", "INVALID_BBOX", "bbox corners are out of order or range"))
        return None
    return (min_lon, min_lat, max_lon, max_lat)


def point(
    lat: float | None, lon: float | None, problems: list[Problem]
) -> tuple[float, float] | None:
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        problems.append(Problem("lat", "INCOMPLETE_POINT", "give both lat and lon"))
        return None
    return (lon, lat)


def cursor(value: str | None, problems: list[Problem]) -> int | None:
    """The position a ``next_cursor`` encodes; a forged one (not base64, not a number, not
    a position a log can hold) is a problem naming ``cursor``."""
    if value is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(value.encode("ascii") + b"==").decode("ascii")
        position = int(decoded) if decoded.isascii() and decoded.isdecimal() else -1
    except (ValueError, binascii.Error, UnicodeError):
        position = -1
    if not 0 <= position <= MAX_POSITION:
        problems.append(Problem("cursor", "INVALID_CURSOR", "use next_cursor from a previous page"))
        return None
    return position


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode("ascii")).decode("ascii").rstrip("=")
