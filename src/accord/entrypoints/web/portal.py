"""The public portal: TLP:CLEAR alerts on a map and in a list, one page per alert, and the
compliance scoreboard. Everything here is read as the anonymous reader, signed in or not.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from accord.domain.sharing import ANONYMOUS
from accord.entrypoints.web.maps import situation_map
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.signin import current_session
from accord.entrypoints.web.summaries import summarise
from accord.errors import NotFoundError
from accord.services.ports import AlertQuery

router = APIRouter(include_in_schema=False)
PORTAL_SIZE = 100
STATUS_COLUMNS = ("met", "late", "missed", "pending", "not-applicable")


@router.get("/", response_class=HTMLResponse)
def portal(request: Request) -> HTMLResponse:
    node = node_of(request)
    views = node.alerts.search(ANONYMOUS, AlertQuery(statuses=("Actual",), limit=PORTAL_SIZE))
    alerts = [summarise(view, node.alerts.thread_state(view)) for view in views]
    return render(
        request,
        "portal/index.html",
        {"alerts": alerts, "map": situation_map(alerts)},
        session=current_session(request),
    )


@router.get("/alerts/{record_id}", response_class=HTMLResponse)
def public_alert(request: Request, record_id: str) -> HTMLResponse:
    node = node_of(request)
    session = current_session(request)
    _ = words_for(request).gettext
    try:
        view = node.alerts.get(ANONYMOUS, record_id[:128])
    except NotFoundError:
        return render(
            request,
            "error.html",
            {"title": _("No such public alert"), "message": _("There is no public alert here.")},
            session=session,
            status_code=404,
        )
    alert = summarise(view, node.alerts.thread_state(view))
    return render(
        request,
        "portal/alert.html",
        {
            "alert": alert,
            "map": situation_map([alert], live_only=False),
            "back_href": "/",
            "back_label": _("Public alerts"),
            "link_prefix": "/alerts/",
        },
        session=session,
    )


@router.get("/scoreboard", response_class=HTMLResponse)
def scoreboard(request: Request) -> HTMLResponse:
    boards = node_of(request).compliance.scoreboard()
    return render(
        request,
        "portal/scoreboard.html",
        {"boards": boards, "columns": _columns(boards)},
        session=current_session(request),
    )


def _columns(boards: list[dict[str, Any]]) -> list[str]:
    seen = {status for b in boards for p in b["parties"] for status in p["counts"]}
    return [*STATUS_COLUMNS, *sorted(seen - set(STATUS_COLUMNS))]
