"""Whose X-Forwarded-For the node believes, over real HTTP: nobody's by default, so a
forged header does not escape the sign-in throttle; a trusted proxy's, which then names
the client the throttle counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from accord.bootstrap import Node, build
from accord.config import Settings
from tests.integration.conftest import LiveServer, Region, serving
from tests.integration.web_pages import PASSWORD, sign_in

ADDRESS_FREE_FAILURES = 20  # domain.signin.ADDRESS_THROTTLE


def _fail_from_many_names(client: httpx.Client, forwarded_for: Iterator[str]) -> None:
    """An address's worth of failures, each for another user so no user's throttle trips."""
    for n in range(ADDRESS_FREE_FAILURES):
        client.headers["x-forwarded-for"] = next(forwarded_for)
        assert sign_in(client, f"guess-{n}", "wrong password guess").status_code == 401


def test_a_forged_x_forwarded_for_does_not_escape_the_sign_in_throttle(
    server: LiveServer, node: Node, region: Region
) -> None:
    node.sessions.set_password("ee-focal-point", PASSWORD)
    forged = (f"203.0.113.{n}" for n in range(1, 255))
    with server.client() as attacker:
        _fail_from_many_names(attacker, forged)
        attacker.headers["x-forwarded-for"] = next(forged)
        locked = sign_in(attacker, "ee-focal-point")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


@pytest.fixture
def behind_proxy(settings: Settings) -> Iterator[tuple[LiveServer, Node]]:
    """The node behind a proxy on loopback that it trusts."""
    node = build(replace(settings, trusted_proxies="127.0.0.1/32, 10.0.0.0/8"))
    node.identity.add_participant("EE", "Estonia", "state")
    node.identity.add_user("ee-focal", "focal-point", "EE")
    node.sessions.set_password("ee-focal", PASSWORD)
    try:
        with serving(node) as live:
            yield live, node
    finally:
        node.close()


def test_a_trusted_proxy_names_the_client_the_sign_in_throttle_counts(
    behind_proxy: tuple[LiveServer, Node],
) -> None:
    live, _node = behind_proxy
    with live.client() as proxy:
        # each entry: what the client claimed, then what the proxy saw (a trusted hop last)
        _fail_from_many_names(proxy, iter(["192.0.2.1, 198.51.100.7, 10.0.0.5"] * 99))
        proxy.headers["x-forwarded-for"] = "198.51.100.7"
        assert sign_in(proxy, "ee-focal").status_code == 429
        proxy.headers["x-forwarded-for"] = "192.0.2.1, 198.51.100.8"
        assert sign_in(proxy, "ee-focal").status_code == 303  # another client is let in


def test_a_trusted_proxy_says_whether_the_client_came_over_https(
    behind_proxy: tuple[LiveServer, Node],
) -> None:
    live, _node = behind_proxy
    with live.client() as proxy:
        page = proxy.get("/signin", headers={"x-forwarded-proto": "https"})
    assert "Secure" in page.headers["set-cookie"]


def test_anyone_else_cannot_claim_https_for_a_plain_connection(server: LiveServer) -> None:
    with server.client() as client:
        page = client.get("/signin", headers={"x-forwarded-proto": "https"})
    assert "Secure" not in page.headers["set-cookie"]
