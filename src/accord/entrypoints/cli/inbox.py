"""``accord inbox``: a local webhook receiver and SMTP sink that print what arrives.

For trying delivery on one machine (the demo) and for developing a receiver: webhook
signatures are checked with the ``standardwebhooks`` package against the secrets given,
exactly as a real receiver should, and repeats of a ``webhook-id`` are reported as such.
"""

from __future__ import annotations

import email
import json
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import standardwebhooks
import typer
from aiosmtpd.controller import Controller

from accord.entrypoints.cli.main import reports_errors

MAX_BODY = 4 * 1024 * 1024


class Arrivals:
    """Prints each arrival and appends it, as one JSON line, to ``log`` if given."""

    def __init__(self, log: Path | None) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def webhook(self, path: str, headers: dict[str, str], body: bytes, secrets: list[str]) -> int:
        message_id = headers.get("webhook-id", "")
        verdict = _verdict(headers, body, secrets)
        try:
            payload = json.loads(body)
            alert = payload.get("alert", {})
            summary = {
                "type": payload.get("type"),
                "record_id": payload.get("record_id"),
                "identifier": alert.get("identifier"),
                "status": alert.get("status"),
                "headline": (alert.get("info") or [{}])[0].get("headline"),
                "escalation": payload.get("escalation"),
            }
        except (ValueError, AttributeError):
            summary = {"record_id": headers.get("accord-record-id"), "format": "xml"}
        with self._lock:
            repeat = message_id in self._seen
            self._seen.add(message_id)
        self._emit(
            {
                "channel": "webhook",
                "path": path,
                "webhook_id": message_id,
                "signature": verdict,
                "repeat": repeat,
                **summary,
            }
        )
        return 400 if verdict == "invalid" else 204

    def mail(self, message: Message) -> None:
        self._emit(
            {
                "channel": "email",
                "to": message["To"],
                "subject": message["Subject"],
                "delivery": message["X-Accord-Delivery"],
            }
        )

    def _emit(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            typer.echo(line)
            if self._log is not None:
                with self._log.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")


def _verdict(headers: dict[str, str], body: bytes, secrets: list[str]) -> str:
    if not secrets:
        return "unchecked"
    for secret in secrets:
        try:
            standardwebhooks.Webhook(secret).verify(body, headers)
            return "valid"
        except standardwebhooks.WebhookVerificationError:
            continue
    return "invalid"


def _webhook_server(host: str, port: int, arrivals: Arrivals, secrets: list[str]) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = arrivals.webhook(self.path, headers, body, secrets)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


class _MailHandler:
    def __init__(self, arrivals: Arrivals) -> None:
        self._arrivals = arrivals

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._arrivals.mail(email.message_from_bytes(envelope.content))
        return "250 OK"


@reports_errors
def inbox(
    port: Annotated[int, typer.Option(help="Webhook port (POST any path).")] = 8025,
    smtp_port: Annotated[int, typer.Option(help="SMTP port.")] = 8026,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    secret: Annotated[
        list[str] | None, typer.Option(help="Webhook secret to verify with (repeatable).")
    ] = None,
    log: Annotated[
        Path | None, typer.Option(help="Also append arrivals here (JSON lines).")
    ] = None,
) -> None:
    """Receive webhooks and e-mail locally and print each arrival as a JSON line."""
    arrivals = Arrivals(log)
    webhooks = _webhook_server(host, port, arrivals, list(secret or []))
    threading.Thread(target=webhooks.serve_forever, daemon=True).start()
    mail = Controller(_MailHandler(arrivals), hostname=host, port=smtp_port)
    mail.start()
    typer.echo(f"webhooks: http://{host}:{port}/…   smtp: {host}:{smtp_port}   (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        mail.stop()
        webhooks.shutdown()
