"""``/feeds/cap.atom``: the public Atom feed of TLP:CLEAR, status Actual alerts.

Shaped the way CAP aggregators read national feeds: one entry per message, its link the
CAP XML document, ``updated`` the message's sent time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from lxml import etree

from accord.domain.sharing import ANONYMOUS
from accord.entrypoints.api.auth import node_of
from accord.services.alerts import AlertView
from accord.services.ports import AlertQuery

router = APIRouter(tags=["feeds"])
ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 100


@router.get(
    "/feeds/cap.atom",
    summary="Atom feed of public (TLP:CLEAR) actual alerts",
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def cap_feed(request: Request) -> Response:
    node = node_of(request)
    views = node.alerts.search(ANONYMOUS, AlertQuery(statuses=("Actual",), limit=FEED_SIZE))
    base = (node.settings.public_url or str(request.base_url)).rstrip("/")
    return Response(
        _feed_xml(views, base, node.settings.node_name), media_type="application/atom+xml"
    )


def _feed_xml(views: list[AlertView], base: str, node_name: str) -> bytes:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]
    _text(feed, "id", f"{base}/feeds/cap.atom")
    _text(feed, "title", f"{node_name}: public CAP alerts")
    updated = max((v.row.received_at for v in views), default=datetime(1970, 1, 1, tzinfo=UTC))
    _text(feed, "updated", updated.isoformat())
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", node_name)
    etree.SubElement(
        feed,
        f"{{{ATOM}}}link",
        rel="self",
        href=f"{base}/feeds/cap.atom",
        type="application/atom+xml",
    )
    for view in views:
        _entry(feed, view, base)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8"))


def _entry(feed: Any, view: AlertView, base: str) -> None:
    alert = json.loads(view.row.body)
    info = (alert.get("info") or [{}])[0]
    entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
    url = f"{base}/api/v1/alerts/{view.row.record_id}"
    _text(entry, "id", f"urn:accord:record:{view.row.record_id}")
    title = info.get("headline") or info.get("event") or f"{alert['msgType']} {alert['identifier']}"
    _text(entry, "title", title)
    _text(entry, "updated", datetime.fromisoformat(alert["sent"]).isoformat())
    author = etree.SubElement(entry, f"{{{ATOM}}}author")
    _text(author, "name", info.get("senderName") or alert["sender"])
    etree.SubElement(
        entry, f"{{{ATOM}}}link", rel="alternate", href=url, type="application/cap+xml"
    )
    summary = info.get("description")
    if summary:
        _text(entry, "summary", summary)
    for category in info.get("category", []):
        etree.SubElement(entry, f"{{{ATOM}}}category", term=category)


def _text(parent: Any, name: str, value: str) -> None:
    etree.SubElement(parent, f"{{{ATOM}}}{name}").text = value
