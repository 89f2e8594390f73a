"""The compose form's map: the region's frame to draw an alert's area on, the area typed so
far and the outline of the country picked as its geocode drawn on it, and the projection's
numbers as data for the drawing script.

The script (``static/compose.js``) turns a click into longitude and latitude with the
same equirectangular projection the server draws with (maps.py), so a vertex lands where
it was clicked; the polygon's text field stays what the server reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from accord.domain.geometry import area_shape
from accord.entrypoints.web.maps import WIDTH, Projection, fit, graticule_paths, land_paths


@dataclass(frozen=True, slots=True)
class DrawingMap:
    width: int
    height: int
    land: tuple[str, ...]
    graticule: tuple[str, ...]
    area: str  # SVG path of the area in the form's fields, "" when none
    outline: str  # SVG path of the geocode's country, "" when none
    west: float
    north: float
    lon_per_unit: float  # degrees of longitude per SVG unit across
    lat_per_unit: float  # degrees of latitude per SVG unit down


def drawing_map(
    frame: Iterable[BaseGeometry],
    polygon: str,
    circle: str,
    outline: BaseGeometry | None = None,
) -> DrawingMap:
    """A map around ``frame`` (and the area typed and the ``outline`` of the country
    picked, so that they are always in view)."""
    area = area_shape([polygon] if polygon else [], [circle] if circle else [])
    shapes = [*frame, *([area] if area is not None and not area.is_empty else [])]
    if outline is not None and not outline.is_empty:
        shapes.append(shapely.box(*outline.bounds))  # its box frames it as well, and fast
    bbox = fit(shapes)
    projection = Projection(bbox)
    scale = projection.scale
    return DrawingMap(
        width=WIDTH,
        height=projection.height,
        land=land_paths(bbox),
        graticule=graticule_paths(projection),
        area=projection.path(area) if area is not None else "",
        outline=outline_path(projection, outline),
        west=bbox[0],
        north=bbox[3],
        lon_per_unit=(bbox[2] - bbox[0]) / WIDTH,
        lat_per_unit=1 / scale,
    )


def outline_path(projection: Projection, outline: BaseGeometry | None) -> str:
    """SVG path of a country's outline, simplified to about a pixel (a 1:10m outline has
    thousands of points the map cannot show)."""
    if outline is None or outline.is_empty:
        return ""
    tolerance = (projection.bbox[2] - projection.bbox[0]) / WIDTH
    return projection.path(outline.simplify(tolerance, preserve_topology=True))


def jurisdictions(agencies: Iterable[Mapping[str, object]]) -> list[BaseGeometry]:
    """The agencies' jurisdictions (GeoJSON) as shapes: the region a node's alerts are for."""
    shapes = []
    for agency in agencies:
        geometry = agency.get("jurisdiction")
        if isinstance(geometry, Mapping):
            try:
                shapes.append(shape(geometry))
            except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
                continue
    return shapes
