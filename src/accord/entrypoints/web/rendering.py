"""Jinja2 set up for the web pages (autoescaping everything, translating through Babel
catalogues), and rendering one page in the language its reader chose: every page, the
portal's and the console's, is translated."""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from accord.bootstrap import Node
from accord.entrypoints.web import languages, security
from accord.services.session_ports import WebSession


def make_templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("accord.entrypoints.web", "templates"),
        autoescape=True,  # every template, whatever its name: no page takes raw markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.filters["when"] = _when
    # New-style gettext: {{ _("… %(name)s", name=x) }} escapes x; the catalogue is the page's.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext
    )
    return environment


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: WebSession | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` with ``context``, the node's name and who is signed in, in
    the reader's language. The language switch is offered on pages answering a GET, which
    it reloads (keeping their query); pages for a signed-in user are never stored by caches."""
    templates: Environment = request.app.state.templates
    words = words_for(request)
    switchable = request.method == "GET"
    html = templates.get_template(template).render(
        node_name=node_of(request).settings.node_name,
        session=session,
        path=request.url.path,
        page_lang=words.lang,
        page_catalogue=words.translations,
        language_choices=languages.LANGUAGES if switchable else {},
        switch_query=[(k, v) for k, v in request.query_params.multi_items() if k != "lang"],
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["content-language"] = words.lang
    response.headers["vary"] = "Accept-Language, Cookie"
    if request.query_params.get("lang") == words.lang:  # the switch was used: remember it
        security.set_cookie(response, request, languages.LANGUAGE_COOKIE, words.lang, ONE_YEAR_S)
    if session is not None or request.url.path.startswith(("/console", "/signin")):
        response.headers["cache-control"] = "no-store"
    return response


ONE_YEAR_S = 365 * 24 * 3600


def words_for(request: Request) -> languages.Words:
    """The reader's language and its translations (loaded at start-up, web.install), for
    text the code hands to a page: ``_ = words_for(request).gettext``, then ``_("…")``."""
    lang = languages.chosen_language(request)
    catalogues: dict[str, gettext.NullTranslations] = getattr(request.app.state, "catalogues", {})
    return languages.Words(lang, catalogues.get(lang) or gettext.NullTranslations())


@pass_context
def _gettext(context: Context, message: str) -> str:
    page: gettext.NullTranslations = context.get("page_catalogue") or gettext.NullTranslations()
    return page.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    page: gettext.NullTranslations = context.get("page_catalogue") or gettext.NullTranslations()
    return page.ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, message_context: str, message: str) -> str:
    page: gettext.NullTranslations = context.get("page_catalogue") or gettext.NullTranslations()
    return page.pgettext(message_context, message)


def _when(value: str | datetime | None) -> str:
    """A CAP time (ISO 8601 with offset) as ``2026-11-24 16:00 UTC``; unparsable text as is."""
    if value is None or value == "":
        return ""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
