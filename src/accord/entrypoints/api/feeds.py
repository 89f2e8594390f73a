"""``/feeds/cap.atom``: the public Atom feed of TLP:CLEAR, status Actual alerts.

Shaped the way CAP aggregators read national feeds (the NWS/Google "CAP index" style): one
entry per message, its id and link the CAP XML document, ``updated`` the message's sent
time, and the first info block's key fields repeated as ``cap:`` elements so readers can
filter without fetching every alert. What one entry says is bounded (``domain.alerts.limits``):
the title and names shortened, the summary cut with a visible " […]", at most
``MAX_LISTED_AREAS`` areas listed; the CAP XML it links to holds everything.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from lxml import etree

from accord.domain.alerts import cap_json, limits
from accord.domain.alerts.cap import CAP_NAMESPACE
from accord.domain.routing.filters import filter_from_json
from accord.domain.routing.matching import RoutedAlert, Subscription, matches, routed_alert
from accord.domain.sharing import ANONYMOUS
from accord.entrypoints.api.auth import node_of
from accord.services.alerts import AlertView
from accord.services.ports import AlertQuery

router = APIRouter(tags=["feeds"])
ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 100
SUBSCRIPTION_SCAN = 1000  # newest alerts read to find a subscription's FEED_SIZE
_LISTED = limits.MAX_LISTED_CHARS
_INDEXED_INFO = ("event", "category", "urgency", "severity", "certainty", "effective", "expires")


@router.get(
    "/feeds/cap.atom",
    summary="Atom feed of public (TLP:CLEAR) actual alerts",
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def cap_feed(request: Request) -> Response:
    node = node_of(request)
    views = node.alerts.search(ANONYMOUS, AlertQuery(statuses=("Actual",), limit=FEED_SIZE))
    base = (node.settings.public_url or str(request.base_url)).rstrip("/")
    title = f"{node.settings.node_name}: public CAP alerts"
    return Response(
        _feed_xml(views, base, f"{base}/feeds/cap.atom", title, node.settings.node_name),
        media_type="application/atom+xml",
    )


@router.get(
    "/feeds/subscriptions/{token}.atom",
    summary="Atom feed of one subscription, at the secret URL its owner was given",
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def subscription_feed(request: Request, token: str) -> Response:
    """The newest alerts the subscription matches, read with its owner's scope; the
    URL is the credential, so keep it as private as a token."""
    node = node_of(request)
    row = node.subscriptions.by_feed(token)
    wanted = Subscription(row.id, row.reader, filter_from_json(row.filter))
    statuses = ("Actual", "Exercise") if wanted.filter.exercises else ("Actual",)
    views = [
        view
        for view in node.alerts.search(
            row.reader, AlertQuery(statuses=statuses, limit=SUBSCRIPTION_SCAN)
        )
        if matches(wanted, _routed(view))
    ][:FEED_SIZE]
    base = (node.settings.public_url or str(request.base_url)).rstrip("/")
    return Response(
        _feed_xml(views, base, f"{base}/feeds/subscriptions/{token}.atom", row.name, row.username),
        media_type="application/atom+xml",
    )


def _routed(view: AlertView) -> RoutedAlert:
    alert = cap_json.alert_from_json(json.loads(view.row.body))
    return routed_alert(alert, view.row.scope, view.row.author)


def _feed_xml(views: list[AlertView], base: str, url: str, title: str, node_name: str) -> bytes:
    feed = etree.Element(
        f"{{{ATOM}}}feed",
        nsmap={None: ATOM, "cap": CAP_NAMESPACE},  # type: ignore[dict-item]
    )
    _text(feed, "id", url)
    _text(feed, "title", title)
    updated = max((v.row.received_at for v in views), default=datetime(1970, 1, 1, tzinfo=UTC))
    _text(feed, "updated", updated.isoformat())
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", node_name)
    etree.SubElement(
        feed,
        f"{{{ATOM}}}link",
        rel="self",
        href=url,
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
    _text(entry, "id", url)
    title = info.get("headline") or info.get("event") or f"{alert['msgType']} {alert['identifier']}"
    title = limits.shortened(title, limits.MAX_LISTED_CHARS)
    _text(entry, "title", title)
    sent = datetime.fromisoformat(alert["sent"]).isoformat()
    _text(entry, "updated", sent)
    _text(entry, "published", sent)
    author = etree.SubElement(entry, f"{{{ATOM}}}author")
    _text(author, "name", limits.shortened(info.get("senderName") or alert["sender"], _LISTED))
    etree.SubElement(
        entry, f"{{{ATOM}}}link", rel="alternate", href=url, type="application/cap+xml"
    )
    _text(entry, "summary", _summary(info.get("description") or title))
    for category in dict.fromkeys(info.get("category", [])):
        etree.SubElement(entry, f"{{{ATOM}}}category", term=category)
    _cap_index(entry, alert, info)


def _cap_index(entry: Any, alert: dict[str, Any], info: dict[str, Any]) -> None:
    for name in ("identifier", "sender", "sent", "status", "msgType"):
        etree.SubElement(entry, f"{{{CAP_NAMESPACE}}}{name}").text = alert[name]
    # CAP: an absent <effective> means the message is effective when sent.
    info = {"effective": alert["sent"], **info} if info else info
    for name in _INDEXED_INFO:
        values = info.get(name)
        for value in dict.fromkeys(
            values if isinstance(values, list) else [values] if values else []
        ):
            etree.SubElement(entry, f"{{{CAP_NAMESPACE}}}{name}").text = _listed(value)
    for area in info.get("area", [])[: limits.MAX_LISTED_AREAS]:
        etree.SubElement(entry, f"{{{CAP_NAMESPACE}}}areaDesc").text = _listed(area["areaDesc"])


def _listed(value: str) -> str:
    return limits.shortened(value, _LISTED)


def _summary(text: str) -> str:
    """The description, cut with a visible mark where it is too long for a feed entry."""
    most = limits.MAX_SUMMARY_CHARS
    return text if len(text) <= most else text[:most] + " […]"


def _text(parent: Any, name: str, value: str) -> None:
    etree.SubElement(parent, f"{{{ATOM}}}{name}").text = value
