"""``/signin`` and ``/signout``: password sign-in to a server-side session, and whose
session a request carries.

The sign-in form carries a pre-session CSRF token (a cookie and a hidden field that must
match), so no other site can sign a browser in to an account of its choosing; sign-out and
every other form carry the session's own synchronizer token.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.domain.signin import new_csrf_token
from accord.entrypoints.api.proxies import client_address
from accord.entrypoints.api.rate_limits import vouch_for_session
from accord.entrypoints.web import security
from accord.entrypoints.web.languages import Words
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.services.session_ports import WebSession
from accord.services.sessions import WRONG_CREDENTIALS, Refused, SignedIn

router = APIRouter(include_in_schema=False)
SIGNIN_FORM_AGE_S = 3600


def session_token(request: Request) -> str | None:
    return request.cookies.get(security.session_cookie_name(request))


def current_session(request: Request) -> WebSession | None:
    """The signed-in user's session, None when the request carries no live one."""
    token = session_token(request)
    session = node_of(request).sessions.resume(token) if token else None
    if token and session is not None:
        vouch_for_session(request, token)
    return session


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str | None = None) -> Response:
    target = security.local_path(next)
    if current_session(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _form(request, target, {})


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    form = await security.read_form(request)
    target = security.local_path(form.get("next"))
    expected = request.cookies.get(security.SIGNIN_COOKIE)
    words = words_for(request)
    _ = words.gettext
    if not security.form_is_genuine(request, expected, form):
        return _form(
            request,
            target,
            {
                "error": _(
                    "The sign-in form had expired or did not come from this site. Please try again."
                )
            },
            status_code=403,
        )
    outcome = await _sign_in(request, form, client_address(request))
    if not isinstance(outcome, SignedIn):
        response = _form(
            request,
            target,
            {"error": _refusal(words, outcome), "username": form.get("username", "")},
            status_code=429 if outcome.retry_after_s else 401,
        )
        if outcome.retry_after_s:
            response.headers["retry-after"] = str(outcome.retry_after_s)
        return response
    response = RedirectResponse(target, status_code=303)
    security.set_session_cookie(response, request, outcome.token)
    security.clear_cookie(response, request, security.SIGNIN_COOKIE)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    form = await security.read_form(request)
    token = session_token(request)
    session = current_session(request)
    if session is None or token is None:
        return RedirectResponse("/", status_code=303)
    if not security.form_is_genuine(request, session.csrf_token, form):
        _ = words_for(request).gettext
        return render(
            request,
            "error.html",
            {"title": _("Not signed out"), "message": _("The form did not come from this site.")},
            session=session,
            status_code=403,
        )
    node_of(request).sessions.sign_out(token)
    response = RedirectResponse("/", status_code=303)
    security.clear_cookie(response, request, security.session_cookie_name(request))
    return response


def _refusal(words: Words, refused: Refused) -> str:
    """Why sign-in was refused, in the reader's language: a wrong name or password, or
    the throttle's wait (worded here from its seconds; the service's text is English)."""
    if refused.retry_after_s:
        return words.gettext(
            "Too many failed sign-ins from here or for this account. Try again in %(wait)s."
        ) % {"wait": wait_words(words, refused.retry_after_s)}
    if refused.message == WRONG_CREDENTIALS:
        return words.gettext("The username or password is not right.")
    return refused.message


def wait_words(words: Words, seconds: int) -> str:
    """A wait as the throttle's message says it: seconds up to 89, then whole minutes."""
    if seconds < 90:
        return words.ngettext("%(num)s second", "%(num)s seconds", seconds) % {"num": seconds}
    minutes = math.ceil(seconds / 60)
    return words.ngettext("%(num)s minute", "%(num)s minutes", minutes) % {"num": minutes}


async def _sign_in(request: Request, form: dict[str, str], address: str) -> SignedIn | Refused:
    return await run_in_threadpool(
        node_of(request).sessions.sign_in,
        form.get("username", ""),
        form.get("password", ""),
        address,
    )


def _form(
    request: Request, target: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """The sign-in page with a fresh pre-session token in its form and cookie."""
    token = new_csrf_token()
    response = render(
        request,
        "signin.html",
        {"csrf_token": token, "next": target, "error": None, "username": "", **context},
        status_code=status_code,
    )
    security.set_cookie(response, request, security.SIGNIN_COOKIE, token, SIGNIN_FORM_AGE_S)
    return response
