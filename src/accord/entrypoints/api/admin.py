"""Admin API: participants, agencies, users and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from accord.entrypoints.api.auth import AdminAccount, CurrentAccount, node_of
from accord.entrypoints.api.bodies import CheckedJsonRoute

router = APIRouter(prefix="/api/v1", tags=["admin"], route_class=CheckedJsonRoute)
MAX_ID = 2**31 - 1  # ids of identity rows are 32-bit INTEGER columns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParticipantIn(_Strict):
    code: str = Field(description="ISO 3166-1 alpha-2 for states; 2-32 of A-Z, 0-9, '-'.")
    name: str
    kind: str = Field(description="state or organisation")


class AgencyIn(_Strict):
    participant: str
    name: str
    sector: str = Field(
        description="defence, health, environment, disaster, cyber, border or foreign-affairs"
    )
    jurisdiction: dict[str, Any] | None = Field(
        default=None, description="A GeoJSON Polygon or MultiPolygon (WGS 84)."
    )


class UserIn(_Strict):
    username: str
    role: str = Field(description="admin, focal-point, analyst, observer or reporter")
    participant: str | None = None
    agency: str | None = None


class SenderIn(_Strict):
    sender: str = Field(
        description="A CAP sender address (ops@ema.ee) or a domain (ema.ee, covering its "
        "addresses and subdomains)."
    )


class TokenIn(_Strict):
    username: str
    label: str = ""


@router.get("/participants")
def list_participants(request: Request, _account: CurrentAccount) -> list[dict[str, Any]]:
    return node_of(request).identity.list_participants()


@router.post("/participants", status_code=201)
def add_participant(request: Request, body: ParticipantIn, _admin: AdminAccount) -> dict[str, Any]:
    return node_of(request).identity.add_participant(body.code, body.name, body.kind)


@router.get("/senders", summary="The CAP senders each participant registered")
def list_senders(request: Request, _account: CurrentAccount) -> list[dict[str, str]]:
    return node_of(request).identity.list_senders()


@router.post(
    "/participants/{code}/senders",
    status_code=201,
    summary="Register a CAP sender or domain as a participant's own",
)
def add_sender(
    request: Request,
    code: Annotated[str, Path(max_length=32)],
    body: SenderIn,
    _admin: AdminAccount,
) -> dict[str, Any]:
    return node_of(request).identity.add_sender(code, body.sender)


@router.delete("/senders/{sender}", status_code=204)
def remove_sender(
    request: Request, sender: Annotated[str, Path(max_length=255)], _admin: AdminAccount
) -> Response:
    node_of(request).identity.remove_sender(sender)
    return Response(status_code=204)


@router.get("/agencies")
def list_agencies(
    request: Request, _account: CurrentAccount, participant: str | None = None
) -> list[dict[str, Any]]:
    return node_of(request).identity.list_agencies(participant)


@router.post("/agencies", status_code=201)
def add_agency(request: Request, body: AgencyIn, _admin: AdminAccount) -> dict[str, Any]:
    return node_of(request).identity.add_agency(
        body.participant, body.name, body.sector, body.jurisdiction
    )


@router.get("/users")
def list_users(request: Request, _admin: AdminAccount) -> list[dict[str, Any]]:
    return node_of(request).identity.list_users()


@router.post("/users", status_code=201)
def add_user(request: Request, body: UserIn, _admin: AdminAccount) -> dict[str, Any]:
    return node_of(request).identity.add_user(
        body.username, body.role, body.participant, body.agency
    )


@router.get("/tokens")
def list_tokens(
    request: Request, _admin: AdminAccount, username: str | None = None
) -> list[dict[str, Any]]:
    return node_of(request).identity.list_tokens(username)


@router.post("/tokens", status_code=201, summary="Issue a token; shown once, only its hash kept")
def issue_token(request: Request, body: TokenIn, _admin: AdminAccount) -> dict[str, Any]:
    return node_of(request).identity.issue_token(body.username, body.label)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=MAX_ID)], _admin: AdminAccount
) -> Response:
    node_of(request).identity.revoke_token(token_id)
    return Response(status_code=204)


@router.get("/whoami", tags=["node"])
def whoami(account: CurrentAccount) -> dict[str, Any]:
    return {
        "username": account.username,
        "role": account.role.value,
        "participant": account.participant,
    }
