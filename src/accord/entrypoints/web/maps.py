"""The situation map, drawn on the server as inline SVG: Natural Earth country outlines, a
graticule, and each live alert's area (polygons and circles) coloured by severity. The
situation page's live feed draws a new alert's area with ``shape_of`` in the projection of
the page's own map (its ``bbox``), so what arrives lines up with what was drawn.

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
    thread_id: int
    title: str
    severity_class: str
    path: str


@dataclass(frozen=True, slots=True)
class SituationMap:
    bbox: BBox
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
        """SVG path data of every polygon ring in ``geometry`` (lines and points skipped).
        Each ring is projected as one array: a situation map draws thousands of corners."""
        scale = self.scale
        x_scale, west, north = _squeeze(self.bbox) * scale, self.bbox[0], self.bbox[3]
        rings = []
        for polygon in _polygons(geometry):
            for ring in (polygon.exterior, *polygon.interiors):
                corners = shapely.get_coordinates(ring)
                if len(corners) < 3:
                    continue
                xs = ((corners[:, 0] - west) * x_scale).tolist()
                ys = ((north - corners[:, 1]) * scale).tolist()
                corner_text = (f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
                rings.append("M" + "L".join(corner_text) + "Z")
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
        bbox=bbox,
        width=WIDTH,
        height=projection.height,
        land=land_paths(bbox),
        graticule=graticule_paths(projection),
        shapes=tuple(_shape(alert, area, projection) for alert, area in shapes),
    )


def shape_of(alert: AlertSummary, bbox: BBox) -> MapShape | None:
    """``alert``'s area as the map framed by ``bbox`` draws it (None when it has none);
    parts outside the frame are left for the SVG to clip."""
    area = _area_of(alert)
    return None if area is None else _shape(alert, area, Projection(bbox))


def _shape(alert: AlertSummary, area: BaseGeometry, projection: Projection) -> MapShape:
    return MapShape(
        alert.record_id,
        alert.thread_id,
        f"{alert.headline} ({alert.severity}; {alert.area_text})",
        alert.severity_class,
        projection.path(area),
    )


def bbox_param(bbox: BBox) -> str:
    """The frame as the situation page hands it to its live feed: west,south,east,north."""
    return ",".join(repr(edge) for edge in bbox)


def parse_bbox(text: str) -> BBox:
    """The frame ``bbox_param`` wrote; ValueError unless four finite edges in order."""
    edges = tuple(float(part) for part in text.split(","))
    if len(edges) != 4 or not all(math.isfinite(edge) for edge in edges):
        raise ValueError("a frame is four finite numbers")
    west, south, east, north = edges
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("a frame runs west to east and south to north")
    return (west, south, east, north)


def fit(areas: Sequence[BaseGeometry]) -> BBox:
    """A box around ``areas`` with a margin, widened to the map's proportions."""
    if not areas:
        return WORLD
    min_lon, min_lat, max_lon, max_lat = (float(edge) for edge in shapely.total_bounds(areas))
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
