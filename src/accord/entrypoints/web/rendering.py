"""Jinja2 set up for the web pages (autoescaping everything), and rendering one page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from accord.bootstrap import Node
from accord.services.session_ports import WebSession


def make_templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("accord.entrypoints.web", "templates"),
        autoescape=True,  # every template, whatever its name: no page takes raw markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = _when
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
    """The page ``template`` with ``context``, the node's name and who is signed in.
    Pages for a signed-in user are never stored by caches."""
    templates: Environment = request.app.state.templates
    html = templates.get_template(template).render(
        node_name=node_of(request).settings.node_name,
        session=session,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if session is not None or request.url.path.startswith(("/console", "/signin")):
        response.headers["cache-control"] = "no-store"
    return response


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
