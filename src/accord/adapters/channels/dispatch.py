"""Renders a due delivery for its endpoint and hands it to the channel that carries it.

Webhooks carry the CAP alert as the endpoint chose: JSON (our documented mapping, wrapped
with the record id, log index and why it was sent) or the CAP XML itself, as received
when it came as XML, with the same facts in ``accord-*`` headers. E-mails carry a plain
text summary with the alert attached. Exercise and test messages are marked in every form.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from accord.adapters.cap_xml import alert_to_xml
from accord.adapters.channels.email import EmailMessage, SmtpSender
from accord.adapters.channels.webhooks import WebhookMessage, WebhookSender
from accord.domain.alerts import cap_json
from accord.services.delivery_ports import AlertContent, DueDelivery, SendOutcome

_MARKS = {"Exercise": "EXERCISE", "Test": "TEST", "System": "SYSTEM"}


class ChannelDispatcher:
    def __init__(self, webhooks: WebhookSender, email: SmtpSender | None, public_url: str) -> None:
        self._webhooks = webhooks
        self._email = email
        self._public_url = public_url.rstrip("/")

    def send(self, delivery: DueDelivery, now: datetime) -> SendOutcome:
        endpoint = delivery.endpoint
        if endpoint.kind == "webhook":
            body, content_type = self._webhook_body(delivery)
            return self._webhooks.send(
                WebhookMessage(
                    url=endpoint.target,
                    secrets=endpoint.live_secrets(now),
                    msg_id=delivery.message_id,
                    timestamp=now,
                    payload=body,
                    content_type=content_type,
                    headers=_facts_headers(delivery),
                )
            )
        if self._email is None:
            return SendOutcome(False, None, "this node has no SMTP server configured")
        return self._email.send(self._email_message(delivery))

    def _webhook_body(self, delivery: DueDelivery) -> tuple[bytes, str]:
        if delivery.endpoint.format == "xml":
            return _xml(delivery.alert), "application/cap+xml"
        return json.dumps(payload_json(delivery), ensure_ascii=False).encode(), "application/json"

    def _email_message(self, delivery: DueDelivery) -> EmailMessage:
        alert = json.loads(delivery.alert.body)
        info = (alert.get("info") or [{}])[0]
        marks = [_MARKS[s] for s in (alert.get("status"),) if s in _MARKS]
        if delivery.reason != "alert":
            marks.append(delivery.reason.upper())
        prefix = "".join(f"[{m}] " for m in marks)
        headline = info.get("headline") or info.get("event") or alert.get("identifier", "")
        subject = f"{prefix}{headline} ({alert.get('msgType', '')}, {alert.get('sender', '')})"
        lines = [
            f"{prefix}{headline}",
            "",
            f"Event: {info.get('event', '')}",
            f"Urgency / severity / certainty: {info.get('urgency', '')} / "
            f"{info.get('severity', '')} / {info.get('certainty', '')}",
            "Areas: " + "; ".join(a.get("areaDesc", "") for a in info.get("area") or []),
            "",
            info.get("description") or "",
            "",
            f"Instruction: {info['instruction']}" if info.get("instruction") else "",
            "",
            f"Sender: {alert.get('sender', '')}  Sent: {alert.get('sent', '')}",
            f"Record: {delivery.alert.record_id}  Log index: {delivery.alert.log_index}",
            f"{self._public_url}/api/v1/alerts/{delivery.alert.record_id}",
        ]
        if delivery.detail and "escalation" in delivery.detail:
            step = delivery.detail["escalation"]
            lines.insert(
                1,
                f"Escalation: {step['participant']} did not {step['kind']} by {step['due_at']}.",
            )
        as_xml = delivery.endpoint.format == "xml"
        attachment = (
            ("alert.xml", _xml(delivery.alert), "application/cap+xml")
            if as_xml
            else ("alert.json", json.dumps(payload_json(delivery)).encode(), "application/json")
        )
        return EmailMessage(
            to=delivery.endpoint.target,
            subject=subject[:200],
            text="\n".join(lines),
            msg_id=delivery.message_id,
            attachment=attachment,
        )


def payload_json(delivery: DueDelivery) -> dict[str, Any]:
    """The JSON webhook body (documented in docs/delivery.md)."""
    content = delivery.alert
    alert = json.loads(content.body)
    payload: dict[str, Any] = {
        "type": delivery.reason,
        "message_id": delivery.message_id,
        "record_id": content.record_id,
        "log_index": content.log_index,
        "author": content.author,
        "scope": content.scope.to_json(),
        "exercise": alert.get("status") == "Exercise",
        "test": alert.get("status") in ("Test", "System"),
        "alert": alert,
    }
    if delivery.detail:
        payload.update(delivery.detail)
    return payload


def _xml(content: AlertContent) -> bytes:
    if content.content_type == "application/cap+xml":
        return content.original
    return alert_to_xml(cap_json.alert_from_json(json.loads(content.body)))


def _facts_headers(delivery: DueDelivery) -> tuple[tuple[str, str], ...]:
    alert = delivery.alert
    return (
        ("accord-record-id", alert.record_id),
        ("accord-log-index", str(alert.log_index)),
        ("accord-delivery-reason", delivery.reason),
        ("accord-status", alert.status),
    )
