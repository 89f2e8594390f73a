"""The destination policy: only public addresses unless the operator allowlisted them."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from accord.adapters.channels.destinations import DestinationPolicy, RefusedDestination
from accord.errors import ConfigurationError

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


def _fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    """Answer getaddrinfo from ``table``; returns the list of names that were looked up."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        host = host.lower()  # as DNS does
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("100.64.0.1", "shared"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("192.0.2.1", "documentation"),
        ("2001:db8::1", "documentation"),
        ("fec0::1", "site-local"),
        ("::ffff:10.0.0.5", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a00:5", "private"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("::a00:5", "IPv4-compatible"),
    ],
)
def test_a_non_public_address_is_refused_for_good(address: str, kind: str) -> None:
    with pytest.raises(RefusedDestination) as refused:
        DestinationPolicy().resolve(address, 443)
    assert refused.value.permanent
    assert str(refused.value).startswith("destination ")


def test_the_refusal_names_the_address_and_what_it_is() -> None:
    with pytest.raises(RefusedDestination, match=r"destination 10\.0\.0\.5 is a private address"):
        DestinationPolicy().resolve("10.0.0.5", 80)
    with pytest.raises(RefusedDestination, match="metadata"):
        DestinationPolicy().resolve("169.254.169.254", 80)
    with pytest.raises(RefusedDestination, match="IPv4-mapped"):
        DestinationPolicy().resolve("::ffff:10.0.0.5", 80)


@pytest.mark.parametrize(
    "address",
    [PUBLIC_V4, "8.8.8.8", PUBLIC_V6, "::ffff:93.184.216.34", "64:ff9b::5db8:d822"],
)
def test_a_public_address_is_returned_without_a_lookup(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    asked = _fake_dns(monkeypatch, {})
    resolved = DestinationPolicy().resolve(address, 443)
    assert ipaddress.ip_address(resolved) == ipaddress.ip_address(address)
    assert asked == []


def test_a_bracketed_ipv6_literal_is_understood() -> None:
    assert DestinationPolicy().resolve(f"[{PUBLIC_V6}]", 443) == PUBLIC_V6


def test_a_name_resolves_once_to_its_first_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _fake_dns(monkeypatch, {"hooks.example": [PUBLIC_V4, "8.8.8.8"]})
    assert DestinationPolicy().resolve("hooks.example", 443) == PUBLIC_V4
    assert asked == ["hooks.example"]


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {"rebind.example": [PUBLIC_V4, "10.1.2.3"]})
    with pytest.raises(RefusedDestination, match=r"10\.1\.2\.3") as refused:
        DestinationPolicy().resolve("rebind.example", 443)
    assert refused.value.permanent


def test_localhost_by_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"localhost": ["::1", "127.0.0.1"]})
    with pytest.raises(RefusedDestination, match="loopback"):
        DestinationPolicy().resolve("localhost", 80)


def test_a_name_that_does_not_resolve_is_refused_for_now(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {})
    with pytest.raises(RefusedDestination, match=r"could not resolve nowhere\.example") as refused:
        DestinationPolicy().resolve("nowhere.example", 443)
    assert not refused.value.permanent


def test_an_allowed_network_lets_its_addresses_through() -> None:
    policy = DestinationPolicy(allow=["127.0.0.0/8", "::1/128", "10.20.0.0/16"])
    assert policy.resolve("127.0.0.1", 80) == "127.0.0.1"
    assert policy.resolve("::1", 80) == "::1"
    assert policy.resolve("10.20.30.40", 80) == "10.20.30.40"
    mapped = policy.resolve("::ffff:10.20.30.40", 80)
    assert ipaddress.ip_address(mapped) == ipaddress.ip_address("::ffff:10.20.30.40")
    with pytest.raises(RefusedDestination):
        policy.resolve("10.21.0.1", 80)
    with pytest.raises(RefusedDestination):
        policy.resolve("169.254.169.254", 80)


def test_an_allowed_network_must_cover_every_non_public_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {"split.example": ["10.20.0.1", "10.99.0.1"]})
    with pytest.raises(RefusedDestination, match=r"10\.99\.0\.1"):
        DestinationPolicy(allow=["10.20.0.0/16"]).resolve("split.example", 80)


def test_an_allowed_host_name_may_resolve_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"intranet.example": ["10.9.8.7"], "other.example": ["10.9.8.7"]})
    policy = DestinationPolicy(allow=["Intranet.Example."])
    assert policy.resolve("intranet.example", 443) == "10.9.8.7"
    assert policy.resolve("INTRANET.example", 443) == "10.9.8.7"
    with pytest.raises(RefusedDestination):
        policy.resolve("other.example", 443)


def test_an_allowed_host_name_that_does_not_resolve_is_still_refused_for_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {})
    with pytest.raises(RefusedDestination) as refused:
        DestinationPolicy(allow=["intranet.example"]).resolve("intranet.example", 443)
    assert not refused.value.permanent


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "fe80::zz/64", "not a host", ""])
def test_a_malformed_allowlist_entry_is_a_configuration_error(entry: str) -> None:
    with pytest.raises(ConfigurationError):
        DestinationPolicy(allow=[entry])
