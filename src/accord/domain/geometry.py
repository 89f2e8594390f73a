"""Geometry of CAP areas and agency jurisdictions, in WGS 84 longitude/latitude.

CAP writes points as ``lat,lon`` and circles as ``lat,lon radius_km``; shapely wants
``(x=lon, y=lat)``. Circles are approximated by 32-sided polygons stretched by the cosine of
their latitude, good to well under 1 % for areas of interest to alerting; alerts are matched
by area with these shapes (bounding box in SQL first, exact test here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from accord.errors import Problem

KM_PER_DEGREE_LATITUDE = 111.32
BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def parse_pairs(text: str) -> list[tuple[float, float]]:
    """``lat,lon lat,lon …`` as ``(lon, lat)`` tuples; ValueError when malformed."""
    points = []
    for pair in text.split():
        lat_text, lon_text = pair.split(",")
        points.append((float(lon_text), float(lat_text)))
    return points


def polygon_from_cap(text: str) -> Polygon:
    polygon: Polygon = shapely.polygons(parse_pairs(text))  # the ufunc: a fraction of Polygon()
    return polygon


def circle_from_cap(text: str) -> BaseGeometry:
    centre_text, radius_text = text.split()
    ((lon, lat),) = parse_pairs(centre_text)
    radius_km = float(radius_text)
    if radius_km <= 0:
        return Point(lon, lat)
    degrees = radius_km / KM_PER_DEGREE_LATITUDE
    disc = Point(lon, lat).buffer(degrees, quad_segs=8)
    stretch = 1 / max(math.cos(math.radians(lat)), 0.01)
    return affinity.scale(disc, xfact=stretch, yfact=1.0, origin=(lon, lat))


def area_shape(polygons: Iterable[str], circles: Iterable[str]) -> BaseGeometry | None:
    """The union of an alert's polygons and circles, or None when it has none usable.

    Shapes that do not parse are skipped: the CAP rules have already reported them, and a
    warning-level oddity (a self-intersecting polygon) must not hide the rest of the area.
    """
    parts: list[BaseGeometry] = []
    for text in polygons:
        try:
            polygon = polygon_from_cap(text)
        except (ValueError, shapely.errors.ShapelyError):
            continue
        parts.append(polygon if polygon.is_valid else _repaired(polygon))
    for text in circles:
        try:
            parts.append(circle_from_cap(text))
        except (ValueError, shapely.errors.ShapelyError):
            continue
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _repaired(polygon: Polygon) -> BaseGeometry:
    """A valid shape for a ring that crosses itself. GEOS's "structure" method, not the
    default "linework": linework spends quadratic time on a ring whose every edge crosses
    another (6 s for 50,000 points, inside an accepted 1 MB alert); structure, 0.7 s."""
    return shapely.make_valid(polygon, method="structure", keep_collapsed=False)


def bbox_of(geometry: BaseGeometry) -> BBox:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return (float(min_lon), float(min_lat), float(max_lon), float(max_lat))


def jurisdiction_problems(value: object, location: str) -> list[Problem]:
    """Problems with a GeoJSON geometry given as an agency's jurisdiction."""
    if not isinstance(value, dict) or "type" not in value:
        return [Problem(location, "INVALID_GEOJSON", "must be a GeoJSON geometry object")]
    if value["type"] not in ("Polygon", "MultiPolygon"):
        return [Problem(location, "INVALID_GEOJSON", "must be a Polygon or MultiPolygon")]
    try:
        geometry = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, shapely.errors.ShapelyError) as exc:
        return [Problem(location, "INVALID_GEOJSON", f"not valid GeoJSON: {exc}")]
    if geometry.is_empty or not geometry.is_valid:
        return [Problem(location, "INVALID_GEOJSON", "the polygon is empty or self-intersecting")]
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        return [Problem(location, "INVALID_GEOJSON", "coordinates are outside WGS 84 bounds")]
    return []
