"""Whose address a request comes from: the peer that connected or, when that peer is a
trusted reverse proxy (``ACCORD_TRUSTED_PROXIES``), the client it names in
``X-Forwarded-For``.

Everything that uses a client address (the sign-in throttle, the rate limits, uvicorn's
access log) reads the one address ``ForwardedClient`` sets through ``client_address``, so
no part of the node believes a header another part refuses. Nobody is trusted by default:
uvicorn's own proxy-header handling, which believes any loopback peer, is switched off
(``accord serve``), since then any local process, or a proxy that passes the header on,
could name whatever address it liked.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.config import Network

Networks = tuple[Network, ...]
UNKNOWN = "unknown"  # a client the server could not name (a Unix socket, some test clients)
_SCHEMES = frozenset({"http", "https"})


def believed_address(peer: str, forwarded_for: str, trusted: Networks) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy. Then, walking the
    ``X-Forwarded-For`` list from the right (each proxy appends the address it saw), the
    first address that is not itself a trusted proxy; left of that, anyone could have
    written anything. A malformed entry ends the walk at the last address a trusted proxy
    vouched for, and a list of trusted proxies only gives its left-most one."""
    if not is_trusted(peer, trusted):
        return peer
    believed = peer
    for entry in reversed(forwarded_for.split(",")):
        address = parse_address(entry)
        if address is None:
            return believed
        believed = address
        if not is_trusted(address, trusted):
            return address
    return believed


def is_trusted(address: str, trusted: Networks) -> bool:
    """Whether ``address`` lies in one of the trusted networks (never for a non-address)."""
    ip = _ip(address)
    return ip is not None and any(ip in network for network in trusted)


def parse_address(entry: str) -> str | None:
    """One ``X-Forwarded-For`` entry as a normalised IP address, without a port if it had
    one (``192.0.2.1:443``, ``[2001:db8::1]:443``); None when it is not an address."""
    text = entry.strip()
    if text.startswith("["):
        text, bracket, _port = text[1:].partition("]")
        if not bracket:
            return None
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    ip = _ip(text)
    return str(ip) if ip is not None else None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return ip


def client_address(connection: HTTPConnection) -> str:
    """The address the node holds a request's client to be: what every throttle, limit and
    log line uses. ``ForwardedClient`` has set it by the time any route runs."""
    return connection.client.host if connection.client else UNKNOWN


class ForwardedClient:
    """ASGI middleware, outermost: from a trusted proxy, the request's client becomes the
    address ``believed_address`` picks and its scheme the proxy's ``X-Forwarded-Proto``;
    from anyone else both stay as the connection has them and the headers are ignored."""

    def __init__(self, app: ASGIApp, trusted: Networks) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted:
            _believe_proxy(scope, self.trusted)
        await self.app(scope, receive, send)


def _believe_proxy(scope: Scope, trusted: Networks) -> None:
    client = scope.get("client")
    if not client or not is_trusted(client[0], trusted):
        return
    forwarded_for: list[str] = []
    proto = ""
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
        elif name == b"x-forwarded-proto":
            proto = value.decode("latin-1").rsplit(",", 1)[-1].strip().lower()
    address = believed_address(client[0], ",".join(forwarded_for), trusted)
    if address != client[0]:
        scope["client"] = (address, 0)
    if proto in _SCHEMES:
        scope["scheme"] = proto
