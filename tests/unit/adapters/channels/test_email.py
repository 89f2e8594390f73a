"""E-mail sending against a real SMTP server (aiosmtpd) on a free loopback port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage as Mime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from accord.adapters.channels.email import EmailMessage, SmtpSender, message_id

CAP = b'<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>'
SENDER = "alerts@node.example"


@dataclass
class Handler:
    """Accepts everything unless told to answer RCPT or DATA with a fixed reply."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    data_delay: float = 0.0
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        await asyncio.sleep(self.data_delay)
        if self.data_reply is not None:
            return self.data_reply
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def message(self) -> Mime:
        [envelope] = self.received
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, Mime)
        return parsed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _relay(handler: Handler, **options: Any) -> Iterator[int]:
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def port(handler: Handler) -> Iterator[int]:
    yield from _relay(handler)


def _message(**changes: Any) -> EmailMessage:
    values: dict[str, Any] = {
        "to": "duty.officer@agency.example",
        "subject": "[EXERCISE] Flood warning for the lower valley",
        "text": "River levels are rising.\nMove to higher ground.",
        "msg_id": "msg_2b7f0c1e",
        "attachment": ("alert.xml", CAP, "application/cap+xml"),
    }
    return EmailMessage(**(values | changes))


def test_a_message_arrives_with_subject_text_attachment_and_delivery_id(
    handler: Handler, port: int
) -> None:
    outcome = SmtpSender("127.0.0.1", port, SENDER).send(_message())
    assert outcome.delivered
    assert (outcome.status, outcome.error, outcome.permanent) == (250, "", False)
    [envelope] = handler.received
    assert (envelope.mail_from, envelope.rcpt_tos) == (SENDER, ["duty.officer@agency.example"])
    received = handler.message()
    assert received["Subject"] == "[EXERCISE] Flood warning for the lower valley"
    assert received["From"] == SENDER
    assert received["To"] == "duty.officer@agency.example"
    assert received["X-Accord-Delivery"] == "msg_2b7f0c1e"
    assert received["Message-ID"] == "<msg_2b7f0c1e@node.example>"
    assert received["Date"]
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().splitlines() == ["River levels are rising.", "Move to higher ground."]
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "alert.xml"
    assert attachment.get_content_type() == "application/cap+xml"
    assert attachment.get_payload(decode=True) == CAP


def test_a_message_without_attachment_is_plain_text(handler: Handler, port: int) -> None:
    assert SmtpSender("127.0.0.1", port, SENDER).send(_message(attachment=None)).delivered
    received = handler.message()
    assert received.get_content_type() == "text/plain"


def test_every_retry_carries_the_same_message_id(handler: Handler, port: int) -> None:
    sender = SmtpSender("127.0.0.1", port, SENDER)
    sender.send(_message())
    sender.send(_message())
    first, second = (
        email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        for envelope in handler.received
    )
    assert first["Message-ID"] == second["Message-ID"]


def test_a_message_id_escapes_what_rfc_5322_does_not_allow() -> None:
    assert message_id("a b@c=é", "Node <alerts@node.example>") == (
        "<a=20b=40c=3D=C3=A9@node.example>"
    )
    assert message_id("a b", SENDER) != message_id("a=20b", SENDER)
    assert message_id("x", "no-domain") == "<x@accord.invalid>"


@pytest.mark.parametrize(
    ("handler", "status", "permanent"),
    [
        (Handler(rcpt_reply="550 no such user"), 550, True),
        (Handler(rcpt_reply="451 greylisted, try later"), 451, False),
        (Handler(data_reply="554 message refused"), 554, True),
        (Handler(data_reply="451 try later"), 451, False),
    ],
    ids=["rcpt-550", "rcpt-451", "data-554", "data-451"],
)
def test_a_refusal_is_permanent_only_when_the_reply_is_5xx(
    handler: Handler, port: int, status: int, permanent: bool
) -> None:
    outcome = SmtpSender("127.0.0.1", port, SENDER).send(_message())
    assert not outcome.delivered
    assert (outcome.status, outcome.permanent, outcome.gone) == (status, permanent, False)
    assert outcome.error.startswith(f"SMTP {status} ")
    assert handler.received == []


def test_the_reply_text_is_kept_for_the_operator(port: int, handler: Handler) -> None:
    handler.rcpt_reply = "550 no such user"
    assert SmtpSender("127.0.0.1", port, SENDER).send(_message()).error == "SMTP 550 no such user"


def test_a_closed_port_is_a_retryable_failure() -> None:
    outcome = SmtpSender("127.0.0.1", _free_port(), SENDER, timeout_s=2).send(_message())
    assert (outcome.delivered, outcome.permanent, outcome.status) == (False, False, None)
    assert outcome.error.startswith("cannot reach 127.0.0.1:")


def test_a_stalled_relay_times_out(handler: Handler, port: int) -> None:
    handler.data_delay = 2.0
    started = time.monotonic()
    outcome = SmtpSender("127.0.0.1", port, SENDER, timeout_s=0.3).send(_message())
    assert (outcome.delivered, outcome.permanent) == (False, False)
    assert outcome.error == "timed out after 0.3 s"
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "changes",
    [
        {"to": "not-an-address"},
        {"to": ""},
        {"to": "a@@b.example"},
        {"to": "x@agency.example\r\nBcc: everyone@agency.example"},
        {"subject": "Flood\r\nBcc: everyone@agency.example"},
    ],
)
def test_a_malformed_message_is_a_permanent_failure_without_a_connection(
    changes: dict[str, Any],
) -> None:
    outcome = SmtpSender("127.0.0.1", _free_port(), SENDER).send(_message(**changes))
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert outcome.error.startswith(("message is malformed", "recipient"))


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"node", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_port(handler: Handler) -> Iterator[int]:
    yield from _relay(handler, authenticator=_authenticator, auth_require_tls=False)


def test_the_sender_logs_in_when_given_credentials(handler: Handler, auth_port: int) -> None:
    sender = SmtpSender("127.0.0.1", auth_port, SENDER, username="node", password="s3cret")
    assert sender.send(_message()).delivered


def test_refused_credentials_are_retryable_so_a_fixed_configuration_delivers(
    handler: Handler, auth_port: int
) -> None:
    sender = SmtpSender("127.0.0.1", auth_port, SENDER, username="node", password="wrong")
    outcome = sender.send(_message())
    assert (outcome.delivered, outcome.permanent, outcome.status) == (False, False, 535)
    assert handler.received == []


def test_starttls_is_never_skipped_when_the_relay_does_not_offer_it(
    handler: Handler, port: int
) -> None:
    outcome = SmtpSender("127.0.0.1", port, SENDER, starttls=True).send(_message())
    assert (outcome.delivered, outcome.permanent) == (False, False)
    assert "STARTTLS" in outcome.error
    assert handler.received == []
