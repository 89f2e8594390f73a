"""Signed webhooks per the Standard Webhooks spec, sent to addresses the policy allows.

Each attempt resolves the receiver's host once through ``DestinationPolicy`` and connects to
that address: the URL's host is replaced by the IP, the original ``Host`` header is sent and,
for HTTPS, TLS is started with the real name (``sni_hostname``) so the certificate is still
checked against it. Redirects are never followed, since a redirect would lead to a host the
policy never saw.

Connections are kept alive in one pool per destination (the TLS name, the pinned address and
the port): httpx keys its connections by address alone, so a shared pool could carry one
subscriber's payload over a TLS connection verified for another subscriber's host behind the
same IP (an SNI-routing proxy). Separate pools make that impossible and still save the
handshakes on bursts to one receiver.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import secrets
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from math import floor
from types import TracebackType
from typing import Any

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from accord.adapters.channels.destinations import DestinationPolicy, RefusedDestination
from accord.adapters.channels.outcome import SendOutcome, clip, elapsed_ms, failure
from accord.errors import ConfigurationError

MAX_RESPONSE_BYTES = 64 * 1024
CONNECTIONS_PER_DESTINATION = 16  # as many as the worker sends at once
DESTINATIONS = 256  # keep-alive pools kept; the least recently used is closed
DEFAULT_PORTS = {"http": 80, "https": 443}
SECRET_PREFIX = "whsec_"  # noqa: S105 - a format marker, not a secret
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Printable ASCII, inner spaces and tabs only: what h11 accepts, minus obs-text.
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*)?")
_PROTOCOL_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "transfer-encoding",
        "connection",
        "user-agent",
        "accept-encoding",
    }
)


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """One attempt at one delivery.

    ``msg_id`` stays the same on every retry so receivers can drop duplicates; ``timestamp``
    is the time of this attempt (receivers refuse stale ones). With several ``secrets`` (a
    rotation overlap) the payload is signed with each, so either verifies. ``headers`` are
    extra (name, value) pairs; they cannot replace the headers the protocol defines.
    """

    url: str
    secrets: tuple[str, ...]
    msg_id: str
    timestamp: datetime
    payload: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class _Undeliverable(Exception):
    """The message itself is at fault: retrying it cannot help."""


@dataclass(frozen=True, slots=True)
class _Target:
    url: httpx.URL
    host_header: str
    sni_hostname: str | None


class WebhookSender:
    """Sends webhooks from many threads through one shared connection pool.

    ``timeout_s`` bounds each step (pool wait, connect, write, read) and, from the moment
    the socket connects, the whole exchange too: a send ends within about ``timeout_s``, or
    twice that if it first waited for the pool and then for a slow connect. DNS resolution
    (by the policy, before any of this) is bounded by the system resolver only.
    ``ssl_context`` replaces the default trust store (certifi), e.g. for a private CA.
    """

    def __init__(
        self,
        destinations: DestinationPolicy,
        *,
        timeout_s: float = 10.0,
        user_agent: str = "Accord",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not _HEADER_VALUE.fullmatch(user_agent):
            raise ConfigurationError(f"user agent {user_agent!r} cannot be sent in HTTP")
        self._destinations = destinations
        self._timeout_s = timeout_s
        self._user_agent = user_agent
        self._ssl_context = ssl_context
        self._lock = threading.Lock()
        self._clients: OrderedDict[tuple[str, str, int], httpx.Client] = OrderedDict()

    def send(self, message: WebhookMessage) -> SendOutcome:
        """Deliver one message; failures come back as the outcome, never as an exception."""
        started = time.perf_counter()
        try:
            target = self._target(message.url)
            headers = self._headers(message, target.host_header)
        except _Undeliverable as exc:
            return failure(started, str(exc), permanent=True)
        except RefusedDestination as exc:
            return failure(started, str(exc), permanent=exc.permanent)
        return self._post(target, headers, message.payload, started)

    def close(self) -> None:
        """Close the pools; the sender cannot be used afterwards."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    def _client_for(self, target: _Target) -> httpx.Client:
        """One keep-alive pool per destination (the name asked for, which TLS checks; the
        pinned address; the port), so a connection verified for one subscriber's host is
        never reused for another's, while bursts to one receiver skip the handshakes."""
        key = (target.host_header, target.url.host, target.url.port or 0)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            client = httpx.Client(
                verify=self._ssl_context if self._ssl_context is not None else True,
                trust_env=False,  # no proxy from the environment: it would bypass the pinning
                follow_redirects=False,
                timeout=httpx.Timeout(self._timeout_s),
                limits=httpx.Limits(
                    max_connections=CONNECTIONS_PER_DESTINATION,
                    max_keepalive_connections=CONNECTIONS_PER_DESTINATION,
                    keepalive_expiry=30,
                ),
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            )
            self._clients[key] = client
            evicted = (
                self._clients.popitem(last=False)[1] if len(self._clients) > DESTINATIONS else None
            )
        if evicted is not None:
            evicted.close()  # a send still using it fails and is retried
        return client

    def _target(self, raw_url: str) -> _Target:
        try:
            url = httpx.URL(raw_url)
        except httpx.InvalidURL as exc:
            raise _Undeliverable(f"malformed URL: {exc}") from exc
        if url.scheme not in DEFAULT_PORTS:
            raise _Undeliverable(f"URL scheme {url.scheme!r} is not http or https")
        host = url.raw_host.decode("ascii")
        if not host:
            raise _Undeliverable("URL has no host")
        address = self._destinations.resolve(host, url.port or DEFAULT_PORTS[url.scheme])
        try:
            pinned = url.copy_with(host=address)
        except httpx.InvalidURL as exc:
            raise _Undeliverable(f"cannot connect to address {address}") from exc
        sni_hostname = host if url.scheme == "https" else None
        return _Target(pinned, url.netloc.decode("ascii"), sni_hostname)

    def _headers(self, message: WebhookMessage, host_header: str) -> dict[str, str]:
        at = _as_utc(message.timestamp)
        headers = _extra_headers(message.headers) | {
            "host": host_header,
            "webhook-id": message.msg_id,
            "webhook-timestamp": str(floor(at.timestamp())),
            "webhook-signature": _signatures(message, at),
            "content-type": message.content_type,
            "user-agent": self._user_agent,
            "accept-encoding": "identity",
        }
        for name, value in headers.items():
            if not _HEADER_VALUE.fullmatch(value):
                raise _Undeliverable(clip(f"header {name} has a value HTTP cannot carry"))
        return headers

    def _post(
        self, target: _Target, headers: dict[str, str], payload: bytes, started: float
    ) -> SendOutcome:
        deadline = _Deadline(self._timeout_s)
        extensions: dict[str, Any] = {"trace": deadline.trace}
        if target.sni_hostname is not None:
            extensions["sni_hostname"] = target.sni_hostname
        try:
            with (
                deadline,
                self._client_for(target).stream(
                    "POST", target.url, content=payload, headers=headers, extensions=extensions
                ) as response,
            ):
                _drain(response)
        except (httpx.HTTPError, OSError) as exc:
            if deadline.expired or isinstance(exc, httpx.TimeoutException):
                return failure(started, f"timed out after {self._timeout_s:g} s")
            return failure(started, clip(f"connection failed: {exc}"))
        return _judge(response, started)


class _Deadline:
    """Cuts the connection when the whole exchange outlives its bound.

    httpx bounds each read and write, not their sum: a receiver dripping one byte at a time
    could otherwise hold a worker thread for as long as it liked. The timer shuts a
    duplicate of the socket down, which wakes the blocked read in the sending thread.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: remembers the socket as soon as it is connected."""
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        raw = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(raw, socket.socket):
            return
        with self._lock:
            self._socket = raw.dup()
            if self.expired:
                self._cut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._cut()

    def _cut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)


def _signatures(message: WebhookMessage, at: datetime) -> str:
    if not message.secrets:
        raise _Undeliverable("no signing secret")
    try:
        body = message.payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Undeliverable("payload is not UTF-8 and cannot be signed") from exc
    try:
        return " ".join(
            Webhook(secret).sign(message.msg_id, at, body) for secret in message.secrets
        )
    except (binascii.Error, ValueError, EmptyWebhookSecretError) as exc:
        raise _Undeliverable("a signing secret is malformed") from exc


def _extra_headers(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        if not _TOKEN.fullmatch(name):
            raise _Undeliverable(clip(f"header name {name!r} is malformed"))
        if name.lower() in _PROTOCOL_HEADERS or name.lower().startswith("webhook-"):
            raise _Undeliverable(f"header {name!r} is set by the webhook protocol")
        headers[name.lower()] = value
    return headers


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _drain(response: httpx.Response) -> None:
    """Read and discard at most 64 KiB; once the status is known the body cannot change it."""
    received = 0
    with contextlib.suppress(httpx.HTTPError, OSError):
        for chunk in response.iter_raw():
            received += len(chunk)
            if received >= MAX_RESPONSE_BYTES:
                break


def _judge(response: httpx.Response, started: float) -> SendOutcome:
    status = response.status_code
    if 200 <= status < 300:
        return SendOutcome(delivered=True, status=status, duration_ms=elapsed_ms(started))
    if status == 410:
        return failure(started, "HTTP 410 Gone", status=status, gone=True, permanent=True)
    if 300 <= status < 400:
        location = response.headers.get("location")
        error = f"redirect to {location} not followed" if location else f"HTTP {status}"
        return failure(started, clip(error), status=status)
    return failure(started, f"HTTP {status}", status=status)
