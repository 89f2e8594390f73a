"""Alerts as the pages show them: the fields of a list row and the areas of a map."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

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

    @property
    def area_text(self) -> str:
        return "; ".join(area.description for area in self.areas)

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
    return AlertSummary(
        record_id=view.row.record_id,
        thread_id=view.row.thread_id,
        identifier=alert.get("identifier", ""),
        sender=alert.get("sender", ""),
        sender_name=info.get("senderName", ""),
        headline=headline,
        event=info.get("event", ""),
        severity=info.get("severity", "Unknown"),
        urgency=info.get("urgency", "Unknown"),
        certainty=info.get("certainty", "Unknown"),
        categories=tuple(info.get("category", ())),
        sent=alert.get("sent", ""),
        expires=info.get("expires", ""),
        status=alert.get("status", ""),
        msg_type=alert.get("msgType", ""),
        tlp=view.row.scope.tlp.value,
        state=state,
        description=info.get("description", ""),
        instruction=info.get("instruction", ""),
        areas=tuple(
            AlertArea(
                area.get("areaDesc", ""),
                area_shape(area.get("polygon", ()), area.get("circle", ())),
            )
            for area in info.get("area", ())
        ),
    )
