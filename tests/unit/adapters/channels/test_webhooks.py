"""Webhook sending against a real HTTP(S) server on loopback (allowlisted for the purpose)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook, WebhookVerificationError

from accord.adapters.channels.destinations import DestinationPolicy
from accord.adapters.channels.webhooks import (
    MAX_RESPONSE_BYTES,
    WebhookMessage,
    WebhookSender,
    new_secret,
)

LOOPBACK = DestinationPolicy(allow=["127.0.0.0/8"])
PAYLOAD = json.dumps({"type": "alert", "identifier": "TEST-1"}).encode()


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    peer_port: int = 0


@dataclass
class Receiver:
    port: int
    seen: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [item.path for item in self.seen]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        receiver = self.server.receiver
        headers = {name.lower(): value for name, value in self.headers.items()}
        receiver.seen.append(Seen(self.path, headers, body, self.client_address[1]))
        if self.path == "/drip":
            self._drip()
            return
        if self.path == "/slow":
            receiver.release.wait(5)
        status, headers, content = _ANSWERS.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in {**headers, "content-length": str(len(content))}.items():
            self.send_header(name, value.replace("PORT", str(receiver.port)))
        self.end_headers()
        self.wfile.write(content)

    def _drip(self) -> None:
        """A status line one byte at a time: no single read ever waits long."""
        for byte in b"HTTP/1.1 200 OK\r\n" * 100:
            if self.server.receiver.release.wait(0.05):
                return
            self.connection.sendall(bytes([byte]))

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on purpose (timeouts, large bodies) are expected here


_ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {}, b"thanks"),
    "/accepted": (202, {}, b""),
    "/fail": (500, {}, b"oops"),
    "/gone": (410, {}, b""),
    "/redirect": (302, {"location": "http://127.0.0.1:PORT/target"}, b""),
    "/target": (200, {}, b""),
    "/slow": (200, {}, b""),
    "/cookie": (200, {"set-cookie": "session=secret; Path=/"}, b""),
    "/big": (200, {}, b"x" * (16 * MAX_RESPONSE_BYTES)),
}


def _serve(context: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    receiver = Receiver(server.server_address[1])
    server.receiver = receiver
    if context is not None:
        context.sni_callback = lambda _sock, name, _ctx: receiver.sni.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve()


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    sender = WebhookSender(LOOPBACK, timeout_s=2.0)
    yield sender
    sender.close()


@pytest.fixture
def hooks_example(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make ``hooks.example`` resolve to 127.0.0.1; returns every name looked up."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return real("127.0.0.1" if host == "hooks.example" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _message(url: str, *secrets: str, **changes: Any) -> WebhookMessage:
    message = WebhookMessage(
        url=url,
        secrets=secrets or (SECRET,),
        msg_id="msg_2b7f0c1e",
        timestamp=datetime.now(UTC),
        payload=PAYLOAD,
        content_type="application/json",
    )
    return replace(message, **changes)


SECRET = new_secret()


def test_a_new_secret_is_32_random_bytes_the_library_accepts() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert first != second
    Webhook(first)
    assert len(__import__("base64").b64decode(first.removeprefix("whsec_"))) == 32


def test_a_2xx_answer_is_delivered_with_a_verifiable_signature(
    receiver: Receiver, sender: WebhookSender
) -> None:
    outcome = sender.send(_message(receiver.url("/ok")))
    assert outcome.delivered
    assert (outcome.status, outcome.error, outcome.gone, outcome.permanent) == (
        200,
        "",
        False,
        False,
    )
    assert outcome.duration_ms > 0
    [seen] = receiver.seen
    assert Webhook(SECRET).verify(seen.body, seen.headers) == json.loads(PAYLOAD)
    headers = seen.headers
    assert headers["webhook-id"] == "msg_2b7f0c1e"
    assert headers["webhook-timestamp"].isdigit()
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Accord"
    assert "cookie" not in headers


def test_any_2xx_counts_as_delivered(receiver: Receiver, sender: WebhookSender) -> None:
    assert sender.send(_message(receiver.url("/accepted"))).status == 202


def test_a_message_signed_with_two_secrets_verifies_with_either(
    receiver: Receiver, sender: WebhookSender
) -> None:
    old, new = new_secret(), new_secret()
    assert sender.send(_message(receiver.url("/ok"), old, new)).delivered
    [seen] = receiver.seen
    assert len(seen.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(seen.body, seen.headers)
    Webhook(new).verify(seen.body, seen.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(seen.body, seen.headers)


def test_the_timestamp_header_is_the_attempt_time_in_utc_seconds(
    receiver: Receiver, sender: WebhookSender
) -> None:
    at = datetime(2026, 3, 1, 14, 0, 30, 900_000, tzinfo=timezone(timedelta(hours=2)))
    sender.send(_message(receiver.url("/ok"), timestamp=at))
    assert receiver.seen[0].headers["webhook-timestamp"] == str(int(at.timestamp()))


def test_a_server_error_is_a_retryable_failure_with_its_status(
    receiver: Receiver, sender: WebhookSender
) -> None:
    outcome = sender.send(_message(receiver.url("/fail")))
    assert not outcome.delivered
    assert (outcome.status, outcome.error, outcome.gone, outcome.permanent) == (
        500,
        "HTTP 500",
        False,
        False,
    )


def test_410_gone_says_the_endpoint_must_be_disabled(
    receiver: Receiver, sender: WebhookSender
) -> None:
    outcome = sender.send(_message(receiver.url("/gone")))
    assert not outcome.delivered
    assert outcome.status == 410
    assert outcome.gone
    assert outcome.permanent


def test_a_redirect_is_not_followed(receiver: Receiver, sender: WebhookSender) -> None:
    outcome = sender.send(_message(receiver.url("/redirect")))
    assert not outcome.delivered
    assert outcome.status == 302
    assert outcome.error == f"redirect to {receiver.url('/target')} not followed"
    assert receiver.paths() == ["/redirect"]


def test_a_slow_receiver_times_out_within_the_bound(receiver: Receiver) -> None:
    sender = WebhookSender(LOOPBACK, timeout_s=0.3)
    started = time.monotonic()
    outcome = sender.send(_message(receiver.url("/slow")))
    elapsed = time.monotonic() - started
    sender.close()
    assert not outcome.delivered
    assert (outcome.status, outcome.error, outcome.permanent) == (
        None,
        "timed out after 0.3 s",
        False,
    )
    assert elapsed < 1.5


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_total_deadline(
    receiver: Receiver,
) -> None:
    sender = WebhookSender(LOOPBACK, timeout_s=0.3)
    started = time.monotonic()
    outcome = sender.send(_message(receiver.url("/drip")))
    elapsed = time.monotonic() - started
    sender.close()
    assert (outcome.delivered, outcome.error) == (False, "timed out after 0.3 s")
    assert elapsed < 1.5


def test_a_large_answer_is_read_only_in_part(receiver: Receiver, sender: WebhookSender) -> None:
    assert sender.send(_message(receiver.url("/big"))).delivered


def test_loopback_is_refused_unless_allowlisted(receiver: Receiver) -> None:
    sender = WebhookSender(DestinationPolicy())
    outcome = sender.send(_message(receiver.url("/ok")))
    sender.close()
    assert not outcome.delivered
    assert outcome.permanent
    assert outcome.status is None
    assert outcome.error == "destination 127.0.0.1 is a loopback address"
    assert receiver.seen == []


def test_the_connection_goes_to_the_resolved_address_with_the_original_host(
    receiver: Receiver, sender: WebhookSender, hooks_example: list[str]
) -> None:
    outcome = sender.send(_message(receiver.url("/ok", host="hooks.example")))
    assert outcome.delivered
    assert receiver.seen[0].headers["host"] == f"hooks.example:{receiver.port}"
    assert hooks_example.count("hooks.example") == 1  # resolved once, by the policy


def test_a_name_resolving_to_loopback_is_refused_without_allowlisting(
    receiver: Receiver, hooks_example: list[str]
) -> None:
    sender = WebhookSender(DestinationPolicy())
    outcome = sender.send(_message(receiver.url("/ok", host="hooks.example")))
    sender.close()
    assert outcome.permanent
    assert "loopback" in outcome.error
    assert receiver.seen == []


def test_an_unreachable_receiver_is_a_retryable_failure(sender: WebhookSender) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = sender.send(_message(f"http://127.0.0.1:{port}/ok"))
    assert not outcome.delivered
    assert not outcome.permanent
    assert outcome.status is None
    assert outcome.error.startswith("connection failed")


def test_a_name_that_does_not_resolve_is_a_retryable_failure(
    sender: WebhookSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    outcome = sender.send(_message("https://hooks.example/x"))
    assert (outcome.delivered, outcome.permanent) == (False, False)
    assert outcome.error.startswith("could not resolve hooks.example")


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "http://", "not a url", "http://a b/"]
)
def test_a_url_that_is_not_http_is_a_permanent_failure(sender: WebhookSender, url: str) -> None:
    outcome = sender.send(_message(url))
    assert (outcome.delivered, outcome.permanent, outcome.status) == (False, True, None)
    assert outcome.error


@pytest.mark.parametrize(
    "changes",
    [
        {"secrets": ()},
        {"secrets": ("whsec_",)},
        {"secrets": ("whsec_not base64!",)},
        {"payload": b"\xff\xfe"},
        {"headers": (("webhook-id", "forged"),)},
        {"headers": (("Host", "elsewhere.example"),)},
        {"headers": (("x-accord", "a\r\nb"),)},
        {"headers": (("bad name", "x"),)},
        {"msg_id": "msg_é"},
        {"msg_id": "msg\r\nx-injected: 1"},
        {"content_type": "application/json\n"},
    ],
)
def test_a_message_that_cannot_be_sent_as_given_is_a_permanent_failure(
    receiver: Receiver, sender: WebhookSender, changes: dict[str, Any]
) -> None:
    outcome = sender.send(_message(receiver.url("/ok"), **changes))
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert receiver.seen == []


def test_extra_headers_are_sent(receiver: Receiver, sender: WebhookSender) -> None:
    extra = (("accord-record-id", "rec-1"), ("accord-log-index", "7"))
    assert sender.send(_message(receiver.url("/ok"), headers=extra)).delivered
    headers = receiver.seen[0].headers
    assert (headers["accord-record-id"], headers["accord-log-index"]) == ("rec-1", "7")


def test_cookies_set_by_one_receiver_are_never_sent_again(
    receiver: Receiver, sender: WebhookSender
) -> None:
    sender.send(_message(receiver.url("/cookie")))
    sender.send(_message(receiver.url("/ok")))
    assert "cookie" not in receiver.seen[1].headers


def test_many_threads_share_one_sender(receiver: Receiver, sender: WebhookSender) -> None:
    urls = [receiver.url("/ok")] * 64
    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(lambda url: sender.send(_message(url)), urls))
    assert all(outcome.delivered for outcome in outcomes)
    assert len(receiver.seen) == 64


# HTTPS: the connection goes to the IP, yet TLS checks the certificate against the real name.


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    server_context: Callable[[str], ssl.SSLContext]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Accord test CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    def server_context(name: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        leaf = (
            _builder(subject, ca_name, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(ca_key, hashes.SHA256())
        )
        cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
        cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context

    return Pki(ca.public_bytes(serialization.Encoding.PEM), server_context)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _tls_sender(pki: Pki) -> WebhookSender:
    trust = ssl.create_default_context(cadata=pki.ca_pem.decode())
    return WebhookSender(LOOPBACK, timeout_s=2.0, ssl_context=trust)


def test_https_to_the_pinned_address_verifies_the_real_name(
    pki: Pki, hooks_example: list[str]
) -> None:
    for receiver in _serve(pki.server_context("hooks.example")):
        sender = _tls_sender(pki)
        outcome = sender.send(_message(receiver.url("/ok", "hooks.example", "https")))
        sender.close()
        assert outcome.delivered, outcome.error
        assert receiver.sni == ["hooks.example"]
        assert receiver.seen[0].headers["host"] == f"hooks.example:{receiver.port}"


def test_https_to_a_server_with_another_name_fails_verification(
    pki: Pki, hooks_example: list[str]
) -> None:
    for receiver in _serve(pki.server_context("other.example")):
        sender = _tls_sender(pki)
        outcome = sender.send(_message(receiver.url("/ok", "hooks.example", "https")))
        sender.close()
        assert (outcome.delivered, outcome.permanent) == (False, False)
        assert "certificate" in outcome.error.lower()
        assert receiver.seen == []


def test_connections_are_kept_alive_per_destination_name_only(
    receiver: Receiver, sender: WebhookSender, hooks_example: list[str]
) -> None:
    """Repeated sends to one receiver reuse a connection; another name on the same
    address never gets that connection (its TLS identity would be another's)."""
    policy_sender = WebhookSender(
        DestinationPolicy(allow=["127.0.0.0/8", "hooks.example"]), timeout_s=2.0
    )
    try:
        for url in (receiver.url("/ok"), receiver.url("/ok"), receiver.url("/ok", "hooks.example")):
            assert policy_sender.send(_message(url)).delivered
    finally:
        policy_sender.close()
    first, second, other = (item.peer_port for item in receiver.seen)
    assert first == second
    assert other != first
