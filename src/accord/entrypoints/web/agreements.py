"""Agreements and compliance in the console: ``/console/agreements`` (every agreement the
node holds or ships, upcoming reviews and sunsets, the reciprocity rows the user may see),
``/console/agreements/{name}`` (its obligations, every figure with its source) and
``/console/agreements/{name}/compliance`` (the compliance board).

Everything is read through ``node.compliance`` as the API reads it: agreements and the
calendar are public; the board is for the agreement's parties, the secretariat and admins,
and anyone else gets the API's "not found". Evidence outside the user's scope arrives
withheld from the service and is shown as withheld.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.domain.identity import Role
from accord.entrypoints.web import compliance_board
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.signin import current_session
from accord.errors import NotFoundError
from accord.services.ports import Account
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")  # the API's pattern for an agreement's name
CALENDAR_DAYS = 365
VIEWING_ROLES = frozenset({Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER})


def _signin(path: str) -> Response:
    return RedirectResponse(f"/signin?next={path}", status_code=303)


def _not_found(request: Request, session: WebSession, what: str) -> Response:
    """The 404 page; ``what`` is already in the reader's language."""
    return render(
        request,
        "error.html",
        {"title": words_for(request).gettext("Not found"), "message": what},
        session=session,
        status_code=404,
    )


@router.get("/console/agreements", response_class=HTMLResponse)
def agreements(request: Request) -> Response:
    session = current_session(request)
    if session is None:
        return _signin("/console/agreements")
    compliance = node_of(request).compliance
    listed = compliance.agreements()
    for summary in listed:
        summary["board"] = _may_open_board(request, session.account, summary)
    return render(
        request,
        "agreements/index.html",
        {
            "agreements": listed,
            "calendar": compliance.calendar(CALENDAR_DAYS),
            "calendar_days": CALENDAR_DAYS,
            "reciprocity": compliance.reciprocity(session.account.reader),
        },
        session=session,
    )


@router.get("/console/agreements/{name}", response_class=HTMLResponse)
def agreement(request: Request, name: str) -> Response:
    session = current_session(request)
    if session is None:
        return _signin("/console/agreements")
    try:
        if not NAME.match(name):
            raise NotFoundError("not an agreement's name")
        shown = node_of(request).compliance.agreement(name)
    except NotFoundError:
        message = words_for(request).gettext("There is no agreement of that name here.")
        return _not_found(request, session, message)
    return render(
        request,
        "agreements/agreement.html",
        {
            "agreement": shown,
            "board": _may_open_board(request, session.account, shown),
            "figures": [_figures(o["params"]) for o in shown["obligations"]],
        },
        session=session,
    )


@router.get("/console/agreements/{name}/compliance", response_class=HTMLResponse)
def compliance(request: Request, name: str) -> Response:
    session = current_session(request)
    if session is None:
        return _signin("/console/agreements")
    node = node_of(request)
    reader = session.account.reader
    try:
        if not NAME.match(name):
            raise NotFoundError("not an agreement's name")
        report = node.compliance.compliance(reader, name)
        text = node.compliance.agreement(name)
        parties = _parties(text, report["verdicts"])
        series = {p: node.compliance.series(reader, name, p, "month") for p in parties}
    except NotFoundError:
        message = words_for(request).gettext(
            "There is no agreement here whose compliance you may see."
        )
        return _not_found(request, session, message)
    at = datetime.fromisoformat(report["at"])
    obligations = [o["id"] for o in text["obligations"]]
    items, short_total = compliance_board.short_items(
        report["verdicts"], at, lambda rid: _is_alert(request, session, rid), words_for(request)
    )
    return render(
        request,
        "agreements/compliance.html",
        {
            "agreement": text,
            "report": report,
            "statuses": compliance_board.STATUSES,
            "parties": parties,
            "obligations": obligations,
            "board": compliance_board.board(report["verdicts"], parties, obligations),
            "chart": compliance_board.chart(series),
            "items": items,
            "short_total": short_total,
            "concerns": [_concern(c) for c in report["concerns"]],
        },
        session=session,
    )


def _parties(text: dict[str, Any], verdicts: list[dict[str, Any]]) -> list[str]:
    """The agreement's parties; for an agreement "of all", those with duties judged."""
    if isinstance(text["parties"], list):
        return [str(p) for p in text["parties"]]
    return sorted({str(v["participant"]) for v in verdicts})


def _is_alert(request: Request, session: WebSession, record_id: str) -> bool:
    """Whether a piece of evidence (already one the user may read) is an alert record, so
    that it can link to the alert's page; filings and other records are shown by id."""
    try:
        node_of(request).alerts.get(session.account.reader, record_id)
    except NotFoundError:
        return False
    return True


def _may_open_board(request: Request, account: Account, agreement: dict[str, Any]) -> bool:
    """Whether to link to the board: only for a loaded agreement and a user the service
    would show it to (admins, the secretariat's and parties' viewing roles). The board
    page itself asks the service, which decides; this only avoids links to a refusal."""
    if not agreement["loaded"]:
        return False
    if account.role is Role.ADMIN:
        return True
    if account.role not in VIEWING_ROLES or account.participant is None:
        return False
    secretariat = node_of(request).settings.secretariat
    parties = agreement["parties"]
    return account.participant == secretariat or parties == "all" or account.participant in parties


def _figures(params: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """An obligation's parameters flattened to rows: name, value, source, verified (None
    for a plain value, which has neither)."""
    rows: list[dict[str, Any]] = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and "value" in value and "source" in value:
            rows.append(
                {
                    "name": name,
                    "value": value["value"],
                    "source": value["source"],
                    "verified": bool(value.get("verified")),
                }
            )
        elif isinstance(value, dict):
            rows += _figures(value, f"{name}.")
        else:
            shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
            rows.append({"name": name, "value": shown, "source": None, "verified": None})
    return rows


def _concern(concern: dict[str, Any]) -> dict[str, Any]:
    """A concern for the forum: who, why, and its missed duties counted by obligation."""
    by_obligation: dict[str, int] = {}
    for duty in concern["missed"]:
        by_obligation[duty["obligation"]] = by_obligation.get(duty["obligation"], 0) + 1
    return {
        "participant": concern["participant"],
        "detail": concern["detail"],
        "periods": concern["periods"],
        "missed": sorted(by_obligation.items()),
    }
