"""``/console/stream``: the situation page's live feed, as server-sent events for the
signed-in session (the API's ``/api/v1/stream`` takes bearer tokens, which a browser page
does not hold).

It joins the node's one ``StreamHub`` with the session's reader as its scope, so it wakes
only for alerts this user may read; each one is then read again through
``node.alerts.search`` with the user's reader and the page's own filters (sector,
category, severity, urgency, TLP), so nothing reaches the browser that the situation page itself
would not list. Each event carries what a list row shows, the alert's thread, and, drawn
on the server for the page's own frame (``bbox``) and time axis (``axis``), the alert's
shape on the map and its bar on the timeline: numbers and plain text, which the script
places with DOM methods. Event ids are alert positions: a browser that reconnects with
``Last-Event-ID`` first gets what it missed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sse_starlette import ServerSentEvent
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from accord.domain.routing.filters import Filter
from accord.domain.routing.matching import Subscription
from accord.entrypoints.api.stream import PING_SECONDS, Listener, hub_of
from accord.entrypoints.web.console import Filters
from accord.entrypoints.web.languages import Words
from accord.entrypoints.web.maps import BBox, parse_bbox, shape_of
from accord.entrypoints.web.rendering import node_of, words_for
from accord.entrypoints.web.signin import current_session
from accord.entrypoints.web.summaries import AlertSummary, summarise
from accord.entrypoints.web.timeline import Axis
from accord.errors import Problem
from accord.services.ports import AlertQuery
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
CATCH_UP = 200  # at most this many missed alerts are sent after a reconnection


@router.get("/console/stream")
async def console_stream(
    request: Request,
    filters: Annotated[Filters, Depends()],
    bbox: str = "",
    axis: str = "",
    last_event_id: Annotated[int | None, Header(ge=0, le=2**63 - 1)] = None,
) -> Response:
    session = await run_in_threadpool(current_session, request)
    if session is None:
        return Response("sign in first", status_code=401, media_type="text/plain")
    problems: list[Problem] = []
    query = filters.query(problems)
    if problems:
        return Response("the filter is not valid", status_code=400, media_type="text/plain")
    try:
        frame = parse_bbox(bbox) if bbox else None
        drawing = _Drawing(frame, Axis.parse(axis) if axis else None, words_for(request))
    except ValueError:
        return Response("the frame is not valid", status_code=400, media_type="text/plain")
    reader = session.account.reader
    listener = Listener(Subscription(0, reader, Filter()), test=False)
    hub = hub_of(request)
    joined_at = hub.join(listener)
    feed = _Feed(request, session, query, drawing)
    return EventSourceResponse(feed.events(listener, last_event_id, joined_at), ping=PING_SECONDS)


@dataclass(frozen=True, slots=True)
class _Drawing:
    """The page's map frame and timeline axis, when it sent them, and its reader's words."""

    bbox: BBox | None
    axis: Axis | None
    words: Words

    def shape(self, alert: AlertSummary) -> dict[str, str] | None:
        """The area the map draws: none for a cancelled or expired thread, which it drops."""
        shape = shape_of(alert, self.bbox) if self.bbox and alert.is_live else None
        return {"path": shape.path, "title": shape.title} if shape and shape.path else None

    def bar(self, alert: AlertSummary) -> dict[str, Any] | None:
        bar = self.axis.bar(alert, 0, self.words) if self.axis else None
        if bar is None:
            return None
        return {"x": bar.x, "width": bar.width, "title": bar.title, "open_ended": bar.open_ended}


class _Feed:
    """The alerts one session's situation page lists, as they arrive."""

    def __init__(self, request: Request, session: WebSession, query: AlertQuery, drawing: _Drawing):
        self._request = request
        self._reader = session.account.reader
        self._query = query
        self._drawing = drawing
        self._when = request.app.state.templates.filters["when"]  # as the pages show times

    async def events(
        self, listener: Listener, resume_after: int | None, joined_at: int
    ) -> AsyncIterator[ServerSentEvent]:
        hub = hub_of(self._request)
        try:
            if resume_after is not None and resume_after < joined_at:
                missed = await run_in_threadpool(self._listed, joined_at, CATCH_UP)
                for summary, position in reversed(missed):
                    if position > resume_after:
                        yield self._event(summary, position)
            while True:
                live = await listener.queue.get()
                if live is None:
                    return  # cut off for falling behind: the browser reconnects and catches up
                found = await run_in_threadpool(self._listed, live.position, 1)
                for summary, position in found:
                    if position == live.position:
                        yield self._event(summary, position)
        finally:
            hub.leave(listener)

    def _event(self, alert: AlertSummary, position: int) -> ServerSentEvent:
        data = json.dumps(
            {
                **row_json(alert, str(self._when(alert.sent))),
                "thread": alert.thread_id,
                "is_live": alert.is_live,
                "shape": self._drawing.shape(alert),
                "bar": self._drawing.bar(alert),
            }
        )
        return ServerSentEvent(data=data, id=str(position), event="alert")

    def _listed(self, up_to: int, limit: int) -> list[tuple[AlertSummary, int]]:
        """The newest alerts up to position ``up_to`` the page would list, newest first:
        read through the alert service with the user's reader, as the page reads them."""
        node = node_of(self._request)
        query = replace(self._query, before_position=up_to + 1, limit=limit)
        return [
            (summarise(view, node.alerts.thread_state(view)), view.row.position)
            for view in node.alerts.search(self._reader, query)
        ]


def row_json(alert: AlertSummary, sent_text: str) -> dict[str, Any]:
    """What one row of the situation list shows, and nothing more."""
    return {
        "record_id": alert.record_id,
        "headline": alert.headline,
        "event": alert.event,
        "severity": alert.severity,
        "severity_class": alert.severity_class,
        "sent": alert.sent,
        "sent_text": sent_text,
        "area": alert.area_text,
        "tlp": alert.tlp,
        "state": alert.state or "",
    }
