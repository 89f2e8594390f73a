"""The floor for the stream benchmark: a bare server-sent-event fan-out of given bytes.

No authentication, matching, scope or database: ``POST /publish`` hands its body to every
connected ``GET /stream`` listener through an asyncio queue, the least any SSE broadcaster
built on the same stack (Starlette + sse-starlette + uvicorn) must do.

    .venv/bin/python -m uvicorn benchmarks.sse_floor:app --port 8100
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_listeners: set[asyncio.Queue[str]] = set()
_counter = 0


async def stream(_request: Request) -> EventSourceResponse:
    queue: asyncio.Queue[str] = asyncio.Queue()
    _listeners.add(queue)

    async def events() -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                data = await queue.get()
                yield {"id": str(_counter), "event": "alert", "data": data}
        finally:
            _listeners.discard(queue)

    return EventSourceResponse(events(), ping=15)


async def publish(request: Request) -> Response:
    global _counter
    data = (await request.body()).decode()
    _counter += 1
    for queue in list(_listeners):
        queue.put_nowait(data)
    return Response(status_code=201)


async def count(_request: Request) -> Response:
    return Response(str(len(_listeners)))


app = Starlette(
    routes=[
        Route("/stream", stream),
        Route("/publish", publish, methods=["POST"]),
        Route("/listeners", count),
    ]
)
