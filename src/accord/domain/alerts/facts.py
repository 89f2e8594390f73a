"""The facts about one CAP message that queries filter on, read off the model once.

The alert projection stores these next to each message so list queries never re-parse
CAP: instants in UTC, strength ranks for urgency/severity/certainty, categories and events,
and the union of the message's areas with its bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from accord.domain.alerts.cap import (
    CERTAINTY_RANK,
    SEVERITY_RANK,
    URGENCY_RANK,
    Alert,
    parse_cap_datetime,
)
from accord.domain.geometry import BBox, area_shape, bbox_of


@dataclass(frozen=True, slots=True)
class InfoFacts:
    ordinal: int
    language: str
    event: str
    categories: tuple[str, ...]
    urgency_rank: int
    severity_rank: int
    certainty_rank: int


@dataclass(frozen=True, slots=True)
class AlertFacts:
    sent_at: datetime
    expires_at: datetime | None
    infos: tuple[InfoFacts, ...]
    area: BaseGeometry | None
    bbox: BBox | None


def facts_of(alert: Alert) -> AlertFacts:
    infos = tuple(
        InfoFacts(
            ordinal=index,
            language=info.effective_language,
            event=info.event,
            categories=info.categories,
            urgency_rank=URGENCY_RANK.get(info.urgency, len(URGENCY_RANK)),
            severity_rank=SEVERITY_RANK.get(info.severity, len(SEVERITY_RANK)),
            certainty_rank=CERTAINTY_RANK.get(info.certainty, len(CERTAINTY_RANK)),
        )
        for index, info in enumerate(alert.infos)
    )
    area = area_shape(
        (p for info in alert.infos for a in info.areas for p in a.polygons),
        (c for info in alert.infos for a in info.areas for c in a.circles),
    )
    return AlertFacts(
        sent_at=alert.sent_at,
        expires_at=latest_expiry(alert),
        infos=infos,
        area=area,
        bbox=bbox_of(area) if area is not None else None,
    )


def latest_expiry(alert: Alert) -> datetime | None:
    """The message is in effect until its last info block expires; None if any never does."""
    expiries = []
    for info in alert.infos:
        if info.expires is None:
            return None
        try:
            expiries.append(parse_cap_datetime(info.expires))
        except ValueError:
            return None
    return max(expiries) if expiries else None
