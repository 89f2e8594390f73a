"""Which hosts the node may send webhooks to: protection against server-side request forgery.

A webhook URL is chosen by a subscriber, so without a check it could make the node call its
own admin API, a database on the private network or the cloud metadata service. The policy
resolves a host name once and judges every address it resolves to; the caller then connects
to the address returned, never to the name again, so DNS cannot answer "public" to the
check and "private" to the connection (DNS rebinding).

IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``
and NAT64 ``64:ff9b::/96``) are judged by the IPv4 address inside, so ``::ffff:10.0.0.5``
is as private as ``10.0.0.5`` while NAT64 on an IPv6-only network still reaches public hosts.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence

from accord.errors import AccordError, ConfigurationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not covered by the ipaddress flags on every Python we support.
EXTRA_NON_PUBLIC = (
    ipaddress.ip_network("fec0::/10"),  # deprecated site-local
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
)
_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")


class RefusedDestination(AccordError):
    """The destination may not be contacted.

    ``permanent`` is true when the answer will not change on retry (a private address, an
    invalid name) and false when the name could not be resolved right now (DNS failure).
    """

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


class DestinationPolicy:
    """Refuses non-public destinations unless the operator allowlisted them.

    ``allow`` holds CIDR networks (``"127.0.0.0/8"``, ``"::1/128"``, a bare address) or exact
    host names (case-insensitive). A named host is trusted whatever it resolves to, so name
    only hosts whose DNS the operator controls. Immutable after construction: thread-safe.
    """

    def __init__(self, allow: Sequence[str] = ()) -> None:
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for entry in allow:
            network = _parse_network(entry)
            if network is None:
                names.add(_allowed_name(entry))
            else:
                networks.append(network)
        self._networks = tuple(networks)
        self._names = frozenset(names)

    def resolve(self, host: str, port: int) -> str:
        """Resolve ``host`` once and return the address to connect to (the first one).

        Raises ``RefusedDestination`` if any address is not public and not allowed: a name
        with one private address among public ones is refused, since the connection might
        use any of them.
        """
        addresses = _resolve(host.strip("[]"), port)
        if _host_name(host) in self._names:
            return str(addresses[0])
        for address in addresses:
            reason = non_public_reason(address)
            if reason is not None and not self._allows(address):
                raise RefusedDestination(f"destination {address} is {reason}")
        return str(addresses[0])

    def _allows(self, address: IPAddress) -> bool:
        candidates = [address]
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded[0])
        return any(item in network for item in candidates for network in self._networks)


def non_public_reason(address: IPAddress) -> str | None:
    """Why ``address`` must not be contacted by default, in words; ``None`` if it is public."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner, form = embedded
        reason = non_public_reason(inner)
        return None if reason is None else f"{reason} in {form} form"
    return _flag_reason(address)


def _flag_reason(address: IPAddress) -> str | None:
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in SHARED, "a shared (carrier-grade NAT) address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (any(address in network for network in EXTRA_NON_PUBLIC), "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address, str] | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if not _is_host_name(_host_name(host)):
        raise RefusedDestination(f"host name {host!r} is invalid")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise RefusedDestination(f"host name {host!r} is invalid") from exc
    except OSError as exc:
        message = f"could not resolve {host}: {exc.strerror or exc}"
        raise RefusedDestination(message, permanent=False) from exc
    addresses = _unique(ipaddress.ip_address(info[4][0]) for info in infos)
    if not addresses:
        raise RefusedDestination(f"could not resolve {host}: no addresses", permanent=False)
    return addresses


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))


def _parse_network(entry: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        if "/" in entry or ":" in entry:
            raise ConfigurationError(f"allowlist entry {entry!r} is not a valid network") from None
        return None


def _allowed_name(entry: str) -> str:
    name = _host_name(entry)
    if not _is_host_name(name):
        raise ConfigurationError(f"allowlist entry {entry!r} is neither a network nor a host name")
    return name


def _is_host_name(name: str) -> bool:
    labels = name.split(".")
    return set(name) <= _HOST_CHARACTERS and all(0 < len(label) < 64 for label in labels)


def _host_name(host: str) -> str:
    """The lower-case ASCII form of a host name, as it travels in URLs and DNS."""
    name = host.strip().strip("[]").rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name
