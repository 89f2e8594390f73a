"""``/log``: the signed checkpoint and its history, verifier keys, entries within scope,
proofs, cosignatures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from accord.entrypoints.api.auth import CurrentReader, node_of
from accord.entrypoints.api.bodies import read_text_body
from accord.services.log import HISTORY_PAGE, MAX_HISTORY_PAGE, MAX_PAGE

router = APIRouter(prefix="/log", tags=["log"])
Index = Annotated[int, Query(ge=0, le=2**62)]
Size = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The newest signed checkpoint (C2SP signed note) with witness cosignatures",
)
def checkpoint(request: Request) -> PlainTextResponse:
    return PlainTextResponse(node_of(request).log.checkpoint_note())


@router.get(
    "/checkpoints",
    summary="Every signed checkpoint, newest first, with its witness cosignatures",
)
def checkpoint_history(
    request: Request,
    before: Annotated[
        int | None,
        Query(ge=1, le=2**62, description="checkpoints older than this id: `next` of a page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = HISTORY_PAGE,
) -> dict[str, Any]:
    return node_of(request).log.checkpoint_history(before, limit).to_json()


@router.get("/key", response_class=PlainTextResponse, summary="The log's verifier key")
def log_key(request: Request) -> PlainTextResponse:
    return PlainTextResponse(node_of(request).log.verifier_key + "\n")


@router.get("/keys", summary="The log key and every participant's signing keys")
def keys(request: Request) -> dict[str, Any]:
    return node_of(request).keys.published()


@router.get(
    "/entries", summary="Entries in [start, end): in full within your scope, else leaf hashes"
)
def entries(
    request: Request,
    reader: CurrentReader,
    start: Index = 0,
    end: Annotated[
        int | None, Query(ge=0, le=2**62, description=f"at most {MAX_PAGE} per page")
    ] = None,
) -> dict[str, Any]:
    return node_of(request).log.entries(reader, start, end)


@router.get("/proof/inclusion", summary="RFC 9162 inclusion proof of entry `index`")
def inclusion(request: Request, index: Index, size: Size = None) -> dict[str, Any]:
    return node_of(request).log.inclusion(index, size)


@router.get(
    "/witnessed",
    summary="When witnesses saw the log without entry `index` and with it, with evidence",
)
def witnessed(request: Request, index: Index) -> dict[str, Any]:
    return node_of(request).log.witnessed(index)


@router.get("/proof/consistency", summary="RFC 9162 consistency proof between two sizes")
def consistency(
    request: Request,
    old_size: Annotated[int, Query(alias="from", ge=1, le=2**62)],
    new_size: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
) -> dict[str, Any]:
    return node_of(request).log.consistency(old_size, new_size)


@router.post(
    "/cosignatures",
    summary="A witness's C2SP cosignature/v1 line for the newest checkpoint",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
)
async def cosign(request: Request, size: Size = None) -> dict[str, Any]:
    """``size``: cosign the checkpoint of that size rather than the newest."""
    line = await read_text_body(request, limit=4096)
    stored = await run_in_threadpool(node_of(request).log.add_cosignature, line, size)
    return {"stored": stored}
