"""``/console/admin``: the node admin's page of participants, agencies, users, API tokens
and signing keys, with a form for each thing the admin API does (and setting a user's
password). Everyone else is refused with 403, on every page and every form, before
anything is read or changed.

A new API token is shown once, on the page that answers the form that issued it (sent
``no-store`` like every console page); only its hash is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.domain.identity import ParticipantKind, Role, Sector
from accord.entrypoints.web.form_problems import FormProblems, attempt, parse_id, polygon_geojson
from accord.entrypoints.web.languages import N_
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.security import form_is_genuine, read_form
from accord.entrypoints.web.signin import current_session
from accord.errors import NotFoundError
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
PAGE = "/console/admin"
ROLES = tuple(role.value for role in Role if role is not Role.PUBLIC)
DONE = {  # translated where shown
    "participant": N_("The participant was added; its signing key was made and registered."),
    "agency": N_("The agency was added."),
    "sender": N_("The sender was registered; alerts under it from anyone else are refused."),
    "user": N_("The user was added. Set a password for the console, or issue an API token."),
    "password": N_("The password was set; the user's open sessions have ended."),
    "revoked": N_("The token was revoked; it no longer authenticates."),
    "key": N_("The participant's key was rotated; the new key is listed below."),
}
# problem location -> form field, per form
ALIASES = {
    "participant": {"code": "code", "name": "name", "kind": "kind"},
    "agency": {"participant": "participant", "name": "name", "sector": "sector", "area": "area"},
    "sender": {"participant": "participant", "sender": "sender"},
    "user": {"username": "username", "role": "role", "participant": "participant"},
    "password": {"password": "password", "username": "username"},
    "token": {"username": "username", "label": "label"},
}
Gate = tuple[WebSession, dict[str, str]] | Response


def _admin(request: Request) -> WebSession | Response:
    """The signed-in admin's session, or the answer refusing anyone else."""
    session = current_session(request)
    if session is None:
        return RedirectResponse(f"/signin?next={PAGE}", status_code=303)
    if session.account.role is not Role.ADMIN:
        _ = words_for(request).gettext
        return render(
            request,
            "error.html",
            {"title": _("Admins only"), "message": _("Only a node admin may use the admin pages.")},
            session=session,
            status_code=403,
        )
    return session


async def _admin_form(request: Request) -> Gate:
    """The admin's session and the posted form, or the answer refusing it."""
    session = _admin(request)
    if isinstance(session, Response):
        return session
    form = await read_form(request)
    if not form_is_genuine(request, session.csrf_token, form):
        _ = words_for(request).gettext
        return render(
            request,
            "error.html",
            {"title": _("Not changed"), "message": _("The form did not come from this site.")},
            session=session,
            status_code=403,
        )
    return session, form


@router.get(PAGE, response_class=HTMLResponse)
def admin_page(request: Request, done: str = "") -> Response:
    session = _admin(request)
    if isinstance(session, Response):
        return session
    notice = words_for(request).gettext(DONE[done]) if done in DONE else None
    return _page(request, session, notice=notice)


def _page(
    request: Request,
    session: WebSession,
    *,
    failed: str = "",
    problems: FormProblems | None = None,
    values: dict[str, str] | None = None,
    issued: dict[str, Any] | None = None,
    notice: str | None = None,
) -> Response:
    node = node_of(request)
    published = node.keys.published()
    return render(
        request,
        "admin/index.html",
        {
            "participants": node.identity.list_participants(),
            "agencies": node.identity.list_agencies(),
            "senders": node.identity.list_senders(),
            "users": node.identity.list_users(),
            "tokens": node.identity.list_tokens(),
            "log_key": published["log"],
            "keys": published["participants"],
            "rotatable": {c for c in _current_keys(published) if node.keys.writes_for(c)},
            "failed": failed,
            "problems": problems or FormProblems(),
            "values": values or {},
            "issued": issued,
            "notice": notice,
            "choices": {"kind": [k.value for k in ParticipantKind], "role": ROLES},
            "sectors": [s.value for s in Sector],
        },
        session=session,
        status_code=422 if problems else 200,
    )


def _current_keys(published: dict[str, Any]) -> set[str]:
    return {k["participant"] for k in published["participants"] if not k["retired_at"]}


async def _change(
    request: Request, name: str, action: Callable[[dict[str, str]], object]
) -> Response:
    """Post-redirect-get for one form: the page again with ``done`` on success, or the
    page with the problems beside the form's fields."""
    gate = await _admin_form(request)
    if isinstance(gate, Response):
        return gate
    session, form = gate
    outcome = await run_in_threadpool(attempt, lambda: action(form), ALIASES.get(name, {}))
    if isinstance(outcome, FormProblems):
        values = {k: v for k, v in form.items() if k not in ("csrf_token", "password")}
        return _page(request, session, failed=name, problems=outcome, values=values)
    anchor = {"password": "users", "revoked": "tokens", "key": "keys"}.get(name, f"{name}s")
    return RedirectResponse(f"{PAGE}?done={name}#{anchor}", status_code=303)


@router.post(f"{PAGE}/participants")
async def add_participant(request: Request) -> Response:
    identity = node_of(request).identity
    return await _change(
        request,
        "participant",
        lambda f: identity.add_participant(
            f.get("code", "").strip().upper(), f.get("name", "").strip(), f.get("kind", "")
        ),
    )


@router.post(f"{PAGE}/agencies")
async def add_agency(request: Request) -> Response:
    identity = node_of(request).identity
    gettext = words_for(request).gettext

    def add(form: dict[str, str]) -> object:
        area = polygon_geojson(form.get("area", ""), "/area", gettext)
        return identity.add_agency(
            form.get("participant", ""), form.get("name", "").strip(), form.get("sector", ""), area
        )

    return await _change(request, "agency", add)


@router.post(f"{PAGE}/senders")
async def add_sender(request: Request) -> Response:
    identity = node_of(request).identity
    return await _change(
        request,
        "sender",
        lambda f: identity.add_sender(f.get("participant", ""), f.get("sender", "")),
    )


@router.post(f"{PAGE}/users")
async def add_user(request: Request) -> Response:
    identity = node_of(request).identity
    return await _change(
        request,
        "user",
        lambda f: identity.add_user(
            f.get("username", "").strip(),
            f.get("role", ""),
            f.get("participant") or None,
            f.get("agency") or None,
        ),
    )


@router.post(f"{PAGE}/passwords")
async def set_password(request: Request) -> Response:
    sessions = node_of(request).sessions
    return await _change(
        request,
        "password",
        lambda f: sessions.set_password(f.get("username", ""), f.get("password", "")),
    )


@router.post(f"{PAGE}/tokens", response_class=HTMLResponse)
async def issue_token(request: Request) -> Response:
    """The token appears in this answer only (the page is not stored: no-store)."""
    gate = await _admin_form(request)
    if isinstance(gate, Response):
        return gate
    session, form = gate
    identity = node_of(request).identity
    username, label = form.get("username", ""), form.get("label", "").strip()[:200]
    outcome = await run_in_threadpool(
        attempt, lambda: identity.issue_token(username, label), ALIASES["token"]
    )
    if isinstance(outcome, FormProblems):
        values = {"username": username, "label": label}
        return _page(request, session, failed="token", problems=outcome, values=values)
    return _page(request, session, issued=outcome)


@router.post(f"{PAGE}/tokens/{{token_id}}/revoke")
async def revoke_token(request: Request, token_id: str) -> Response:
    identity = node_of(request).identity
    number = parse_id(token_id)
    return await _change(
        request, "revoked", lambda _f: identity.revoke_token(number if number else 0)
    )


@router.get(f"{PAGE}/keys/{{participant}}/rotate", response_class=HTMLResponse)
def confirm_rotation(request: Request, participant: str) -> Response:
    session = _admin(request)
    if isinstance(session, Response):
        return session
    node = node_of(request)
    code = participant[:32]
    if code not in _current_keys(node.keys.published()) or not node.keys.writes_for(code):
        _ = words_for(request).gettext
        return render(
            request,
            "error.html",
            {
                "title": _("No such key"),
                "message": _("This node holds no key of that participant."),
            },
            session=session,
            status_code=404,
        )
    return render(request, "admin/rotate.html", {"participant": code}, session=session)


@router.post(f"{PAGE}/keys/{{participant}}/rotate")
async def rotate_key(request: Request, participant: str) -> Response:
    keys = node_of(request).keys
    code = participant[:32]
    gettext = words_for(request).gettext

    def rotate(_form: dict[str, str]) -> object:
        if code not in _current_keys(keys.published()) or not keys.writes_for(code):
            message = gettext("this node holds no key of %(participant)s")
            raise NotFoundError(message % {"participant": code})
        return keys.rotate(code)

    return await _change(request, "key", rotate)
