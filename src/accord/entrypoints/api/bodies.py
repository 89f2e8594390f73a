"""Reading request bodies: the media type, the bytes up to a limit, and JSON.

The limit is enforced while streaming, so an oversized body is refused after at most
``limit`` bytes have been read and before anything parses it. Every JSON body is decoded
by ``accord.domain.untrusted.decode_json`` (bounded nesting, no NUL, no lone surrogate):
the bodies endpoints read themselves through ``parse_json``, those FastAPI reads for them
through ``CheckedJsonRoute``, the route class of every API router.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from accord.domain.untrusted import decode_json
from accord.entrypoints.api.problems import PayloadTooLargeError, UnsupportedMediaTypeError
from accord.errors import InvalidInputError, Problem

CAP_XML_TYPES = ("application/cap+xml", "application/xml", "text/xml")
JSON_TYPES = ("application/json",)


async def read_body(request: Request, limit: int) -> tuple[str, bytes]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in CAP_XML_TYPES + JSON_TYPES:
        raise UnsupportedMediaTypeError(
            f"send application/cap+xml or application/json, not {content_type or 'nothing'}",
            [
                Problem(
                    "Content-Type",
                    "UNSUPPORTED_MEDIA_TYPE",
                    "use application/cap+xml or application/json",
                )
            ],
        )
    return content_type, await _read_limited(request, limit)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the body is larger than {limit} bytes",
        [Problem("/", "TOO_LARGE", f"at most {limit} bytes (setting max_document_bytes)")],
    )


async def read_text_body(request: Request, limit: int) -> str:
    """A short UTF-8 text body (cosignature lines), refused past ``limit`` bytes."""
    body = await _read_limited(request, limit)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            "the body is not UTF-8 text", [Problem("/", "NOT_UTF8", str(exc))]
        ) from exc


def parse_json(body: bytes) -> Any:
    return decode_json(body)


class _CheckedJsonRequest(Request):
    """A request whose ``json()`` is ``decode_json``'s: what FastAPI reads a body with."""

    async def json(self) -> Any:
        if not hasattr(self, "_checked_json"):
            self._checked_json = decode_json(await self.body())
        return self._checked_json


class CheckedJsonRoute(APIRoute):
    """A route whose JSON body, if it takes one, is decoded and checked before FastAPI
    sees it: a refusal is then an ``InvalidInputError`` (a 422 problem naming the field),
    not FastAPI's 400 or a string no database can store."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request) -> Response:
            checked_request = _CheckedJsonRequest(request.scope, request.receive)
            if _declares_json(checked_request):
                await checked_request.json()
            return await handler(checked_request)

        return checked


def _declares_json(request: Request) -> bool:
    """Whether FastAPI would read the body as JSON (``application/json`` or ``…+json``)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
