"""Paths and query strings checked once for the API and the console alike.

A ``%00`` in a query parameter or a path segment decodes to NUL, which PostgreSQL refuses
in any text it is asked to compare; on the way to a query it became a server error. This
middleware refuses it (and anything else ``accord.domain.untrusted`` forbids) before any
route runs, as a 422 problem naming the parameter. Lone surrogates cannot arrive this way:
Starlette decodes percent-escapes as UTF-8 with replacement.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from accord.domain.untrusted import check_fields
from accord.entrypoints.api.problems import error_response
from accord.errors import InvalidInputError


class RefuseForbiddenText:
    """ASGI middleware: a request whose path or query holds forbidden text gets a 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                check_request_text(scope)
            except InvalidInputError as exc:
                await error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def check_request_text(scope: Scope) -> None:
    """Raise ``InvalidInputError`` naming each query parameter (or ``path``) that holds
    forbidden text, decoded as Starlette decodes it for the routes."""
    query = scope.get("query_string", b"").decode("latin-1")
    fields: dict[str, list[str]] = {"path": [str(scope.get("path", ""))]}
    for name, value in parse_qsl(query, keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    check_fields(fields)
