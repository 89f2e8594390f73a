"""Federation over HTTP: entries served to signed peers within their scope, and the admin
API of peers and incidents (ADR 6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from accord.adapters.federation.signatures import asgi_request_url
from accord.domain.sharing import Reader
from accord.entrypoints.api import rate_limits
from accord.entrypoints.api.auth import AdminAccount, CurrentAccount, node_of
from accord.entrypoints.api.bodies import CheckedJsonRoute
from accord.services.log import MAX_PAGE

router = APIRouter(tags=["federation"], route_class=CheckedJsonRoute)
Index = Annotated[int, Query(ge=0, le=2**62)]
ENTRIES_PATH = "/federation/v1/entries"
PEER_PATHS = frozenset({ENTRIES_PATH})  # rate-limited per peer once the signature verified


class PeerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="The peer node's base URL.")
    key: str = Field(description="The peer's log verifier key (GET /log/key on the peer).")
    participant: str = Field(description="The participant the peer node serves.")


async def _peer_reader(request: Request) -> Reader:
    """Verify the request's RFC 9421 signature against the pinned peer keys, and count it
    against that peer's rate limit."""
    node = node_of(request)
    body = await request.body()
    verifier = request.app.state.peer_verifier

    def verify() -> str:
        url = asgi_request_url(request.scope)
        key_id: str = verifier.verify(request.method, url, request.headers, body)
        return key_id

    key = rate_limits.admit_peer(request, verify)
    return await run_in_threadpool(node.federation.reader_for, key)


@router.get(
    ENTRIES_PATH,
    summary="Log entries for a signed peer: in full within its participant's scope",
)
async def peer_entries(request: Request, start: Index = 0, end: Index | None = None) -> Any:
    reader = await _peer_reader(request)
    stop = end if end is not None else start + MAX_PAGE
    return await run_in_threadpool(node_of(request).log.entries, reader, start, stop)


@router.get(
    "/federation/v1/checkpoints",
    summary="This node's newest checkpoint and the newest it verified of each peer",
)
def seen_checkpoints(request: Request) -> dict[str, Any]:
    node = node_of(request)
    own = node.log.checkpoint_note()
    return {"checkpoints": node.federation.seen_checkpoints(node.log.verifier_key, own)}


@router.get("/api/v1/peers", summary="Peers, what was verified of their logs, and their lag")
def list_peers(request: Request, _admin: AdminAccount) -> list[dict[str, Any]]:
    return node_of(request).federation.peers()


@router.post("/api/v1/peers", status_code=201, summary="Add a peer, pinned by its log key")
def add_peer(request: Request, body: PeerIn, admin: AdminAccount) -> dict[str, Any]:
    return node_of(request).federation.add_peer(admin, body.url, body.key, body.participant)


@router.post("/api/v1/peers/{peer_id}/pull", summary="Pull from a peer now")
def pull_peer(
    request: Request, _admin: AdminAccount, peer_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    report = node_of(request).federation.pull(peer_id)
    return {
        "peer": report.peer,
        "applied": report.applied,
        "hidden": report.hidden,
        "findings": [{"code": f.code, "message": f.message} for f in report.findings],
        "seen_of_other_logs": [
            {"peer": about, "code": f.code, "message": f.message}
            for about, f in report.third_parties
        ],
        "error": report.error,
    }


@router.get("/api/v1/incidents", summary="Equivocation and other misbehaviour of peers")
def list_incidents(request: Request, _account: CurrentAccount) -> list[dict[str, Any]]:
    return node_of(request).federation.incidents()
