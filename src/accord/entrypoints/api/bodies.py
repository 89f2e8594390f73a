"""Reading request bodies: the media type, and the bytes up to a limit.

The limit is enforced while streaming, so an oversized body is refused after at most
``limit`` bytes have been read and before anything parses it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

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
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            "the body is not JSON", [Problem("/", "MALFORMED_JSON", str(exc))]
        ) from exc


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
