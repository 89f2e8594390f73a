"""The situation map, drawn on the server as inline SVG: Natural Earth country outlines, a
graticule, and each live alert's area (polygons and circles) coloured by severity.

The projection is equirectangular, scaled by the cosine of the map's middle latitude so
that shapes near it keep their proportions: good enough for a region, and no JavaScript,
tiles or network needed to see it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from accord.entrypoints.web.outlines import countries
from accord.entrypoints.web.summaries import AlertSummary

BBox = tuple[float, float, float, float]
WIDTH = 960
WORLD: BBox = (-180.0, -58.0, 180.0, 84.0)
MIN_SPAN_DEGREES = 4.0
ASPECT = (0.5, 0.8)  # height / width the map keeps to
_GRATICULE_STEPS = (1, 2, 5, 10, 15, 30)


@dataclass(frozen=True, slots=True)
class MapShape:
    record_id: str
    title: str
    severity_class: str
    path: str


@dataclass(frozen=True, slots=True)
class SituationMap:
    width: int
    height: int
    land: tuple[str, ...]
    graticule: tuple[str, ...]
    shapes: tuple[MapShape, ...]


@dataclass(frozen=True, slots=True)
class Projection:
    bbox: BBox

    @property
    def scale(self) -> float:
        return WIDTH / ((self.bbox[2] - self.bbox[0]) * _squeeze(self.bbox))

    @property
    def height(self) -> int:
        return round((self.bbox[3] - self.bbox[1]) * self.scale)

    def point(self, lon: float, lat: float) -> str:
        x = (lon - self.bbox[0]) * _squeeze(self.bbox) * self.scale
        y = (self.bbox[3] - lat) * self.scale
        return f"{x:.1f},{y:.1f}"

    def path(self, geometry: BaseGeometry) -> str:
        """SVG path data of every polygon ring in ``geometry`` (lines and points skipped)."""
        rings = []
        for polygon in _polygons(geometry):
            for ring in (polygon.exterior, *polygon.interiors):
                points = [self.point(lon, lat) for lon, lat, *_ in ring.coords]
                if len(points) >= 3:
                    rings.append("M" + "L".join(points) + "Z")
        return "".join(rings)


def situation_map(alerts: Sequence[AlertSummary], *, live_only: bool = True) -> SituationMap:
    """A map fitted to the live threads' areas (the world when there are none): each
    thread drawn once, as its newest message in ``alerts`` (which come newest first);
    ``live_only=False`` draws cancelled and expired ones too (one alert's own page)."""
    newest: dict[int, AlertSummary] = {}
    for alert in alerts:
        newest.setdefault(alert.thread_id, alert)
    drawn = [
        (alert, _area_of(alert)) for alert in newest.values() if alert.is_live or not live_only
    ]
    shapes = [(alert, area) for alert, area in drawn if area is not None]
    bbox = fit([area for _, area in shapes])
    projection = Projection(bbox)
    return SituationMap(
        width=WIDTH,
        height=projection.height,
        land=land_paths(bbox),
        graticule=graticule_paths(projection),
        shapes=tuple(
            MapShape(
                alert.record_id,
                f"{alert.headline} ({alert.severity}; {alert.area_text})",
                alert.severity_class,
                projection.path(area),
            )
            for alert, area in shapes
        ),
    )


def fit(areas: Sequence[BaseGeometry]) -> BBox:
    """A box around ``areas`` with a margin, widened to the map's proportions."""
    if not areas:
        return WORLD
    min_lon, min_lat, max_lon, max_lat = shapely.union_all(list(areas)).bounds
    margin = max(max_lon - min_lon, max_lat - min_lat, MIN_SPAN_DEGREES) * 0.15
    box = (min_lon - margin, min_lat - margin, max_lon + margin, max_lat + margin)
    box = _at_least(box, MIN_SPAN_DEGREES)
    return _proportioned(box)


def _at_least(box: BBox, span: float) -> BBox:
    min_lon, min_lat, max_lon, max_lat = box
    lon_pad = max(0.0, span - (max_lon - min_lon)) / 2
    lat_pad = max(0.0, span - (max_lat - min_lat)) / 2
    return (min_lon - lon_pad, min_lat - lat_pad, max_lon + lon_pad, max_lat + lat_pad)


def _proportioned(box: BBox) -> BBox:
    min_lon, min_lat, max_lon, max_lat = box
    wide = (max_lon - min_lon) * _squeeze(box)
    high = max_lat - min_lat
    if high < wide * ASPECT[0]:
        pad = (wide * ASPECT[0] - high) / 2
        min_lat, max_lat = min_lat - pad, max_lat + pad
    elif high > wide * ASPECT[1]:
        pad = (high / ASPECT[1] / _squeeze(box) - (max_lon - min_lon)) / 2
        min_lon, max_lon = min_lon - pad, max_lon + pad
    return (
        max(min_lon, -180.0),
        max(min_lat, -85.0),
        min(max_lon, 180.0),
        min(max_lat, 85.0),
    )


def _squeeze(box: BBox) -> float:
    return max(math.cos(math.radians((box[1] + box[3]) / 2)), 0.2)


def _area_of(alert: AlertSummary) -> BaseGeometry | None:
    parts = [area.shape for area in alert.areas if area.shape is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


@functools.lru_cache(maxsize=64)
def land_paths(bbox: BBox) -> tuple[str, ...]:
    projection = Projection(bbox)
    tolerance = (bbox[2] - bbox[0]) / WIDTH  # about a pixel
    paths = (
        projection.path(part.simplify(tolerance, preserve_topology=False))
        for part in countries().within(bbox)
    )
    return tuple(path for path in paths if path)


def graticule_paths(projection: Projection) -> tuple[str, ...]:
    min_lon, min_lat, max_lon, max_lat = projection.bbox
    step = next((s for s in _GRATICULE_STEPS if (max_lon - min_lon) / s <= 8), 30)
    lines = []
    for lon in range(math.ceil(min_lon / step) * step, math.floor(max_lon) + 1, step):
        lines.append(f"M{projection.point(lon, max_lat)}L{projection.point(lon, min_lat)}")
    for lat in range(math.ceil(min_lat / step) * step, math.floor(max_lat) + 1, step):
        lines.append(f"M{projection.point(min_lon, lat)}L{projection.point(max_lon, lat)}")
    return tuple(lines)


def _polygons(geometry: BaseGeometry) -> list[shapely.Polygon]:
    if isinstance(geometry, shapely.Polygon):
        return [geometry]
    if isinstance(geometry, shapely.MultiPolygon | shapely.GeometryCollection):
        return [p for part in geometry.geoms for p in _polygons(part)]
    return []
