"""E-mail deliveries through the operator's SMTP relay, one connection per message.

The relay is configuration, not subscriber input, so it is not passed through the
destination policy. A fresh connection per message keeps the sender free of shared state:
any number of worker threads may call ``send`` at once.

Failures are classified by who must act. A 5xx reply about the message or its recipient
(no such user, content refused) is permanent. Everything about the node's own connection to
the relay is retryable, including refused credentials and a relay without STARTTLS: once
the operator fixes the configuration, queued deliveries go through.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, parseaddr

from accord.adapters.channels.outcome import SendOutcome, clip, elapsed_ms, failure

DELIVERY_HEADER = "X-Accord-Delivery"
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One e-mail delivery; ``msg_id`` is the same on every retry so duplicates can be dropped.

    ``attachment`` is (file name, bytes, MIME type), e.g. the alert as CAP XML.
    """

    to: str
    subject: str
    text: str
    msg_id: str
    attachment: tuple[str, bytes, str] | None = None


class _Undeliverable(Exception):
    """The message itself is at fault: retrying it cannot help."""


class SmtpSender:
    """Sends through one relay, optionally with STARTTLS and a login; thread-safe.

    ``timeout_s`` bounds each network operation, not their sum: unlike a webhook URL, the
    relay is the operator's own choice, so a relay that drips its replies is not a threat
    to defend against here. With ``starttls`` the message is never sent in clear: a relay
    that does not offer STARTTLS fails the attempt (retryably).
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._credentials = (username, password or "") if username is not None else None
        self._starttls = starttls
        self._timeout_s = timeout_s

    def send(self, message: EmailMessage) -> SendOutcome:
        """Deliver one message; failures come back as the outcome, never as an exception."""
        started = time.perf_counter()
        try:
            mime = self._compose(message)
        except _Undeliverable as exc:
            return failure(started, str(exc), permanent=True)
        try:
            self._transmit(mime, message.to)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (None, b""))
            return _refused(started, code, reply)
        except smtplib.SMTPDataError as exc:
            return _refused(started, exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPResponseException as exc:  # greeting, login, TLS, sender: our side
            return failure(
                started, _reply_text(exc.smtp_code, exc.smtp_error), status=exc.smtp_code
            )
        except smtplib.SMTPException as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib wraps a timed-out read
                return failure(started, f"timed out after {self._timeout_s:g} s")
            return failure(started, clip(f"SMTP failed: {exc}"))
        except TimeoutError:
            return failure(started, f"timed out after {self._timeout_s:g} s")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return failure(started, clip(f"cannot reach {self._host}:{self._port}: {reason}"))
        return SendOutcome(delivered=True, status=250, duration_ms=elapsed_ms(started))

    def _compose(self, message: EmailMessage) -> MimeMessage:
        try:
            recipient = Address(addr_spec=message.to)
            mime = MimeMessage()
            mime["From"] = self._sender
            mime["To"] = recipient
            mime["Subject"] = message.subject
            mime["Date"] = formatdate(usegmt=True)
            mime["Message-ID"] = message_id(message.msg_id, self._sender)
            mime[DELIVERY_HEADER] = message.msg_id
            mime.set_content(message.text)
            if message.attachment is not None:
                name, data, mime_type = message.attachment
                maintype, _, subtype = mime_type.partition("/")
                mime.add_attachment(data, maintype, subtype or "octet-stream", filename=name)
        except (ValueError, TypeError, IndexError, HeaderParseError) as exc:
            raise _Undeliverable(clip(f"message is malformed: {exc}")) from exc
        if not recipient.domain:
            raise _Undeliverable(f"recipient {message.to!r} has no domain")
        return mime

    def _transmit(self, mime: MimeMessage, recipient: str) -> None:
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        try:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._credentials is not None:
                smtp.login(*self._credentials)
            smtp.send_message(mime, from_addr=self._sender, to_addrs=[recipient])
        except BaseException:
            smtp.close()  # no QUIT: a stalled relay would cost a second timeout
            raise
        # Sent: a failed QUIT must not turn a delivered message into a retry.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()


def message_id(msg_id: str, sender: str) -> str:
    """A ``Message-ID`` that is the same for every retry of ``msg_id``.

    Characters outside ``[A-Za-z0-9_-]`` are written ``=XX`` (UTF-8 bytes in hex), which keeps
    the id valid for RFC 5322 and distinct ids distinct.
    """
    left = "".join(
        char if char in _ID_CHARACTERS else "".join(f"={byte:02X}" for byte in char.encode())
        for char in msg_id
    )
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    domain = domain if at and domain else "accord.invalid"
    return f"<{left}@{domain}>"


def _refused(started: float, code: int | None, reply: bytes | str) -> SendOutcome:
    permanent = code is not None and 500 <= code < 600
    return failure(started, _reply_text(code, reply), status=code, permanent=permanent)


def _reply_text(code: int | None, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return clip(f"SMTP {code} {' '.join(text.split())}".strip())
