"""``/api/v1/subscriptions``, endpoints and the delivery outbox; acknowledgements and
responses to alerts; each alert's deliveries and response board."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from accord.entrypoints.api.auth import AdminAccount, CurrentAccount, node_of
from accord.entrypoints.api.bodies import CheckedJsonRoute
from accord.services.responses import delivery_json
from accord.services.subscriptions import subscription_json

router = APIRouter(prefix="/api/v1", tags=["delivery"], route_class=CheckedJsonRoute)
MAX_ID = 2**31 - 1
MAX_POSITION = 2**63 - 1
SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]
EndpointId = Annotated[int, Path(ge=1, le=MAX_ID)]

_SUBSCRIPTION_EXAMPLE = {
    "name": "Gulf of Finland oil spills",
    "agency": "Environmental Board",
    "filter": {"categories": ["Env"], "min_severity": "Moderate", "exercises": True},
    "endpoints": [
        {"kind": "webhook", "url": "https://desk.example.ee/hooks/accord", "format": "json"},
        {"kind": "email", "address": "duty-officer@example.ee"},
    ],
}


class Rotation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overlap_hours: float = Field(
        default=24, ge=0, le=168, description="How long the old secrets keep signing."
    )


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000)


@router.post("/subscriptions", status_code=201, summary="Subscribe to alerts")
def create_subscription(
    request: Request,
    account: CurrentAccount,
    body: Annotated[dict[str, Any], Body(examples=[_SUBSCRIPTION_EXAMPLE])],
) -> dict[str, Any]:
    """Filters (all optional): categories, events, event_codes, min_urgency, min_severity,
    min_certainty, senders, msg_types, tlp_ceiling, area (GeoJSON), geocodes, exercises,
    include_unlocated. Webhook secrets appear in this answer only."""
    created = node_of(request).subscriptions.create(account, body)
    return subscription_json(created.subscription, created.secrets)


@router.get("/subscriptions", summary="Your subscriptions (an admin sees all)")
def list_subscriptions(request: Request, account: CurrentAccount) -> list[dict[str, Any]]:
    return [subscription_json(row) for row in node_of(request).subscriptions.mine(account)]


@router.get("/subscriptions/{subscription_id}", summary="One of your subscriptions")
def get_subscription(
    request: Request, account: CurrentAccount, subscription_id: SubscriptionId
) -> dict[str, Any]:
    return subscription_json(node_of(request).subscriptions.get(account, subscription_id))


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
def delete_subscription(
    request: Request, account: CurrentAccount, subscription_id: SubscriptionId
) -> None:
    node_of(request).subscriptions.disable(account, subscription_id)


@router.post(
    "/subscriptions/{subscription_id}/endpoints", status_code=201, summary="Add an endpoint"
)
def add_endpoint(
    request: Request,
    account: CurrentAccount,
    subscription_id: SubscriptionId,
    body: dict[str, Any],
) -> dict[str, Any]:
    created = node_of(request).subscriptions.add_endpoint(account, subscription_id, body)
    return subscription_json(created.subscription, created.secrets)


@router.post(
    "/subscriptions/{subscription_id}/feed",
    status_code=201,
    summary="A secret Atom feed URL of the subscription (replaces the previous one)",
)
def new_feed(
    request: Request, account: CurrentAccount, subscription_id: SubscriptionId
) -> dict[str, str]:
    node = node_of(request)
    token = node.subscriptions.new_feed(account, subscription_id)
    base = (node.settings.public_url or str(request.base_url)).rstrip("/")
    return {"url": f"{base}/feeds/subscriptions/{token}.atom"}


@router.post("/endpoints/{endpoint_id}/rotate-secret", summary="Rotate a webhook secret")
def rotate_secret(
    request: Request,
    account: CurrentAccount,
    endpoint_id: EndpointId,
    body: Rotation | None = None,
) -> dict[str, Any]:
    overlap = timedelta(hours=(body or Rotation()).overlap_hours)
    secret = node_of(request).subscriptions.rotate_secret(account, endpoint_id, overlap)
    return {"endpoint": endpoint_id, "secret": secret, "old_secrets_valid_for_hours": overlap}


@router.post("/endpoints/{endpoint_id}/enable", summary="Re-enable an endpoint")
def enable_endpoint(request: Request, account: CurrentAccount, endpoint_id: EndpointId) -> None:
    node_of(request).subscriptions.set_endpoint_state(account, endpoint_id, active=True)


@router.post("/endpoints/{endpoint_id}/disable", summary="Pause an endpoint")
def disable_endpoint(request: Request, account: CurrentAccount, endpoint_id: EndpointId) -> None:
    node_of(request).subscriptions.set_endpoint_state(account, endpoint_id, active=False)


@router.get("/deliveries", summary="The delivery outbox (admins)")
def list_deliveries(
    request: Request,
    _admin: AdminAccount,
    state: Annotated[str | None, Query(pattern="^(pending|delivered|failed|cancelled)$")] = None,
    endpoint: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    counts, rows = node_of(request).subscriptions.outbox(
        state=state, endpoint_id=endpoint, after_id=after, limit=limit
    )
    return {"counts": counts, "deliveries": [delivery_json(r) for r in rows]}


@router.post("/deliveries/{delivery_id}/replay", summary="Send a failed delivery again (admins)")
def replay_delivery(
    request: Request,
    _admin: AdminAccount,
    delivery_id: Annotated[int, Path(ge=1, le=MAX_POSITION)],
) -> dict[str, Any]:
    node = node_of(request)
    node.subscriptions.replay([delivery_id])
    node.worker.wake()
    return {"replayed": delivery_id}


@router.post(
    "/alerts/{record_id}/ack", status_code=201, summary="Acknowledge an alert for your desk"
)
def acknowledge(
    request: Request,
    account: CurrentAccount,
    record_id: str,
    body: Acknowledgement | None = None,
) -> dict[str, Any]:
    return node_of(request).responses.acknowledge(
        account, record_id, (body or Acknowledgement()).note
    )


@router.post(
    "/alerts/{record_id}/responses",
    status_code=201,
    summary="Record your desk's response decision",
)
def respond(
    request: Request,
    account: CurrentAccount,
    record_id: str,
    body: Annotated[
        dict[str, Any],
        Body(examples=[{"decision": "responding", "what": "two oil-spill response vessels"}]),
    ],
) -> dict[str, Any]:
    """decision: monitoring; responding (with ``what``); no-action (with ``reason``);
    passed-on (with ``to``, a list). ``note`` is optional."""
    return node_of(request).responses.respond(account, record_id, body)


@router.get("/alerts/{record_id}/responses", summary="The response board of an alert")
def response_board(request: Request, account: CurrentAccount, record_id: str) -> dict[str, Any]:
    return node_of(request).responses.board(account, record_id)


@router.get("/alerts/{record_id}/deliveries", summary="Deliveries of an alert and their retries")
def alert_deliveries(
    request: Request, account: CurrentAccount, record_id: str
) -> list[dict[str, Any]]:
    return node_of(request).responses.deliveries(account, record_id)
