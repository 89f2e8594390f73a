"""One alert cannot make a page or a feed heavy for everyone: an alert stored before the input
limits existed (a 400,000-point polygon, a description of 300,000 characters, 2,000 areas)
is drawn, listed and fed within the render bounds, with a visible note where text is cut."""

from __future__ import annotations

import math
import re

import pytest
from lxml import etree

from accord.adapters.cap_xml import element_to_alert
from accord.bootstrap import Node
from accord.domain.alerts import limits
from accord.services.alerts import IncomingAlert
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
POINTS = 400_000
DESCRIPTION = "Winds of 120 km/h. " * 16_000  # about 300,000 characters


def _ring(points: int) -> str:
    """A circle of ``points`` corners off the Estonian coast (a simple ring, as a careful
    sender's outline would be: the page must stay light even when the alert is genuine)."""
    corners = [
        f"{59 + math.sin(2 * math.pi * n / points):.6f},"
        f"{24 + math.cos(2 * math.pi * n / points):.6f}"
        for n in range(points - 1)
    ]
    return " ".join([*corners, corners[0]])


def _huge_alert_xml() -> bytes:
    areas = f"<area><areaDesc>Whole coast</areaDesc><polygon>{_ring(POINTS)}</polygon></area>"
    areas += "".join(f"<area><areaDesc>Parish {n}</areaDesc></area>" for n in range(2_000))
    document = alert_xml("HUGE-1", headline="H" * 5_000, polygon=None)
    return document.replace(
        b"</info>", f"<description>{DESCRIPTION}</description>{areas}</info>".encode()
    )


@pytest.fixture
def huge(node: Node) -> str:
    """The record id of the huge alert, stored as TLP:CLEAR straight through the service, as
    an alert accepted before the limits (or replicated from a careless peer) would be."""
    node.identity.add_participant("EE", "Estonia", "state")
    node.identity.add_user("ee-focal", "focal-point", "EE")
    account = node.identity.authenticate(node.identity.issue_token("ee-focal")["token"])
    document = _huge_alert_xml()
    alert = element_to_alert(etree.fromstring(document, etree.XMLParser(huge_tree=True)))
    incoming = IncomingAlert(alert, document, "application/cap+xml")
    (receipt,) = node.alerts.issue(account, [incoming], tlp=["CLEAR"], audience=[None])
    return str(receipt.record_id)  # type: ignore[union-attr]


def _drawn_corners(page: str, record_id: str) -> int:
    """Corners of the alert's area on the page's map (``M`` and ``L`` of its path)."""
    found = re.search(
        rf'data-alert="{record_id}"[^>]*>\s*<title>[^<]*</title>\s*<path d="([^"]*)"', page
    )
    assert found is not None
    return found.group(1).count("L") + found.group(1).count("M")


def test_the_portal_draws_and_lists_a_huge_alert_within_the_bounds(
    server: LiveServer, huge: str
) -> None:
    with server.client() as client:
        page = client.get("/").text
    assert len(page.encode()) < 300_000  # it was 8.7 MB
    assert 4 < _drawn_corners(page, huge) <= limits.MAX_DRAWN_POINTS
    assert "H" * (limits.MAX_LISTED_CHARS + 1) not in page
    # the sample's own area, the coast, then parishes up to the bound, then a count
    shown = limits.MAX_LISTED_AREAS - 2
    assert "Test area; Whole coast; Parish 0;" in page
    assert f"Parish {shown - 1}; … (+{2_002 - limits.MAX_LISTED_AREAS})" in page
    assert f"Parish {shown};" not in page


def test_the_alert_page_cuts_the_description_with_a_visible_note(
    server: LiveServer, huge: str
) -> None:
    with server.client() as client:
        page = client.get(f"/alerts/{huge}").text
    assert len(page.encode()) < 300_000
    assert "This text is shortened here" in page
    assert DESCRIPTION[: limits.MAX_SHOWN_CHARS] in page
    assert DESCRIPTION[: limits.MAX_SHOWN_CHARS + 20] not in page


def test_the_atom_feed_entry_of_a_huge_alert_is_bounded(server: LiveServer, huge: str) -> None:
    with server.client() as client:
        feed = client.get("/feeds/cap.atom").content
    assert len(feed) < 20_000
    root = etree.fromstring(feed)
    summary = root.findtext(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary"
    )
    assert summary is not None
    assert summary.endswith(" […]")
    assert len(root.findall(f".//{{{CAP}}}areaDesc")) == limits.MAX_LISTED_AREAS
