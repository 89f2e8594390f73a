"""The signed-in console. ``/console`` is the situation view: the alerts the user may read
(the API's scope checks, through the same Account), on the map, on a timeline and in a
list, filtered by sector, category, severity, urgency and TLP from a GET form (a sector
stands for the CAP categories its agencies act on, ``SECTOR_CATEGORIES``). The page hands its
live feed (live.py) its filters, its map's frame and its timeline's axis, so that what
arrives is filtered as the page was and drawn where the page would draw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.bootstrap import Node
from accord.domain.alerts.cap import CATEGORIES, SEVERITIES, SEVERITY_RANK, URGENCIES, URGENCY_RANK
from accord.domain.sharing import Reader
from accord.entrypoints.api import alert_query
from accord.entrypoints.web.maps import bbox_param, situation_map
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.signin import current_session
from accord.entrypoints.web.summaries import AlertSummary, summarise
from accord.entrypoints.web.timeline import timeline
from accord.errors import Problem
from accord.services.ports import AlertQuery

router = APIRouter(include_in_schema=False)
SITUATION_SIZE = 200
TLPS = alert_query.TLPS


@dataclass(frozen=True, slots=True)
class Filters:
    """The situation page's filters, as query parameters (also its live feed's: FastAPI
    reads them from either route's query through ``Depends()``)."""

    sector: str = ""
    category: str = ""
    severity: str = ""
    urgency: str = ""
    tlp: str = ""

    def params(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        chosen = {
            "sector": self.sector,
            "category": self.category,
            "severity": self.severity,
            "urgency": self.urgency,
            "tlp": self.tlp,
        }
        return {name: value for name, value in chosen.items() if value}

    def query(self, problems: list[Problem]) -> AlertQuery:
        chosen = alert_query.members(
            [self.category] if self.category else [], CATEGORIES, "category", problems
        )
        sectors = [self.sector] if self.sector else []
        return AlertQuery(
            categories=tuple(alert_query.in_sectors(sectors, chosen, problems)),
            tlps=tuple(alert_query.members([self.tlp] if self.tlp else [], TLPS, "tlp", problems)),
            min_severity_rank=alert_query.rank(
                self.severity or None, SEVERITY_RANK, "severity", problems
            ),
            min_urgency_rank=alert_query.rank(
                self.urgency or None, URGENCY_RANK, "urgency", problems
            ),
            limit=SITUATION_SIZE,
        )


@router.get("/console", response_class=HTMLResponse)
def situation(request: Request, filters: Annotated[Filters, Depends()]) -> Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse("/signin?next=/console", status_code=303)
    node = node_of(request)
    problems: list[Problem] = []
    alerts = _listed(node, session.account.reader, filters, problems)
    drawn = situation_map(alerts)
    bars = timeline(alerts, node.clock.now(), words_for(request))
    stream = {**filters.params(), "bbox": bbox_param(drawn.bbox), "axis": bars.axis.param}
    return render(
        request,
        "console/situation.html",
        {
            "alerts": alerts,
            "map": drawn,
            "timeline": bars,
            "stream": "/console/stream?" + urlencode(stream),
            "filters": filters,
            "problems": problems,
            "choices": {
                "sector": alert_query.SECTORS,
                "category": CATEGORIES,
                "severity": SEVERITIES,
                "urgency": URGENCIES,
                "tlp": TLPS,
            },
        },
        session=session,
        status_code=400 if problems else 200,
    )


def _listed(
    node: Node, reader: Reader, filters: Filters, problems: list[Problem]
) -> list[AlertSummary]:
    """The alerts ``reader`` may read that pass ``filters``, newest first; none, and the
    reasons in ``problems``, when a filter is not valid."""
    query = filters.query(problems)
    views = [] if problems else node.alerts.search(reader, query)
    return [summarise(view, node.alerts.thread_state(view)) for view in views]
