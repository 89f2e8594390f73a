"""``/console/alerts/{record_id}``: one alert in full for a signed-in user — its whole
thread, the acknowledgement board, deliveries and their retries, the record's signature
and inclusion proof — and the forms that acknowledge it and record a response decision.

Everything is read through the same services and the same ``Account`` as the API, so a
page shows what the API would give this user and nothing more: the board and deliveries
only to the roles the service allows (deliveries only the user's own, unless admin).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.bootstrap import Node
from accord.domain.alerts.cap import STATUSES
from accord.domain.identity import ISSUING_ROLES, Role
from accord.entrypoints.web import live
from accord.entrypoints.web.alert_evidence import evidence_of
from accord.entrypoints.web.maps import situation_map
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.security import form_is_genuine, read_form
from accord.entrypoints.web.signin import current_session
from accord.entrypoints.web.summaries import summarise
from accord.errors import InvalidInputError, NotFoundError, PermissionDeniedError, Problem
from accord.services.alerts import AlertView
from accord.services.ports import Account, AlertQuery
from accord.services.responses import DECISIONS
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
THREAD_SIZE = 200
MAX_ID = 128
# The roles ResponseService lets acknowledge and respond; the form is only offered to them
# (the service still decides: a refused post shows its message).
RESPONDING_ROLES = frozenset({Role.ADMIN, Role.FOCAL_POINT, Role.ANALYST})
RESPONSE_FIELDS = ("decision", "what", "reason", "to", "note")
T = TypeVar("T")


@router.get("/console/alerts/{record_id}", response_class=HTMLResponse)
def alert_page(request: Request, record_id: str) -> Response:
    session = current_session(request)
    if session is None:
        return _to_signin(record_id)
    return _page(request, session, record_id[:MAX_ID])


@router.post("/console/alerts/{record_id}/ack")
async def acknowledge(request: Request, record_id: str) -> Response:
    form = await read_form(request)
    session = current_session(request)
    if session is None:
        return _to_signin(record_id)
    if not form_is_genuine(request, session.csrf_token, form):
        return _refused(request, session)
    node, account = node_of(request), session.account
    note = form.get("note", "")
    try:
        await run_in_threadpool(node.responses.acknowledge, account, record_id[:MAX_ID], note)
    except (InvalidInputError, PermissionDeniedError, NotFoundError) as exc:
        return _failed(request, session, record_id[:MAX_ID], exc, "ack", {"note": note})
    return RedirectResponse(_href(record_id) + "#board", status_code=303)


@router.post("/console/alerts/{record_id}/respond")
async def respond(request: Request, record_id: str) -> Response:
    form = await read_form(request)
    session = current_session(request)
    if session is None:
        return _to_signin(record_id)
    if not form_is_genuine(request, session.csrf_token, form):
        return _refused(request, session)
    node, account = node_of(request), session.account
    values = {name: form.get(name, "").strip() for name in RESPONSE_FIELDS}
    try:
        await run_in_threadpool(node.responses.respond, account, record_id[:MAX_ID], _body(values))
    except (InvalidInputError, PermissionDeniedError, NotFoundError) as exc:
        return _failed(request, session, record_id[:MAX_ID], exc, "respond", values)
    return RedirectResponse(_href(record_id) + "#board", status_code=303)


def _body(values: dict[str, str]) -> dict[str, Any]:
    """The API's response body from the form: only the fields filled in; ``to`` as a list
    (one name per comma or line)."""
    body: dict[str, Any] = {k: v for k, v in values.items() if v and k != "to"}
    if values["to"]:
        body["to"] = [part.strip() for part in values["to"].replace("\n", ",").split(",")]
        body["to"] = [part for part in body["to"] if part]
    return body


def _page(
    request: Request,
    session: WebSession,
    record_id: str,
    forms: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    node = node_of(request)
    try:
        view = node.alerts.get(session.account.reader, record_id)
    except NotFoundError:
        return _not_found(request, session)
    context = detail_context(node, session.account, view)
    context["forms"] = {"ack": _form_state(), "respond": _form_state(), **(forms or {})}
    return render(
        request, "alert_detail/alert.html", context, session=session, status_code=status_code
    )


def detail_context(node: Node, account: Account, view: AlertView) -> dict[str, Any]:
    alert = summarise(view, node.alerts.thread_state(view))
    board, board_refusal = _allowed(lambda: node.responses.board(account, alert.record_id))
    deliveries, deliveries_refusal = _allowed(
        lambda: node.responses.deliveries(account, alert.record_id)
    )
    return {
        "alert": alert,
        "signature": {"status": view.row.signature_status, "detail": view.row.signature_detail},
        "thread": _thread(node, account, view),
        "board": board,
        "board_refusal": board_refusal,
        "deliveries": deliveries,
        "deliveries_refusal": deliveries_refusal,
        "evidence": evidence_of(node, account, view),
        "map": situation_map([alert], live_only=False),
        "can_respond": account.role in RESPONDING_ROLES and account.participant is not None,
        "decisions": tuple(DECISIONS),
        "own_acknowledgement": _own_acknowledgement(board, account),
        "can_follow": may_follow(account, view.row.author, alert.state),
    }


def may_follow(account: Account, author: str, state: str | None) -> bool:
    """Whether the user may update or cancel the thread: the author's focal points and
    admins, while it is not cancelled (what /update and /cancel then check again)."""
    return account.role in ISSUING_ROLES and account.participant == author and state != "cancelled"


def _thread(node: Node, account: Account, view: AlertView) -> list[Any]:
    """Every message of the thread the user may read (any status), oldest first."""
    query = AlertQuery(thread_id=view.row.thread_id, statuses=STATUSES, limit=THREAD_SIZE)
    views = node.alerts.search(account.reader, query)
    ordered = sorted(views, key=lambda v: v.row.position)
    return [summarise(v, node.alerts.thread_state(v)) for v in ordered]


def _allowed(read: Callable[[], T]) -> tuple[T | None, str | None]:
    """What ``read`` returns, or the service's refusal in words."""
    try:
        return read(), None
    except PermissionDeniedError as exc:
        return None, str(exc)


def _own_acknowledgement(board: dict[str, Any] | None, account: Account) -> str | None:
    if board is None or account.participant is None:
        return None
    for recipient in board["recipients"]:
        if recipient["participant"] == account.participant and recipient["acknowledged_at"]:
            return str(recipient["acknowledged_at"])
    for response in board["responses"]:
        if response["participant"] == account.participant:
            return str(response["at"])
    return None


def _form_state(
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
) -> dict[str, Any]:
    return {"values": values or {}, "errors": errors or {}, "message": message}


def _failed(
    request: Request,
    session: WebSession,
    record_id: str,
    exc: InvalidInputError | PermissionDeniedError | NotFoundError,
    form: str,
    values: dict[str, str],
) -> Response:
    """The page again, with the service's messages next to the fields they concern."""
    if isinstance(exc, NotFoundError):
        return _not_found(request, session)
    problems: tuple[Problem, ...] = exc.problems if isinstance(exc, InvalidInputError) else ()
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.location.strip("/") or "form", []).append(problem.message)
    state = _form_state(values, errors, str(exc))
    status = 422 if isinstance(exc, InvalidInputError) else 403
    return _page(request, session, record_id, {form: state}, status_code=status)


def _not_found(request: Request, session: WebSession) -> Response:
    _ = words_for(request).gettext
    return render(
        request,
        "error.html",
        {"title": _("No such alert"), "message": _("There is no alert here that you may read.")},
        session=session,
        status_code=404,
    )


def _refused(request: Request, session: WebSession) -> Response:
    _ = words_for(request).gettext
    return render(
        request,
        "error.html",
        {
            "title": _("Nothing was recorded"),
            "message": _(
                "The form had expired or did not come from this site. "
                "Go back, reload the page and try again."
            ),
        },
        session=session,
        status_code=403,
    )


def _href(record_id: str) -> str:
    return "/console/alerts/" + quote(record_id[:MAX_ID], safe="")


def _to_signin(record_id: str) -> Response:
    return RedirectResponse("/signin?next=" + quote(_href(record_id), safe=""), status_code=303)


router.include_router(live.router)  # the situation page's live feed: one registration for both
