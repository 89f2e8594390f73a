"""Whose address a request is from: X-Forwarded-For believed from trusted proxies only."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from accord.entrypoints.api.proxies import (
    ForwardedClient,
    Networks,
    believed_address,
    client_address,
    parse_address,
)

PROXIES: Networks = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))
LOOPBACK: Networks = (ipaddress.ip_network("127.0.0.1/32"),)


def test_a_loopback_client_is_not_believed_when_no_proxy_is_trusted() -> None:
    assert believed_address("127.0.0.1", "203.0.113.9", ()) == "127.0.0.1"


def test_an_untrusted_client_naming_another_address_is_not_believed() -> None:
    assert believed_address("198.51.100.7", "203.0.113.9", PROXIES) == "198.51.100.7"


def test_a_trusted_proxys_header_names_the_client() -> None:
    assert believed_address("10.1.2.3", "203.0.113.9", PROXIES) == "203.0.113.9"


def test_a_chain_gives_the_right_most_address_that_is_not_a_trusted_proxy() -> None:
    # the client forged "192.0.2.66"; the first proxy appended the client's real address
    forwarded = "192.0.2.66, 203.0.113.9, 10.9.9.9"
    assert believed_address("10.1.2.3", forwarded, PROXIES) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_only_gives_the_left_most() -> None:
    assert believed_address("10.1.2.3", "10.0.0.1, 10.0.0.2", PROXIES) == "10.0.0.1"


@pytest.mark.parametrize(
    "forwarded", ["", "   ", "not-an-address", "203.0.113.9, garbage", "203.0.113.9,", "[::1"]
)
def test_a_malformed_entry_stops_at_the_last_address_a_trusted_proxy_gave(
    forwarded: str,
) -> None:
    assert believed_address("10.1.2.3", forwarded, PROXIES) == "10.1.2.3"


def test_a_malformed_entry_left_of_a_believed_one_does_not_matter() -> None:
    assert believed_address("10.1.2.3", "garbage, 203.0.113.9", PROXIES) == "203.0.113.9"


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9:4711 ", "203.0.113.9"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("unknown", None),
        ("203.0.113.9:80:80", None),
        ("[2001:db8::1", None),
    ],
)
def test_entries_are_read_as_addresses_with_or_without_a_port(
    entry: str, address: str | None
) -> None:
    assert parse_address(entry) == address


def test_a_trusted_ipv6_proxy_and_a_mapped_ipv4_one_are_recognised() -> None:
    assert believed_address("2001:db8::5", "203.0.113.9", PROXIES) == "203.0.113.9"
    assert believed_address("::ffff:127.0.0.1", "203.0.113.9", LOOPBACK) == "203.0.113.9"


def _scope(client: tuple[str, int], headers: list[tuple[bytes, bytes]]) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", b"node.example"), *headers],
        "client": client,
    }


def _seen(trusted: Networks, scope: Scope) -> Request:
    seen: list[Request] = []

    async def app(scope: Scope, _receive: Receive, _send: Send) -> None:
        seen.append(Request(scope))

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(_message: Message) -> None:
        return None

    asyncio.run(ForwardedClient(app, trusted)(scope, receive, send))
    return seen[0]


def test_the_middleware_rewrites_client_and_scheme_for_a_trusted_proxy() -> None:
    headers = [
        (b"x-forwarded-for", b"192.0.2.66"),
        (b"x-forwarded-for", b"203.0.113.9"),
        (b"x-forwarded-proto", b"https"),
    ]
    request = _seen(LOOPBACK, _scope(("127.0.0.1", 5000), headers))
    assert client_address(request) == "203.0.113.9"
    assert request.url.scheme == "https"


def test_the_middleware_ignores_the_headers_of_anyone_else() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-proto", b"https")]
    for trusted in ((), PROXIES):
        request = _seen(trusted, _scope(("127.0.0.1", 5000), headers))
        assert client_address(request) == "127.0.0.1"
        assert request.url.scheme == "http"
