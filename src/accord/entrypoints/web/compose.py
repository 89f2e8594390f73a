"""``/console/compose`` and ``/console/alerts/{id}/update`` and ``/cancel``: a focal point
(or admin) writes a CAP 1.2 alert, or an Update or Cancel that follows one of their
participant's alerts, in a form.

The form becomes CAP JSON and goes through what ``POST /api/v1/alerts`` does: the same
reader and CAP rules, then ``node.alerts.issue`` with the TLP and audience chosen, under the
signed-in user's own Account. Every problem comes back next to the field it is about.
The area's geocode may be a country picked from the gazetteer (gazetteer.py): it names an
area left undescribed and is outlined on the form's map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.adapters.cap_xml import read_cap_json
from accord.bootstrap import Node
from accord.domain.alerts.cap import (
    CATEGORIES,
    CERTAINTIES,
    RESPONSE_TYPES,
    SCOPES,
    SEVERITIES,
    STATUSES,
    URGENCIES,
)
from accord.domain.identity import ISSUING_ROLES
from accord.domain.sharing import Tlp, scope_for_alert
from accord.domain.untrusted import check_fields
from accord.entrypoints.web import composing, security
from accord.entrypoints.web.drawing import drawing_map, jurisdictions
from accord.entrypoints.web.gazetteer import gazetteer
from accord.entrypoints.web.languages import N_
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.signin import current_session
from accord.errors import (
    AccordError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)
from accord.services.alerts import AlertView, IncomingAlert, Receipt
from accord.services.ports import Account
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
MAX_COMPOSE_BYTES = 256 * 1024  # a drawn polygon can be long
MAX_COMPOSE_FIELDS = 200  # the fields plus one audience box per participant
CHOICES = {
    "status": STATUSES,
    "scope": SCOPES,
    "category": CATEGORIES,
    "response_type": RESPONSE_TYPES,
    "urgency": URGENCIES,
    "severity": SEVERITIES,
    "certainty": CERTAINTIES,
    "tlp": tuple(level.value for level in Tlp),
}
TITLES = {
    "Alert": N_("Compose an alert"),
    "Update": N_("Update an alert"),
    "Cancel": N_("Cancel an alert"),
}


@dataclass(frozen=True, slots=True)
class Followed:
    """The message an Update or Cancel follows, as the form shows and references it."""

    view: AlertView
    alert: dict[str, Any]

    @property
    def record_id(self) -> str:
        return self.view.row.record_id

    @property
    def headline(self) -> str:
        info = (self.alert.get("info") or [{}])[0]
        return str(info.get("headline") or info.get("event") or self.alert.get("identifier"))


@router.get("/console/compose", response_class=HTMLResponse)
def compose_page(request: Request) -> Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse("/signin?next=/console/compose", status_code=303)
    refusal = _refusal(request, session)
    if refusal is not None:
        return refusal
    node = node_of(request)
    form = composing.blank_form(node.clock.now(), _sender_name(node, session.account))
    return _page(request, session, form, "Alert", None, composing.FormErrors())


@router.post("/console/compose", response_class=HTMLResponse)
async def compose(request: Request) -> Response:
    return await _post(request, "Alert", None)


@router.get("/console/alerts/{record_id}/update", response_class=HTMLResponse)
def update_page(request: Request, record_id: str) -> Response:
    return _following_page(request, record_id, "Update")


@router.post("/console/alerts/{record_id}/update", response_class=HTMLResponse)
async def update(request: Request, record_id: str) -> Response:
    return await _post(request, "Update", record_id)


@router.get("/console/alerts/{record_id}/cancel", response_class=HTMLResponse)
def cancel_page(request: Request, record_id: str) -> Response:
    return _following_page(request, record_id, "Cancel")


@router.post("/console/alerts/{record_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, record_id: str) -> Response:
    return await _post(request, "Cancel", record_id)


def _following_page(request: Request, record_id: str, msg_type: str) -> Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse(f"/signin?next=/console/alerts/{record_id}", status_code=303)
    found = _followed(request, session, record_id)
    if isinstance(found, Response):
        return found
    scope = found.view.row.scope
    form = composing.following_form(found.alert, scope.tlp.value, scope.audience)
    if msg_type == "Cancel":
        form = composing.cancelling(form)
    return _page(request, session, form, msg_type, found, composing.FormErrors())


async def _post(request: Request, msg_type: str, record_id: str | None) -> Response:
    fields = await _read_fields(request)
    session = current_session(request)
    if session is None:
        return RedirectResponse("/signin?next=/console", status_code=303)
    found = None if record_id is None else _followed(request, session, record_id)
    if isinstance(found, Response):
        return found
    refusal = _refusal(request, session)
    if refusal is not None:
        return refusal
    flat = {name: values[0] for name, values in fields.items()}
    _ = words_for(request).gettext
    if not security.form_is_genuine(request, session.csrf_token, flat):
        message = _("The form had expired or did not come from this site; nothing was sent.")
        return _error(request, session, _("Not sent"), message, 403)
    places = await run_in_threadpool(gazetteer)  # read from disk on the first call only
    form = composing.named_area(composing.posted_form(fields), places.names())
    if "preview" in fields:  # "Show on the map": the form again, its country drawn, not sent
        errors = composing.sorted_problems(composing.geocode_problems(form, places, _))
        status = 422 if errors else 200
        return _page(request, session, form, msg_type, found, errors, status, previewed=True)
    node = node_of(request)
    form_problems = composing.geocode_problems(form, places, _)
    outcome = await run_in_threadpool(
        _send, node, session.account, form, msg_type, found, form_problems
    )
    if isinstance(outcome, Receipt):
        return RedirectResponse(f"/console/alerts/{outcome.record_id}", status_code=303)
    errors = composing.sorted_problems(_problems_of(outcome))
    return _page(request, session, form, msg_type, found, errors, status_code=_status(outcome))


def _send(
    node: Node,
    account: Account,
    form: composing.AlertForm,
    msg_type: str,
    found: Followed | None,
    form_problems: list[Problem],
) -> Receipt | AccordError:
    """Issue the form's alert as the API would; the error when it is refused. The form's
    own rule (an ``ISO3166-1`` geocode must be a country the gazetteer knows: its
    ``form_problems``) is checked with the API's, and its problem shown with theirs."""
    participant = account.participant or ""
    sent = node.clock.now()
    mapping = composing.cap_json(
        form,
        identifier=composing.new_identifier(participant, sent),
        sender=composing.sender_of(account.username, participant, node.settings.node_name),
        sent=sent,
        msg_type=msg_type,
        references=composing.reference_to(found.alert) if found else None,
    )
    tlp, audience = form["tlp"] or None, list(form.audience)
    try:
        document = read_cap_json(mapping)
    except InvalidInputError as exc:
        scope_problems = _scope_problems(node, mapping.get("scope", ""), tlp, audience)
        return InvalidInputError(str(exc), [*exc.problems, *form_problems, *scope_problems])
    if form_problems:
        scope_problems = _scope_problems(node, mapping.get("scope", ""), tlp, audience)
        return InvalidInputError("the alert is not valid", [*form_problems, *scope_problems])
    incoming = IncomingAlert(
        alert=document.alert,
        original=json.dumps(mapping, ensure_ascii=False).encode("utf-8"),
        content_type="application/json",
        signature_status=document.signature.status,
        signature_detail=document.signature.detail,
        warnings=document.warnings,
    )
    try:
        (result,) = node.alerts.issue(account, [incoming], tlp=[tlp], audience=[audience])
    except AccordError as exc:
        return exc
    return result


def _scope_problems(
    node: Node, cap_scope: str, tlp: str | None, audience: list[str]
) -> tuple[Problem, ...]:
    """The TLP and audience's own problems, so that they show with the CAP ones at once."""
    known = {p["code"] for p in node.identity.list_participants()}
    try:
        scope_for_alert(cap_scope, tlp, audience, known)
    except InvalidInputError as exc:
        return exc.problems
    return ()


def _problems_of(error: AccordError) -> tuple[Problem, ...]:
    if isinstance(error, InvalidInputError) and error.problems:
        return error.problems
    return (Problem("/", type(error).__name__, str(error)),)


def _status(error: AccordError) -> int:
    if isinstance(error, InvalidInputError):
        return 422
    return 403 if isinstance(error, PermissionDeniedError) else 409


def _followed(request: Request, session: WebSession, record_id: str) -> Followed | Response:
    """The alert an Update or Cancel would follow, or the page saying why it may not:
    unreadable ones are "not found" as in the API; others' alerts and cancelled threads
    cannot be followed from here."""
    node = node_of(request)
    _ = words_for(request).gettext
    try:
        view = node.alerts.get(session.account.reader, record_id[:128])
    except NotFoundError:
        message = _("There is no alert here that you may read.")
        return _error(request, session, _("No such alert"), message, 404)
    refusal = _refusal(request, session)
    if refusal is not None:
        return refusal
    if view.row.author != session.account.participant:
        message = _("Only %(participant)s's focal points and admins may update or cancel it.") % {
            "participant": view.row.author
        }
        return _error(request, session, _("Not your alert"), message, 403)
    if node.alerts.thread_state(view) == "cancelled":
        message = _("This alert's thread has been cancelled; it can no longer be updated.")
        return _error(request, session, _("Thread cancelled"), message, 409)
    return Followed(view, json.loads(view.row.body))


def _refusal(request: Request, session: WebSession) -> Response | None:
    """The 403 page for users who may not issue alerts (the API's rule), else None."""
    account = session.account
    if account.role in ISSUING_ROLES and account.participant is not None:
        return None
    _ = words_for(request).gettext
    message = _(
        "A %(role)s may not issue alerts: only focal points and admins of a participant may."
    ) % {"role": account.role.value}
    return _error(request, session, _("Not allowed"), message, 403)


def _sender_name(node: Node, account: Account) -> str:
    """The user's agency, else their participant's name: what ``senderName`` starts as."""
    users = {u["username"]: u for u in node.identity.list_users()}
    agency = users.get(account.username, {}).get("agency")
    if agency:
        return str(agency)
    names = {p["code"]: p["name"] for p in node.identity.list_participants()}
    return str(names.get(account.participant, account.participant or ""))


def _page(
    request: Request,
    session: WebSession,
    form: composing.AlertForm,
    msg_type: str,
    found: Followed | None,
    errors: composing.FormErrors,
    status_code: int = 200,
    *,
    previewed: bool = False,
) -> Response:
    node = node_of(request)
    frame = jurisdictions(node.identity.list_agencies())
    participants = node.identity.list_participants()
    places = gazetteer()
    region_codes = [p["code"] for p in participants if p["kind"] == "state"]
    picked = places.first(composing.country_codes(form))
    unlisted = bool(form["geocode_country"]) and form["geocode_country"] not in places
    action = "/console/compose" if found is None else f"/console/alerts/{found.record_id}/"
    return render(
        request,
        "compose/form.html",
        {
            "title": words_for(request).gettext(TITLES[msg_type]),
            "msg_type": msg_type,
            "action": action if found is None else action + msg_type.lower(),
            "followed": found,
            "form": form,
            "errors": errors,
            "choices": CHOICES,
            "participants": participants,
            "countries": places.ordered(region_codes),
            "unlisted_country": unlisted,
            "previewed": previewed,
            "picked": picked,
            "sender": composing.sender_of(
                session.account.username, session.account.participant or "", node.settings.node_name
            ),
            "map": drawing_map(
                frame, form["polygon"], form["circle"], picked.outline if picked else None
            ),
        },
        session=session,
        status_code=status_code,
    )


def _error(
    request: Request, session: WebSession, title: str, message: str, status_code: int
) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "message": message},
        session=session,
        status_code=status_code,
    )


async def _read_fields(request: Request) -> dict[str, list[str]]:
    """The posted form with every value of each field (the audience boxes repeat); empty
    when too big or not a form, which then fails its CSRF check."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_COMPOSE_BYTES:
        return {}
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_COMPOSE_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        return {}
    check_fields(fields)  # NUL: a 422 naming the field
    return fields
