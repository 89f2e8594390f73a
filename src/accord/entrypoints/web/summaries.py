"""Alerts as the pages show them: the fields of a list row and the areas of a map.

Every page that shows an alert (the portal's map and list, the console's situation, map and
timeline, the alert pages, the live feed) takes it from here, so the render bounds of
``domain.alerts.limits`` are applied once: names and headlines shortened with an ellipsis,
long texts cut with a flag the page turns into a visible note, at most ``MAX_LISTED_AREAS``
areas named, and the area drawn with at most ``MAX_DRAWN_POINTS`` corners, thinned before it
is even parsed. An alert stored before the input limits existed draws like any other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from accord.domain.alerts import limits
from accord.domain.alerts.cap import SEVERITIES
from accord.domain.geometry import area_shape
from accord.services.alerts import AlertView

LIVE_STATES = frozenset({"active", "updated", None})


@dataclass(frozen=True, slots=True)
class AlertArea:
    description: str
    shape: BaseGeometry | None


@dataclass(frozen=True, slots=True)
class AlertSummary:
    record_id: str
    thread_id: int
    identifier: str
    sender: str
    sender_name: str
    headline: str
    event: str
    severity: str
    urgency: str
    certainty: str
    categories: tuple[str, ...]
    sent: str
    expires: str
    status: str
    msg_type: str
    tlp: str
    state: str | None
    description: str
    instruction: str
    areas: tuple[AlertArea, ...]
    is_description_cut: bool = False
    is_instruction_cut: bool = False
    areas_left_out: int = 0

    @property
    def area_text(self) -> str:
        named = "; ".join(area.description for area in self.areas)
        return f"{named}; … (+{self.areas_left_out})" if self.areas_left_out else named

    @property
    def severity_class(self) -> str:
        """A CSS class name drawn from a closed list, never from the alert's own text."""
        return self.severity.lower() if self.severity in SEVERITIES else "unknown"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


def summarise(view: AlertView, state: str | None) -> AlertSummary:
    alert: dict[str, Any] = json.loads(view.row.body)
    info: dict[str, Any] = (alert.get("info") or [{}])[0]
    headline = info.get("headline") or info.get("event") or alert.get("identifier", "")
    description = info.get("description", "")
    instruction = info.get("instruction", "")
    areas = info.get("area", ())
    shown = areas[: limits.MAX_LISTED_AREAS]
    return AlertSummary(
        record_id=view.row.record_id,
        thread_id=view.row.thread_id,
        identifier=_listed(alert.get("identifier", "")),
        sender=_listed(alert.get("sender", "")),
        sender_name=_listed(info.get("senderName", "")),
        headline=_listed(headline),
        event=_listed(info.get("event", "")),
        severity=info.get("severity", "Unknown"),
        urgency=info.get("urgency", "Unknown"),
        certainty=info.get("certainty", "Unknown"),
        categories=tuple(dict.fromkeys(info.get("category", ()))),
        sent=alert.get("sent", ""),
        expires=info.get("expires", ""),
        status=alert.get("status", ""),
        msg_type=alert.get("msgType", ""),
        tlp=view.row.scope.tlp.value,
        state=state,
        description=description[: limits.MAX_SHOWN_CHARS],
        instruction=instruction[: limits.MAX_SHOWN_CHARS],
        areas=_drawn_areas(shown),
        is_description_cut=len(description) > limits.MAX_SHOWN_CHARS,
        is_instruction_cut=len(instruction) > limits.MAX_SHOWN_CHARS,
        areas_left_out=len(areas) - len(shown),
    )


def _listed(text: str) -> str:
    return limits.shortened(text, limits.MAX_LISTED_CHARS)


def _drawn_areas(areas: Sequence[dict[str, Any]]) -> tuple[AlertArea, ...]:
    """The areas named and drawn, sharing the alert's budget of corners between them."""
    budget = limits.MAX_DRAWN_POINTS // max(1, len(areas))
    return tuple(
        AlertArea(
            _listed(area.get("areaDesc", "")),
            drawn_shape(area.get("polygon", ()), area.get("circle", ()), budget),
        )
        for area in areas
    )


_CIRCLE_CORNERS = 33  # a circle's ring, as domain.geometry approximates it


def drawn_shape(
    polygons: Sequence[str], circles: Sequence[str], most: int = limits.MAX_DRAWN_POINTS
) -> BaseGeometry | None:
    """An area as a map draws it: with at most about ``most`` corners, however many it has.

    Polygons are thinned as text (every n-th pair kept) before they are parsed, so a stored
    polygon of 400,000 points costs a string split, not 400,000 floats; shapes beyond the
    budget are left out, and what remains is simplified until it fits.
    """
    most = max(most, 8)
    polygons = polygons[: max(1, most // 8)]
    circles = circles[: max(1, most // _CIRCLE_CORNERS)]
    each = most // max(1, len(polygons))
    area = area_shape([_thinned(text, each) for text in polygons], circles)
    return None if area is None else _simplified(area, most)


def _thinned(text: str, most: int) -> str:
    pairs = text.split()
    if len(pairs) <= most:
        return text
    kept = pairs[:: math.ceil(len(pairs) / max(most - 1, 3))]
    return " ".join([*kept, pairs[-1]] if kept[-1] != pairs[-1] else kept)


def _simplified(area: BaseGeometry, most: int) -> BaseGeometry:
    min_lon, min_lat, max_lon, max_lat = area.bounds
    tolerance = max(max_lon - min_lon, max_lat - min_lat, 1e-6) / 1000  # about a pixel
    for _ in range(20):  # each round doubles the tolerance; a handful always suffices
        if shapely.get_num_coordinates(area) <= most:
            break
        area = area.simplify(tolerance, preserve_topology=True)
        tolerance *= 2
    return area
