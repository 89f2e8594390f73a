"""Hand-written CAP 1.2 documents for API tests, built as text (not with our codec)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def cap_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def alert_xml(
    identifier: str,
    *,
    sender: str = "warnings@met.example",
    sent: datetime = BASE_TIME,
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Public",
    references: str | None = None,
    category: str = "Met",
    event: str = "Storm",
    urgency: str = "Expected",
    severity: str = "Severe",
    certainty: str = "Likely",
    polygon: str | None = "59.0,24.0 59.0,25.0 60.0,25.0 60.0,24.0 59.0,24.0",
    circle: str | None = None,
    expires: datetime | None = None,
    headline: str = "Storm warning",
) -> bytes:
    expires = expires or sent + timedelta(days=3650)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">',
        f"<identifier>{escape(identifier)}</identifier>",
        f"<sender>{escape(sender)}</sender>",
        f"<sent>{cap_time(sent)}</sent>",
        f"<status>{status}</status>",
        f"<msgType>{msg_type}</msgType>",
        f"<scope>{scope}</scope>",
    ]
    if scope == "Restricted":
        parts.append("<restriction>Agencies only</restriction>")
    if scope == "Private":
        parts.append("<addresses>ops@example.org</addresses>")
    if status in ("Exercise",) or msg_type == "Error":
        parts.append("<note>Exercise DEMO</note>")
    if references:
        parts.append(f"<references>{escape(references)}</references>")
    parts += [
        "<info>",
        f"<category>{category}</category>",
        f"<event>{escape(event)}</event>",
        f"<urgency>{urgency}</urgency>",
        f"<severity>{severity}</severity>",
        f"<certainty>{certainty}</certainty>",
        f"<expires>{cap_time(expires)}</expires>",
        f"<headline>{escape(headline)}</headline>",
        "<area><areaDesc>Test area</areaDesc>",
    ]
    if polygon:
        parts.append(f"<polygon>{polygon}</polygon>")
    if circle:
        parts.append(f"<circle>{circle}</circle>")
    parts += ["</area>", "</info>", "</alert>"]
    return "".join(parts).encode("utf-8")


def reference_to(sender: str, identifier: str, sent: datetime = BASE_TIME) -> str:
    return f"{sender},{identifier},{cap_time(sent)}"
