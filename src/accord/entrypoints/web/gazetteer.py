"""The countries a compose form's area can be picked from: ISO 3166-1 alpha-2 codes with
their English names and outlines, read from the same Natural Earth 1:10m admin-0 file as
the basemap (outlines.py), once per process on first use and never fetched.

A picked country becomes the CAP geocode ``<valueName>ISO3166-1</valueName><value>EE
</value>``. CAP 1.2 leaves value names to agreement between sender and receiver; the ISO
standard's own name, as the EU's and several national CAP profiles spell it, is what a
receiver outside the region can read without a table of ours.

Natural Earth writes ``-99`` where a unit has no code of its own. A record's code is its
``ISO_A2``, else its ``ISO_A2_EH`` (Natural Earth's "extended" code: France and Norway
carry theirs only there, Taiwan's ``ISO_A2`` is ``CN-TW``, Kosovo is the user-assigned
``XK`` that the EU uses); records with neither (the UK's bases on Cyprus, Guantanamo Bay,
disputed reefs) are left out. Records that share a code (Australia and its Coral Sea,
Ashmore and Cartier and Indian Ocean territories; France and Clipperton) are one entry:
the outline is all of them, the name the largest one's.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import shapefile
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from accord.entrypoints.web.outlines import ARCHIVE, PACKAGE

VALUE_NAME = "ISO3166-1"
_CODE = re.compile(r"^[A-Z]{2}$")
_FIELDS = ["ISO_A2", "ISO_A2_EH", "NAME_EN"]


@dataclass(frozen=True)
class Country:
    """One gazetteer entry: code, English name and the outline of every record it covers."""

    code: str
    name: str
    parts: Sequence[shapefile.Shape] = field(repr=False, compare=False)

    @functools.cached_property
    def outline(self) -> BaseGeometry:
        """The country's shape (computed on first use: the 10m outlines are detailed)."""
        shapes = [shape(part.__geo_interface__) for part in self.parts]
        return shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


class Gazetteer:
    """The countries by code, and listed by name."""

    def __init__(self, countries: Iterable[Country]) -> None:
        self._by_code = {country.code: country for country in countries}
        self.countries = tuple(sorted(self._by_code.values(), key=lambda c: _sort_key(c.name)))

    def __iter__(self) -> Iterator[Country]:
        return iter(self.countries)

    def __len__(self) -> int:
        return len(self.countries)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def find(self, code: str) -> Country | None:
        return self._by_code.get(code)

    def first(self, codes: Iterable[str]) -> Country | None:
        """The first of ``codes`` that is a country here."""
        return next((c for c in map(self._by_code.get, codes) if c is not None), None)

    def names(self) -> dict[str, str]:
        return {country.code: country.name for country in self.countries}

    def ordered(self, first: Iterable[str]) -> tuple[list[Country], list[Country]]:
        """The countries whose codes are in ``first`` (in name order), then all others."""
        wanted = set(first)
        return (
            [c for c in self.countries if c.code in wanted],
            [c for c in self.countries if c.code not in wanted],
        )


def code_of(values: dict[str, object]) -> str | None:
    """A Natural Earth record's ISO 3166-1 alpha-2 code: ``ISO_A2``, else ``ISO_A2_EH``
    where that is -99 or not a code (Taiwan's ``CN-TW``); None when neither is one."""
    for key in ("ISO_A2", "ISO_A2_EH"):
        value = str(values.get(key) or "").strip()
        if _CODE.fullmatch(value):
            return value
    return None


def build(records: Iterable[tuple[dict[str, object], shapefile.Shape]]) -> Gazetteer:
    """The gazetteer of Natural Earth records (their fields and shapes)."""
    grouped: dict[str, list[tuple[dict[str, object], shapefile.Shape]]] = {}
    for values, part in records:
        code = code_of(values)
        if code is not None and part.shapeType != shapefile.NULL:
            grouped.setdefault(code, []).append((values, part))
    countries = []
    for code, members in grouped.items():
        largest = max(members, key=lambda member: _box_area(member[1]))
        name = str(largest[0].get("NAME_EN") or code).strip()
        countries.append(Country(code, name, tuple(part for _, part in members)))
    return Gazetteer(countries)


@functools.cache
def gazetteer() -> Gazetteer:
    """The gazetteer, read from the bundled archive on first call (a tenth of a second; the
    outlines become shapes only when asked for)."""
    resource = importlib.resources.files(PACKAGE).joinpath(ARCHIVE)
    with importlib.resources.as_file(resource) as path, shapefile.Reader(str(path)) as reader:
        records = [
            (item.record.as_dict(), item.shape) for item in reader.iterShapeRecords(fields=_FIELDS)
        ]
    return build(records)


def _box_area(part: shapefile.Shape) -> float:
    min_lon, min_lat, max_lon, max_lat = part.bbox
    return float((max_lon - min_lon) * (max_lat - min_lat))


def _sort_key(name: str) -> str:
    """Names in alphabetical order whatever their accents (Åland among the As)."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()
