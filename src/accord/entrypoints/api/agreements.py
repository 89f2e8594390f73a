"""``/api/v1/agreements``, filings and compliance; ``/public/scoreboard`` (docs/agreements.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request

from accord.entrypoints.api.auth import AdminAccount, CurrentAccount, CurrentReader, node_of
from accord.entrypoints.api.bodies import CheckedJsonRoute
from accord.errors import InvalidInputError, Problem

router = APIRouter(tags=["agreements"], route_class=CheckedJsonRoute)
Name = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$", description="The agreement's name")
]
Participant = Annotated[str | None, Query(max_length=32, description="One party only")]

_NOTIFICATION_EXAMPLE = {
    "kind": "notification",
    "activity_id": "EE-2026-SPRING-STORM",
    "activity": "exercise",
    "start": "2026-05-04T06:00:00+00:00",
    "end": "2026-05-15T18:00:00+00:00",
    "area": "Central Estonia training areas",
    "forces": {"personnel": 9500, "battle_tanks": 40, "artillery": 60},
}


@router.get("/api/v1/agreements", summary="Public: agreements loaded here, and the built-in ones")
def list_agreements(request: Request) -> list[dict[str, Any]]:
    return node_of(request).compliance.agreements()


@router.get("/api/v1/agreements/{name}", summary="Public: one agreement, every figure's source")
def show_agreement(request: Request, name: Name) -> dict[str, Any]:
    return node_of(request).compliance.agreement(name)


@router.post("/api/v1/agreements", status_code=201, summary="Load (sign) an agreement")
def load_agreement(
    request: Request, account: AdminAccount, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """The agreement in the documented format (docs/agreements.md), or
    ``{"builtin": NAME}`` for a shipped one. The same text again changes nothing; a changed
    text needs a higher version."""
    compliance = node_of(request).compliance
    if set(body) == {"builtin"}:
        return compliance.load_builtin(account, str(body["builtin"]))
    return compliance.load(account, body)


@router.post("/api/v1/filings", status_code=201, summary="File a notification, request or reply")
def file(
    request: Request,
    account: CurrentAccount,
    body: Annotated[dict[str, Any], Body(examples=[_NOTIFICATION_EXAMPLE])],
    tlp: Annotated[str | None, Query(description="TLP of the filing; GREEN if not given")] = None,
    audience: Annotated[str | None, Query(description="Comma-separated participants")] = None,
) -> dict[str, Any]:
    """Signed for your participant and accepted even when it breaks an obligation (a late
    notice is still a notice): ``flags`` name each obligation broken and why."""
    members = [code for code in (audience or "").split(",") if code.strip()] or None
    return node_of(request).compliance.file(account, body, tlp=tlp, audience=members)


@router.get(
    "/api/v1/agreements/{name}/compliance", summary="Every party's duties under an agreement"
)
def compliance(
    request: Request,
    name: Name,
    reader: CurrentReader,
    participant: Participant = None,
    at: Annotated[
        datetime | None, Query(description="Judge as of this time (with its UTC offset)")
    ] = None,
) -> dict[str, Any]:
    if at is not None and at.tzinfo is None:
        raise InvalidInputError(
            "the time has no UTC offset",
            [Problem("at", "NO_OFFSET", "give the offset, e.g. 2027-01-01T00:00:00+00:00")],
        )
    return node_of(request).compliance.compliance(reader, name, participant=participant, at=at)


@router.get("/api/v1/agreements/{name}/series", summary="A party's verdicts counted by period")
def series(
    request: Request,
    name: Name,
    reader: CurrentReader,
    participant: Annotated[str, Query(max_length=32)],
    period: Annotated[str, Query(pattern="^(month|quarter|year)$")] = "month",
) -> list[dict[str, Any]]:
    return node_of(request).compliance.series(reader, name, participant, period)


@router.get("/api/v1/reciprocity", summary="Who shares what with whom, and whether it is returned")
def reciprocity(request: Request, reader: CurrentReader) -> list[dict[str, Any]]:
    return node_of(request).compliance.reciprocity(reader)


@router.get("/api/v1/calendar", summary="Public: upcoming reviews and sunsets; lapses")
def calendar(
    request: Request,
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> list[dict[str, Any]]:
    return node_of(request).compliance.calendar(days)


@router.get("/public/scoreboard", summary="Public: per agreement and party, counts by status")
def scoreboard(request: Request) -> list[dict[str, Any]]:
    return node_of(request).compliance.scoreboard()
