"""The subscription forms as the API's request bodies, and stored filters as text to read.

The forms post flat fields (checkbox groups repeat ``categories``); these functions build
exactly the JSON the API takes, so the service checks the same rules and answers with the
same problems, which the pages place beside the fields. What the forms check themselves
(polygon text, the overlap's number) and the filters' labels are in the reader's language.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from accord.domain.alerts.cap import CATEGORIES, SEVERITIES, URGENCIES
from accord.domain.sharing import Tlp
from accord.entrypoints.web.form_problems import first_values, polygon_geojson, polygon_text
from accord.entrypoints.web.languages import N_, Words
from accord.errors import InvalidInputError, Problem

TLPS = tuple(level.value for level in Tlp)
FORMATS = ("json", "xml")
FLAGS = ("exercises", "include_unlocated")
# the last segment of a problem's location -> the form field it is shown beside
ALIASES = {
    name: name
    for name in (
        "name",
        "categories",
        "min_severity",
        "min_urgency",
        "tlp_ceiling",
        "area",
        *FLAGS,
        "kind",
        "url",
        "address",
        "format",
        "overlap_hours",
    )
}
CHOICES = {
    "categories": CATEGORIES,
    "min_severity": SEVERITIES,
    "min_urgency": URGENCIES,
    "tlp_ceiling": TLPS,
    "format": FORMATS,
}
_LABELS = {  # translated where shown
    "categories": N_("Categories"),
    "events": N_("Events"),
    "event_codes": N_("Event codes"),
    "min_urgency": N_("Urgency at least"),
    "min_severity": N_("Severity at least"),
    "min_certainty": N_("Certainty at least"),
    "senders": N_("Senders"),
    "msg_types": N_("Message types"),
    "tlp_ceiling": N_("TLP up to"),
    "area": N_("Area"),
    "geocodes": N_("Geocodes"),
    "exercises": N_("Exercises"),
    "include_unlocated": N_("Alerts without an area"),
}


def subscription_body(
    fields: dict[str, list[str]], gettext: Callable[[str], str]
) -> dict[str, Any]:
    """The API's create-subscription body from the form. Raises InvalidInputError when
    the area text is not a polygon (the service checks everything else)."""
    form = first_values(fields)
    wanted: dict[str, Any] = {}
    if fields.get("categories"):
        wanted["categories"] = fields["categories"]
    for name in ("min_severity", "min_urgency", "tlp_ceiling"):
        if form.get(name):
            wanted[name] = form[name]
    area = polygon_geojson(form.get("area", ""), "/filter.area", gettext)
    if area is not None:
        wanted["area"] = area
    for flag in FLAGS:
        if flag in form:
            wanted[flag] = True
    body: dict[str, Any] = {"name": form.get("name", ""), "filter": wanted}
    endpoint = endpoint_spec(form)
    body["endpoints"] = [endpoint] if endpoint else []
    return body


def endpoint_spec(form: dict[str, str]) -> dict[str, Any] | None:
    """A webhook or e-mail endpoint from the form's ``kind`` (None for "none")."""
    kind = form.get("kind", "none")
    if kind == "none":
        return None
    spec: dict[str, Any] = {"kind": kind, "format": form.get("format", "json")}
    if kind == "webhook":
        spec["url"] = form.get("url", "").strip()
    elif kind == "email":
        spec["address"] = form.get("address", "").strip()
    return spec


def overlap(form: dict[str, str], gettext: Callable[[str], str]) -> timedelta:
    """The rotation's overlap from ``overlap_hours`` (the service checks its range)."""
    try:
        hours = float(form.get("overlap_hours", "24") or "24")
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours):
        message = gettext("overlap: a number of hours, 0 to 168")
        raise InvalidInputError(
            "the overlap is not valid", [Problem("/overlap_hours", "INVALID", message)]
        )
    return timedelta(hours=hours)


def filter_lines(stored: dict[str, Any], words: Words) -> list[tuple[str, str]]:
    """A stored filter as (label, text) lines in the reader's language (the values as
    stored: CAP codes, names, areas); the empty filter matches everything."""
    lines = []
    for name, value in stored.items():
        label = words.gettext(_LABELS[name]) if name in _LABELS else name
        if name == "area":
            lines.append((label, polygon_text(value) or json.dumps(value)))
        elif isinstance(value, bool):
            lines.append((label, words.gettext("included") if value else words.gettext("left out")))
        elif isinstance(value, list):
            lines.append((label, ", ".join(_item(v) for v in value)))
        else:
            lines.append((label, str(value)))
    return lines


def _item(value: object) -> str:
    if isinstance(value, list | tuple):
        return "=".join(map(str, value))
    return str(value)
