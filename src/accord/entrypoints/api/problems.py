"""RFC 9457 problem details: the one place Accord errors become HTTP statuses.

Every error response is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and, for bad input, ``errors``: one entry per problem found (location, code,
message), never just the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.errors import (
    AccordError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RateLimitedError,
    VerificationError,
)

PROBLEM_JSON = "application/problem+json"

# error class -> (HTTP status, problem type slug, title)
_STATUS: dict[type[AccordError], tuple[int, str, str]] = {
    InvalidInputError: (422, "invalid-input", "The input is not valid"),
    AuthenticationError: (401, "unauthenticated", "Authentication required"),
    PermissionDeniedError: (403, "forbidden", "Not allowed"),
    NotFoundError: (404, "not-found", "Not found"),
    ConflictError: (409, "conflict", "Conflict with the current state"),
    VerificationError: (422, "verification-failed", "Verification failed"),
    ConfigurationError: (500, "configuration", "The node is misconfigured"),
    RateLimitedError: (429, "rate-limited", "Too many requests"),
}
PROBLEM_TYPES = {slug: title for _, slug, title in _STATUS.values()} | {
    "payload-too-large": "The request body is too large",
    "unsupported-media-type": "Unsupported media type",
    "http-error": "HTTP error",
}


class PayloadTooLargeError(InvalidInputError):
    """The body exceeds the configured limit; refused before it is parsed."""


class UnsupportedMediaTypeError(InvalidInputError):
    """The body's Content-Type is not one this endpoint reads."""


def problem_body(
    status: int, slug: str, title: str, detail: str, problems: Iterable[Problem] = ()
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    listed = [problem_json(p) for p in problems]
    if listed:
        body["errors"] = [p for p in listed if p["severity"] == "error"]
        warnings = [p for p in listed if p["severity"] == "warning"]
        if warnings:
            body["warnings"] = warnings
    return body


def problem_json(problem: Problem) -> dict[str, str]:
    return {
        "location": problem.location,
        "code": problem.code,
        "message": problem.message,
        "severity": problem.severity,
    }


def problem_response(
    status: int, slug: str, title: str, detail: str, problems: Iterable[Problem] = ()
) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="accord"'} if status == 401 else None
    return JSONResponse(
        problem_body(status, slug, title, detail, problems),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def error_response(exc: AccordError) -> JSONResponse:
    if isinstance(exc, PayloadTooLargeError):
        return problem_response(
            413, "payload-too-large", PROBLEM_TYPES["payload-too-large"], str(exc), exc.problems
        )
    if isinstance(exc, UnsupportedMediaTypeError):
        return problem_response(
            415,
            "unsupported-media-type",
            PROBLEM_TYPES["unsupported-media-type"],
            str(exc),
            exc.problems,
        )
    if isinstance(exc, RateLimitedError):
        response = problem_response(*_STATUS[RateLimitedError], str(exc))
        response.headers["retry-after"] = str(exc.retry_after_s)
        return response
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            status, slug, title = _STATUS[cls]
            problems = (
                exc.problems if isinstance(exc, InvalidInputError | PermissionDeniedError) else ()
            )
            return problem_response(status, slug, title, str(exc), problems)
    return problem_response(500, "internal", "Internal error", "unexpected error")


def install(app: FastAPI) -> None:
    """Route every error the app can raise to a problem+json response."""

    @app.exception_handler(AccordError)
    async def _accord(_request: Request, exc: AccordError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(
                "/" + "/".join(str(part) for part in error.get("loc", ())),
                str(error.get("type", "invalid")).upper(),
                str(error.get("msg", "invalid value")),
            )
            for error in exc.errors()
        ]
        return problem_response(
            422, "invalid-input", "The input is not valid", "the request is not valid", problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, "http-error", "HTTP error", str(exc.detail))
