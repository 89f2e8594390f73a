"""``GET /api/v1/stream``: alerts as server-sent events, live, resumable, within scope.

One hub per server reads each newly stored alert once and offers it to every listener,
whose own filter and scope decide whether it is sent — so a thousand listeners cost one
database read per alert, not a thousand. Event ids are alert positions: a client that
reconnects with ``Last-Event-ID`` first gets what it missed, read from the database with
the same filter, then joins the live feed where that catch-up ended, so nothing is missed
or sent twice. A listener that falls too far behind is cut off and catches up the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import ServerSentEvent
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from accord.bootstrap import Node
from accord.domain.alerts import cap_json
from accord.domain.routing.filters import Filter, filter_from_json
from accord.domain.routing.matching import RoutedAlert, Subscription, matches, routed_alert
from accord.domain.sharing import ANONYMOUS
from accord.entrypoints.api.auth import OptionalAccount, node_of
from accord.errors import InvalidInputError, Problem
from accord.services.alerts import AlertView, alert_json

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["delivery"])
PAGE = 500
POLL_SECONDS = 1.0
MAX_BACKLOG = 5000
PING_SECONDS = 15  # keeps proxies from closing a quiet stream
_TEST_STATUSES = frozenset({"Test", "System"})


@dataclass(frozen=True, slots=True)
class StreamEvent:
    position: int
    wire: bytes  # the event as sent: encoded once per kind of reader, for all who want it
    routed: RoutedAlert


@dataclass(eq=False)
class Listener:
    subscription: Subscription
    test: bool
    queue: asyncio.Queue[StreamEvent | None] = field(default_factory=asyncio.Queue)

    def wants(self, event: StreamEvent) -> bool:
        if event.routed.status in _TEST_STATUSES and not self.test:
            return False
        return matches(self.subscription, event.routed)


class StreamHub:
    def __init__(self, node: Node) -> None:
        self._node = node
        self._listeners: set[Listener] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.last_position = 0

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.last_position = await run_in_threadpool(self._node.alerts.newest_position)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()
            try:
                await self._publish_new()
            except Exception:  # a failed read must not end the stream for everyone
                logger.exception("the live stream could not read new alerts")

    def notify(self) -> None:
        """Thread-safe: new alerts were committed."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def join(self, listener: Listener) -> int:
        """Register ``listener``; it gets every event after the returned position."""
        self._listeners.add(listener)
        return self.last_position

    def leave(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def _publish_new(self) -> None:
        while True:
            rows = await run_in_threadpool(self._node.alerts.since, self.last_position, PAGE)
            if not rows:
                return
            listeners = list(self._listeners)
            readers = {listener.subscription.reader for listener in listeners}
            seen = await run_in_threadpool(self._node.alerts.seen_by, readers, rows)
            # Each kind of reader gets the thread as it may see it, encoded once for all.
            events = {reader: [self.event_of(v) for v in views] for reader, views in seen.items()}
            for index in range(len(rows)):
                for listener in listeners:
                    event = events[listener.subscription.reader][index]
                    if listener.wants(event):
                        self._offer(listener, event)
            self.last_position = rows[-1].position
            if len(rows) < PAGE:
                return

    def _offer(self, listener: Listener, event: StreamEvent) -> None:
        if listener.queue.qsize() >= MAX_BACKLOG:
            self._listeners.discard(listener)
            listener.queue.put_nowait(None)  # cut off: the client resumes by Last-Event-ID
            return
        listener.queue.put_nowait(event)

    def event_of(self, view: AlertView) -> StreamEvent:
        row = view.row
        alert = cap_json.alert_from_json(json.loads(row.body))
        data = json.dumps(
            alert_json(view, self._node.alerts.thread_state(view)), ensure_ascii=False
        )
        wire = ServerSentEvent(data=data, id=str(row.position), event="alert").encode()
        return StreamEvent(row.position, wire, routed_alert(alert, row.scope, row.author))


def hub_of(request: Request) -> StreamHub:
    hub: StreamHub = request.app.state.stream_hub
    return hub


@router.get(
    "/stream",
    summary="Alerts as server-sent events, live and resumable with Last-Event-ID",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    account: OptionalAccount,
    subscription: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    test: Annotated[bool, Query(description="Also send Test and System messages")] = False,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**63 - 1)] = None,
) -> EventSourceResponse:
    """Without ``subscription``: every Actual alert you may read. With it: that
    subscription's filters (yours; exercises as it opted)."""
    node = node_of(request)
    reader = account.reader if account is not None else ANONYMOUS
    if subscription is not None:
        if account is None:
            raise InvalidInputError(
                "a subscription's stream needs its owner's token",
                [Problem("/subscription", "NEEDS_TOKEN", "send the owner's API token")],
            )
        row = await run_in_threadpool(node.subscriptions.get, account, subscription)
        chosen = Subscription(row.id, row.reader, filter_from_json(row.filter))
    else:
        chosen = Subscription(0, reader, Filter())
    listener = Listener(chosen, test)
    hub = hub_of(request)
    joined_at = hub.join(listener)
    return EventSourceResponse(
        _events(request, hub, listener, last_event_id, joined_at), ping=PING_SECONDS
    )


async def _events(
    request: Request, hub: StreamHub, listener: Listener, resume_after: int | None, joined_at: int
) -> AsyncIterator[bytes]:
    node = node_of(request)
    try:
        cursor = resume_after if resume_after is not None else joined_at
        reader = listener.subscription.reader
        while cursor < joined_at:
            rows = await run_in_threadpool(node.alerts.since, cursor, PAGE)
            rows = [row for row in rows if row.position <= joined_at]
            if not rows:
                break
            seen = await run_in_threadpool(node.alerts.seen_by, [reader], rows)
            for view in seen[reader]:
                event = hub.event_of(view)
                if listener.wants(event):
                    yield _sse(event)
            cursor = rows[-1].position
        while True:
            live = await listener.queue.get()
            if live is None:
                return
            yield _sse(live)
    finally:
        hub.leave(listener)


def _sse(event: StreamEvent) -> bytes:
    return event.wire
