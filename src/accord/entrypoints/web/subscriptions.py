"""``/console/subscriptions``: a signed-in user's subscriptions, their filters, endpoints
and delivery health; creating and disabling them, adding endpoints, pausing and resuming
them, rotating webhook secrets and making a secret feed URL.

Exactly what the API lets the same account do (services/subscriptions.py decides): a user
sees and changes only their own subscriptions (an admin all of them); anyone else's is
"not found". Webhook secrets and feed URLs are shown once, in the answer to the form that
made them, on a page sent ``no-store``; they are never put in a URL or a cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.entrypoints.web.form_problems import (
    FormProblems,
    attempt,
    first_values,
    parse_id,
    read_fields,
)
from accord.entrypoints.web.languages import N_
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.security import form_is_genuine
from accord.entrypoints.web.signin import current_session
from accord.entrypoints.web.subscription_forms import (
    ALIASES,
    CHOICES,
    endpoint_spec,
    filter_lines,
    overlap,
    subscription_body,
)
from accord.errors import NotFoundError
from accord.services.delivery_ports import SubscriptionRow
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
PAGE = "/console/subscriptions"
DONE = {  # translated where shown
    "created": N_("The subscription was made."),
    "disabled": N_("The subscription was disabled; nothing more is delivered for it."),
    "paused": N_("The endpoint was paused; nothing is sent to it until it is resumed."),
    "resumed": N_("The endpoint was resumed."),
}


@dataclass
class Shown:
    """What one answer shows once: new webhook secrets by endpoint id, a feed URL."""

    secrets: dict[int, str] = field(default_factory=dict)
    feed_url: str | None = None


def _signed_in(request: Request, back: str = PAGE) -> WebSession | Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse(f"/signin?next={back}", status_code=303)
    return session


def _notice(request: Request, done: str) -> str | None:
    """The fixed notice ``?done=`` chooses, in the reader's language."""
    return words_for(request).gettext(DONE[done]) if done in DONE else None


def _error(request: Request, session: WebSession, status: int) -> Response:
    _ = words_for(request).gettext
    title, message = {
        403: (_("Not changed"), _("The form did not come from this site.")),
        404: (_("No such subscription"), _("You have no subscription or endpoint here.")),
    }[status]
    context = {"title": title, "message": message}
    return render(request, "error.html", context, session=session, status_code=status)


@router.get(PAGE, response_class=HTMLResponse)
def subscriptions_page(request: Request, done: str = "") -> Response:
    session = _signed_in(request)
    if isinstance(session, Response):
        return session
    return _list(request, session, notice=_notice(request, done))


def _list(
    request: Request,
    session: WebSession,
    *,
    problems: FormProblems | None = None,
    values: dict[str, Any] | None = None,
    notice: str | None = None,
) -> Response:
    rows = node_of(request).subscriptions.mine(session.account)
    words = words_for(request)
    context = {
        "subscriptions": [(row, filter_lines(row.filter, words)) for row in rows],
        "problems": problems,
        "values": values or {},
        "choices": CHOICES,
        "notice": notice,
    }
    status = 422 if problems else 200
    return render(request, "subscriptions/index.html", context, session=session, status_code=status)


def _detail(
    request: Request,
    session: WebSession,
    row: SubscriptionRow,
    *,
    shown: Shown | None = None,
    failed: str = "",
    problems: FormProblems | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    health = node_of(request).subscriptions.health(session.account, row.id)
    context = {
        "subscription": row,
        "filter": filter_lines(row.filter, words_for(request)),
        "health": health,
        "shown": shown or Shown(),
        "failed": failed,
        "problems": problems,
        "values": values or {},
        "choices": CHOICES,
        "notice": notice,
    }
    status = 422 if problems else 200
    return render(
        request, "subscriptions/detail.html", context, session=session, status_code=status
    )


@router.post(PAGE, response_class=HTMLResponse)
async def create(request: Request) -> Response:
    session = _signed_in(request)
    if isinstance(session, Response):
        return session
    fields = await read_fields(request)
    form = first_values(fields)
    if not form_is_genuine(request, session.csrf_token, form):
        return _error(request, session, 403)
    service = node_of(request).subscriptions
    gettext = words_for(request).gettext
    outcome = await run_in_threadpool(
        attempt,
        lambda: service.create(session.account, subscription_body(fields, gettext)),
        ALIASES,
    )
    if isinstance(outcome, FormProblems):
        values: dict[str, Any] = {**form, "categories": fields.get("categories", [])}
        return _list(request, session, problems=outcome, values=values)
    if not outcome.secrets:
        return RedirectResponse(f"{PAGE}/{outcome.subscription.id}?done=created", 303)
    return _detail(
        request,
        session,
        outcome.subscription,
        shown=Shown(outcome.secrets),
        notice=_notice(request, "created"),
    )


def _owned(request: Request, session: WebSession, subscription_id: str) -> SubscriptionRow | None:
    number = parse_id(subscription_id)
    if number is None:
        return None
    try:
        return node_of(request).subscriptions.get(session.account, number)
    except NotFoundError:
        return None


@router.get(PAGE + "/{subscription_id}", response_class=HTMLResponse)
def subscription_page(request: Request, subscription_id: str, done: str = "") -> Response:
    session = _signed_in(request)
    if isinstance(session, Response):
        return session
    row = _owned(request, session, subscription_id)
    if row is None:
        return _error(request, session, 404)
    return _detail(request, session, row, notice=_notice(request, done))


@router.get(PAGE + "/{subscription_id}/disable", response_class=HTMLResponse)
def confirm_disable(request: Request, subscription_id: str) -> Response:
    session = _signed_in(request)
    if isinstance(session, Response):
        return session
    row = _owned(request, session, subscription_id)
    if row is None:
        return _error(request, session, 404)
    return render(request, "subscriptions/disable.html", {"subscription": row}, session=session)


Action = Callable[[WebSession, SubscriptionRow, dict[str, str]], Response]


async def _on_subscription(
    request: Request, subscription_id: str, endpoint_id: str | None, action: Action
) -> Response:
    """Run ``action`` for a POST on one of the user's subscriptions (and, when named, one
    of its endpoints): signed in, then the CSRF token, then ownership (404 otherwise)."""
    session = _signed_in(request)
    if isinstance(session, Response):
        return session
    form = first_values(await read_fields(request))
    if not form_is_genuine(request, session.csrf_token, form):
        return _error(request, session, 403)
    row = await run_in_threadpool(_owned, request, session, subscription_id)
    if row is None:
        return _error(request, session, 404)
    if endpoint_id is not None and parse_id(endpoint_id) not in {e.id for e in row.endpoints}:
        return _error(request, session, 404)
    return await run_in_threadpool(action, session, row, form)


def _with_problems(
    request: Request,
    session: WebSession,
    row: SubscriptionRow,
    name: str,
    form: dict[str, str],
    problems: FormProblems,
) -> Response:
    """The detail page again with ``problems`` beside form ``name``."""
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    return _detail(request, session, row, failed=name, problems=problems, values=values)


@router.post(PAGE + "/{subscription_id}/disable")
async def disable(request: Request, subscription_id: str) -> Response:
    def act(session: WebSession, row: SubscriptionRow, _form: dict[str, str]) -> Response:
        node_of(request).subscriptions.disable(session.account, row.id)
        return RedirectResponse(f"{PAGE}?done=disabled", status_code=303)

    return await _on_subscription(request, subscription_id, None, act)


@router.post(PAGE + "/{subscription_id}/endpoints", response_class=HTMLResponse)
async def add_endpoint(request: Request, subscription_id: str) -> Response:
    def act(session: WebSession, row: SubscriptionRow, form: dict[str, str]) -> Response:
        service = node_of(request).subscriptions
        spec = endpoint_spec({"kind": "", **form}) or {}
        outcome = attempt(lambda: service.add_endpoint(session.account, row.id, spec), ALIASES)
        if isinstance(outcome, FormProblems):
            return _with_problems(request, session, row, "endpoint", form, outcome)
        return _detail(request, session, outcome.subscription, shown=Shown(outcome.secrets))

    return await _on_subscription(request, subscription_id, None, act)


@router.post(PAGE + "/{subscription_id}/feed", response_class=HTMLResponse)
async def new_feed(request: Request, subscription_id: str) -> Response:
    def act(session: WebSession, row: SubscriptionRow, _form: dict[str, str]) -> Response:
        node = node_of(request)
        token = node.subscriptions.new_feed(session.account, row.id)
        base = (node.settings.public_url or str(request.base_url)).rstrip("/")
        shown = Shown(feed_url=f"{base}/feeds/subscriptions/{token}.atom")
        return _detail(request, session, row, shown=shown)

    return await _on_subscription(request, subscription_id, None, act)


@router.post(PAGE + "/{subscription_id}/endpoints/{endpoint_id}/rotate")
async def rotate_secret(request: Request, subscription_id: str, endpoint_id: str) -> Response:
    def act(session: WebSession, row: SubscriptionRow, form: dict[str, str]) -> Response:
        service, number = node_of(request).subscriptions, int(endpoint_id)
        gettext = words_for(request).gettext
        outcome = attempt(
            lambda: service.rotate_secret(session.account, number, overlap(form, gettext)),
            ALIASES,
        )
        if isinstance(outcome, FormProblems):
            return _with_problems(request, session, row, f"rotate-{number}", form, outcome)
        fresh = service.get(session.account, row.id)
        return _detail(request, session, fresh, shown=Shown({number: outcome}))

    return await _on_subscription(request, subscription_id, endpoint_id, act)


@router.post(PAGE + "/{subscription_id}/endpoints/{endpoint_id}/{change}")
async def pause_or_resume(
    request: Request, subscription_id: str, endpoint_id: str, change: str
) -> Response:
    if change not in ("pause", "resume"):
        session = _signed_in(request)
        return session if isinstance(session, Response) else _error(request, session, 404)

    def act(session: WebSession, row: SubscriptionRow, _form: dict[str, str]) -> Response:
        active, number = change == "resume", int(endpoint_id)
        node_of(request).subscriptions.set_endpoint_state(session.account, number, active=active)
        done = "resumed" if active else "paused"
        return RedirectResponse(f"{PAGE}/{row.id}?done={done}#endpoint-{number}", 303)

    return await _on_subscription(request, subscription_id, endpoint_id, act)
