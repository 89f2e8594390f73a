"""``/api/v1/alerts``: send CAP 1.2 alerts (XML or JSON), list and read them within scope."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from accord.adapters.cap_xml import (
    CapDocument,
    alert_to_xml,
    read_cap_json,
    read_cap_xml,
    read_cap_xml_items,
)
from accord.bootstrap import Node
from accord.domain.alerts import limits
from accord.domain.alerts.cap import (
    CATEGORIES,
    CERTAINTY_RANK,
    MSG_TYPES,
    SEVERITY_RANK,
    STATUSES,
    URGENCY_RANK,
)
from accord.entrypoints.api import alert_query
from accord.entrypoints.api.auth import CurrentAccount, CurrentReader, node_of
from accord.entrypoints.api.bodies import CAP_XML_TYPES, parse_json, read_body
from accord.entrypoints.api.problems import error_response, problem_json
from accord.errors import AccordError, InvalidInputError, Problem
from accord.services.alerts import AlertView, IncomingAlert, Receipt, alert_json
from accord.services.ports import Account, AlertQuery

router = APIRouter(prefix="/api/v1", tags=["alerts"])

_CAP_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/cap+xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "xml": {"type": "string"},
                                    "alert": {"type": "object"},
                                    "tlp": {"type": "string"},
                                    "audience": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        }
                    },
                }
            },
            "application/cap+xml": {"schema": {"type": "string"}},
        },
    }
}
TlpParam = Annotated[
    str | None, Query(description="TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")
]
AudienceParam = Annotated[
    str | None, Query(description="Comma-separated participant codes that may read it.")
]


@router.post(
    "/alerts",
    status_code=201,
    openapi_extra=_CAP_BODY,
    summary="Send one CAP 1.2 alert",
    responses={200: {"description": "Already held (same sender, identifier, sent)"}},
)
async def post_alert(
    request: Request, account: CurrentAccount, tlp: TlpParam = None, audience: AudienceParam = None
) -> JSONResponse:
    node = node_of(request)
    content_type, body = await read_body(request, node.settings.max_document_bytes)
    # Parsing, validating and writing are CPU and database work: off the event loop.
    return await run_in_threadpool(_accept_one, node, account, content_type, body, tlp, audience)


def _accept_one(
    node: Node,
    account: Account,
    content_type: str,
    body: bytes,
    tlp: str | None,
    audience: str | None,
) -> JSONResponse:
    documents = _decode(content_type, body, node.settings.max_document_bytes)
    if len(documents) != 1:
        raise InvalidInputError(
            f"the document holds {len(documents)} alerts; send it to /api/v1/alerts:batch",
            [Problem("/", "MORE_THAN_ONE_ALERT", "exactly one alert is expected here")],
        )
    members = _split(audience)
    (result,) = node.alerts.issue(
        account, [_incoming(documents[0], content_type, body)], tlp=[tlp], audience=[members]
    )
    if isinstance(result, AccordError):
        raise result
    status = 200 if result.is_duplicate else 201
    headers = {"Location": f"/api/v1/alerts/{result.record_id}"}
    return JSONResponse(_receipt_json(result), status_code=status, headers=headers)


@router.post(
    "/alerts:batch",
    openapi_extra=_BATCH_BODY,
    summary="Send many alerts; each item is accepted or refused on its own",
)
async def post_alerts_batch(
    request: Request, account: CurrentAccount, tlp: TlpParam = None, audience: AudienceParam = None
) -> dict[str, Any]:
    node = node_of(request)
    limit = node.settings.max_document_bytes * limits.BATCH_BYTES_FACTOR
    content_type, body = await read_body(request, limit)
    return await run_in_threadpool(_accept_batch, node, account, content_type, body, tlp, audience)


def _accept_batch(
    node: Node,
    account: Account,
    content_type: str,
    body: bytes,
    tlp: str | None,
    audience: str | None,
) -> dict[str, Any]:
    settings = node.settings
    items, errors = _batch_items(
        content_type, body, (settings.max_document_bytes, settings.max_batch_items), tlp, audience
    )
    valid = [(index, item) for index, item in items]
    outcomes = node.alerts.issue(
        account,
        [item[0] for _, item in valid],
        tlp=[item[1] for _, item in valid],
        audience=[item[2] for _, item in valid],
    )
    results: dict[int, dict[str, Any]] = {i: _item_error(i, e) for i, e in errors.items()}
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        results[index] = (
            _item_error(index, outcome)
            if isinstance(outcome, AccordError)
            else {"index": index, **_receipt_json(outcome)}
        )
    ordered = [results[i] for i in sorted(results)]
    accepted = sum(1 for r in ordered if r["status"] != "rejected")
    return {"accepted": accepted, "rejected": len(ordered) - accepted, "results": ordered}


@router.get("/alerts", summary="List alerts you may read, newest first")
def list_alerts(
    request: Request,
    reader: CurrentReader,
    category: Annotated[
        list[str] | None, Query(description="CAP category; repeat for any of several.")
    ] = None,
    sector: Annotated[
        list[str] | None,
        Query(description="Only the CAP categories this sector acts on; repeat for several."),
    ] = None,
    tlp: Annotated[
        list[str] | None, Query(description="TLP level; repeat for any of several.")
    ] = None,
    event: str | None = None,
    urgency: Annotated[str | None, Query(description="At least this urgency.")] = None,
    severity: Annotated[str | None, Query(description="At least this severity.")] = None,
    certainty: Annotated[str | None, Query(description="At least this certainty.")] = None,
    status: Annotated[
        list[str] | None, Query(description="CAP status; default Actual only.")
    ] = None,
    msg_type: Annotated[list[str] | None, Query(alias="msgType")] = None,
    sender: str | None = None,
    since: Annotated[datetime | None, Query(description="Sent at or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Sent before (ISO 8601).")] = None,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    thread: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: Annotated[
        str | None, Query(max_length=64, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    node = node_of(request)
    problems: list[Problem] = []
    query = AlertQuery(
        categories=tuple(
            alert_query.in_sectors(
                sector or [],
                alert_query.members(category or [], CATEGORIES, "category", problems),
                problems,
            )
        ),
        tlps=tuple(alert_query.members(tlp or [], alert_query.TLPS, "tlp", problems)),
        event=event,
        min_urgency_rank=alert_query.rank(urgency, URGENCY_RANK, "urgency", problems),
        min_severity_rank=alert_query.rank(severity, SEVERITY_RANK, "severity", problems),
        min_certainty_rank=alert_query.rank(certainty, CERTAINTY_RANK, "certainty", problems),
        statuses=tuple(alert_query.members(status or ["Actual"], STATUSES, "status", problems)),
        msg_types=tuple(alert_query.members(msg_type or [], MSG_TYPES, "msgType", problems)),
        sender=sender,
        sent_after=alert_query.aware(since, "since", problems),
        sent_before=alert_query.aware(until, "until", problems),
        bbox=alert_query.bbox(bbox, problems),
        point=alert_query.point(lat, lon, problems),
        thread_id=thread,
        before_position=alert_query.cursor(cursor, problems),
        limit=limit,
    )
    if problems:
        raise InvalidInputError("the query is not valid", problems)
    views = node.alerts.search(reader, query)
    next_cursor = alert_query.encode_cursor(views[-1].row.position) if len(views) == limit else None
    return {
        "items": [alert_json(v, node.alerts.thread_state(v)) for v in views],
        "next_cursor": next_cursor,
    }


@router.get(
    "/alerts/{record_id}",
    summary="One alert, as CAP XML or JSON by Accept",
    responses={200: {"content": {"application/cap+xml": {}, "application/json": {}}}},
)
def get_alert(request: Request, record_id: str, reader: CurrentReader) -> Response:
    node = node_of(request)
    view = node.alerts.get(reader, record_id)
    if _wants_xml(request.headers.get("accept", "")):
        return Response(cap_xml_of(view), media_type="application/cap+xml")
    body = alert_json(view, node.alerts.thread_state(view))
    row = view.row
    body["witnessed"] = node.log.timeline(row.log_index, row.position, row.created_at).to_json()
    return JSONResponse(body)


def cap_xml_of(view: AlertView) -> bytes:
    """The alert as received when it came as XML (signatures stay verifiable), else ours."""
    if view.row.content_type in CAP_XML_TYPES:
        return view.row.original
    from accord.domain.alerts.cap_json import alert_from_json

    return alert_to_xml(alert_from_json(json.loads(view.row.body)))


def _decode(content_type: str, body: bytes, max_bytes: int) -> list[CapDocument]:
    if content_type in CAP_XML_TYPES:
        return read_cap_xml(body, max_bytes=max_bytes)
    return [read_cap_json(parse_json(body), max_bytes=max_bytes)]


def _incoming(
    document: CapDocument, content_type: str, json_original: bytes | None = None
) -> IncomingAlert:
    """The alert with the bytes it came in: the XML element, or the JSON as sent."""
    is_xml = content_type in CAP_XML_TYPES
    return IncomingAlert(
        alert=document.alert,
        original=document.xml if is_xml else json_original or b"",
        content_type="application/cap+xml" if is_xml else "application/json",
        signature_status=document.signature.status,
        signature_detail=document.signature.detail,
        warnings=document.warnings,
    )


BatchItem = tuple[IncomingAlert, str | None, list[str] | None]


def _batch_items(
    content_type: str, body: bytes, bounds: tuple[int, int], tlp: str | None, audience: str | None
) -> tuple[list[tuple[int, BatchItem]], dict[int, AccordError]]:
    """The batch's items, each read on its own against the per-document limits
    (``bounds``: bytes per alert, items per batch); the count is checked first."""
    max_bytes, max_items = bounds
    members = _split(audience)
    good: list[tuple[int, BatchItem]] = []
    bad: dict[int, AccordError] = {}
    if content_type in CAP_XML_TYPES:
        total = max_bytes * limits.BATCH_BYTES_FACTOR
        read = read_cap_xml_items(
            body, max_bytes=max_bytes, max_total_bytes=total, max_items=max_items
        )
        for index, outcome in enumerate(read):
            if isinstance(outcome, AccordError):
                bad[index] = outcome
            else:
                good.append((index, (_incoming(outcome, content_type), tlp, members)))
        return good, bad
    raw_items = _json_items(body, max_items)
    for index, raw in enumerate(raw_items):
        try:
            good.append((index, _json_item(raw, max_bytes, tlp, members)))
        except AccordError as exc:
            bad[index] = exc
    return good, bad


def _json_items(body: bytes, max_items: int) -> list[Any]:
    parsed = parse_json(body)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("items"), list):
        raise InvalidInputError(
            "a batch is an object with an 'items' array",
            [Problem("/items", "REQUIRED", "an array of items is required")],
        )
    if len(parsed["items"]) > max_items:
        message = f"at most {max_items} items per batch"
        raise InvalidInputError("too many items", [Problem("/items", "TOO_MANY_ITEMS", message)])
    return list(parsed["items"])


def _json_item(raw: Any, max_bytes: int, tlp: str | None, audience: list[str] | None) -> BatchItem:
    if not isinstance(raw, dict) or ("xml" in raw) == ("alert" in raw):
        raise InvalidInputError(
            "an item needs exactly one of 'xml' or 'alert'",
            [
                Problem(
                    "/", "INVALID_ITEM", "give the alert as 'xml' (a string) or 'alert' (CAP JSON)"
                )
            ],
        )
    item_tlp = raw.get("tlp", tlp)
    item_audience = raw.get("audience", audience)
    if not (item_tlp is None or isinstance(item_tlp, str)) or not (
        item_audience is None
        or (isinstance(item_audience, list) and all(isinstance(a, str) for a in item_audience))
    ):
        raise InvalidInputError(
            "scope fields have the wrong type",
            [Problem("/tlp", "INVALID_SCOPE", "tlp is a string and audience an array of strings")],
        )
    if "xml" in raw:
        if not isinstance(raw["xml"], str):
            raise InvalidInputError(
                "'xml' must be a string", [Problem("/xml", "INVALID_TYPE", "must be a string")]
            )
        documents = read_cap_xml(raw["xml"].encode("utf-8"), max_bytes=max_bytes)
        if len(documents) != 1:
            raise InvalidInputError(
                "one alert per item",
                [Problem("/xml", "MORE_THAN_ONE_ALERT", "exactly one alert per item")],
            )
        return _incoming(documents[0], "application/cap+xml"), item_tlp, item_audience
    document = read_cap_json(raw["alert"], max_bytes=max_bytes)
    original = json.dumps(raw["alert"], ensure_ascii=False).encode("utf-8")
    return _incoming(document, "application/json", original), item_tlp, item_audience


def _receipt_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "status": "duplicate" if receipt.is_duplicate else "created",
        "record_id": receipt.record_id,
        "seq": receipt.seq,
        "log_index": receipt.log_index,
        "position": receipt.position,
        "author": receipt.author,
        "scope": receipt.scope.to_json(),
        "warnings": [problem_json(w) for w in receipt.warnings],
    }


def _item_error(index: int, error: AccordError) -> dict[str, Any]:
    problem = json.loads(bytes(error_response(error).body))
    return {"index": index, "status": "rejected", "problem": problem}


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _wants_xml(accept: str) -> bool:
    return any(kind in accept for kind in CAP_XML_TYPES)
