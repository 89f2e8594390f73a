"""The console's agreement pages over real HTTP, on both engines: agreements with every
figure's source, the calendar, and the compliance board — late and missed items with
their evidence, withheld evidence kept withheld, and outsiders answered "not found" as
the API answers them."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from accord.bootstrap import Node, build
from accord.config import Settings
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, inline_code, sign_in

PACT = "border-pact"
VIENNA = "vienna-document-2011"
HOSTILE = "<script>alert('pact')</script>"


class _MovableClock:
    """Real time plus an offset the test moves (duties fall due without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> _MovableClock:
    return _MovableClock()


@pytest.fixture
def node(settings: Settings, clock: _MovableClock) -> Iterator[Node]:
    built = build(settings, clock=clock)
    yield built
    built.close()


def _treaty(now: datetime) -> dict[str, Any]:
    return {
        "name": PACT,
        "title": f"Border pact {HOSTILE}",
        "version": 1,
        "parties": ["EE", "LV"],
        "mandate": "Notify large exercises; acknowledge each other's alerts within the hour.",
        "tier": 1,
        "starts": (now - timedelta(days=30)).date().isoformat(),
        "sunset": (now + timedelta(days=100)).date().isoformat(),
        "review": None,
        "emergency": None,
        "advance": None,
        "obligations": [
            {
                "id": "notify",
                "tier": 1,
                "rule": "prior-notification",
                "description": "Notify exercises of 9,000 troops or more 42 days ahead.",
                "source": "the pact, article 1",
                "params": {
                    "activities": ["exercise"],
                    "thresholds": {
                        "personnel": {"value": 9000, "source": "article 1", "verified": True}
                    },
                    "lead_days": {"value": 42, "source": "article 1 (2)", "verified": False},
                },
            },
            {
                "id": "hotline",
                "tier": 1,
                "rule": "alert-acknowledgement",
                "description": "Acknowledge every alert within the hour.",
                "source": "the pact, article 2",
                "params": {"acknowledge_within_minutes": 60},
            },
        ],
    }


def _exercise(activity_id: str, now: datetime, starts_in_days: float) -> dict[str, Any]:
    start = now + timedelta(days=starts_in_days)
    return {
        "kind": "notification",
        "activity_id": activity_id,
        "activity": "exercise",
        "start": start.isoformat(),
        "end": (start + timedelta(days=5)).isoformat(),
        "area": "the northern training area",
        "forces": {"personnel": 9500},
    }


@pytest.fixture
def judged(server: LiveServer, region: Region, node: Node, clock: _MovableClock) -> dict[str, str]:
    """The pact loaded; EE notifies late; LV notifies late in a RED filing for LV alone;
    EE issues an alert that LV never acknowledges, and two hours pass."""
    now = clock.now()
    with server.client(region.tokens["admin"]) as admin:
        admin.post("/api/v1/agreements", json=_treaty(now)).raise_for_status()
    with server.client(region.tokens["EE:focal-point"]) as ee:
        late = ee.post("/api/v1/filings", json=_exercise("EE-LATE", now, 41)).json()
        alert = ee.post(
            "/api/v1/alerts",
            content=alert_xml("W-PACT-1"),
            headers={"Content-Type": "application/cap+xml"},
            params={"tlp": "GREEN"},
        )
    assert alert.status_code == 201, alert.text
    with server.client(region.tokens["LV:focal-point"]) as lv:
        secret = lv.post(
            "/api/v1/filings",
            json=_exercise("LV-QUIET", now, 41),
            params={"tlp": "RED", "audience": "LV"},
        ).json()
    clock.offset = timedelta(hours=2)
    for user in ("ee-analyst", "lv-analyst", "lt-focal-point", "obs-observer", "reporter"):
        node.sessions.set_password(user, PASSWORD)
    node.sessions.set_password("admin", PASSWORD)
    return {
        "late": late["record_id"],
        "alert": alert.json()["record_id"],
        "secret": secret["record_id"],
    }


def _as(server: LiveServer, username: str, paths: list[str]) -> dict[str, httpx.Response]:
    with server.client() as client:
        assert sign_in(client, username).status_code == 303
        return {path: client.get(path) for path in paths}


def test_the_agreements_page_lists_held_and_built_in_agreements_and_the_calendar(
    server: LiveServer, judged: dict[str, str]
) -> None:
    (party,) = _as(server, "ee-analyst", ["/console/agreements"]).values()
    (outsider,) = _as(server, "lt-focal-point", ["/console/agreements"]).values()
    assert party.status_code == 200
    assert f'href="/console/agreements/{PACT}/compliance"' in party.text
    assert f'href="/console/agreements/{VIENNA}"' in party.text
    assert "built in, not loaded" in party.text  # Vienna is shipped, not loaded here
    assert "sunset" in party.text.split("Reviews and sunsets")[1]  # the pact's, in 100 days
    assert f'href="/console/agreements/{PACT}"' in outsider.text  # agreements are public
    assert f"/console/agreements/{PACT}/compliance" not in outsider.text
    for page in (party, outsider):
        assert HOSTILE not in page.text
        assert html.escape(HOSTILE) in page.text or "&lt;script&gt;" in page.text


def test_an_agreement_shows_each_figure_with_its_source_and_whether_it_was_verified(
    server: LiveServer, judged: dict[str, str]
) -> None:
    pages = _as(
        server,
        "lt-focal-point",
        [
            f"/console/agreements/{PACT}",
            f"/console/agreements/{VIENNA}",
            "/console/agreements/nope",
        ],
    )
    pact = pages[f"/console/agreements/{PACT}"].text
    assert "thresholds.personnel" in pact
    assert "article 1 (2)" in pact
    assert "✓ verified" in pact
    assert "✗ not verified" in pact
    assert HOSTILE not in pact
    vienna = pages[f"/console/agreements/{VIENNA}"]
    assert vienna.status_code == 200
    assert "VD11" in vienna.text
    assert pages["/console/agreements/nope"].status_code == 404


def test_the_board_shows_late_and_missed_items_with_their_evidence(
    server: LiveServer, judged: dict[str, str]
) -> None:
    path = f"/console/agreements/{PACT}/compliance"
    page = _as(server, "ee-analyst", [path])[path]
    assert page.status_code == 200
    text = page.text
    items = text.split('id="short"')[1].split('id="ladder"')[0]
    assert "activity/EE-LATE" in items
    assert "late by 1 day" in items
    assert judged["late"] in items  # a filing: shown by its record id, not linked
    assert f'href="/console/alerts/{judged["late"]}"' not in text
    assert f'href="/console/alerts/{judged["alert"]}"' in items  # an alert: linked
    assert "not done, overdue by 1 h" in items  # LV never acknowledged EE's alert
    assert '<svg viewBox="0 0' in text
    assert '<title id="chart-title">' in text
    assert '<desc id="chart-desc">' in text
    assert 'class="status-series"' in text  # the chart's table equivalent
    assert '<th scope="row">LV</th>' in text


def test_evidence_outside_the_users_scope_stays_withheld(
    server: LiveServer, judged: dict[str, str]
) -> None:
    path = f"/console/agreements/{PACT}/compliance"
    ee = _as(server, "ee-analyst", [path])[path].text
    lv = _as(server, "lv-analyst", [path])[path].text
    assert "LV-QUIET" not in ee
    assert judged["secret"] not in ee
    assert "1 withheld (outside your scope)" in ee
    assert "activity/LV-QUIET" in lv  # LV's own analyst sees its own filing
    assert judged["secret"] in lv


@pytest.mark.parametrize("user", ["lt-focal-point", "obs-observer", "reporter"])
def test_an_outsider_gets_the_apis_not_found_on_the_board(
    server: LiveServer, region: Region, judged: dict[str, str], user: str
) -> None:
    path = f"/console/agreements/{PACT}/compliance"
    pages = _as(server, user, [path, f"/console/agreements/{VIENNA}/compliance"])
    token = {"lt-focal-point": "LT:focal-point", "obs-observer": "OBS:observer"}.get(user, user)
    with server.client(region.tokens[token]) as api:
        refused = api.get(f"/api/v1/agreements/{PACT}/compliance")
    assert refused.status_code == pages[path].status_code == 404
    assert pages[f"/console/agreements/{VIENNA}/compliance"].status_code == 404
    for page in pages.values():
        assert "LV-QUIET" not in page.text
        assert "EE-LATE" not in page.text
        assert judged["secret"] not in page.text
        assert judged["late"] not in page.text


def test_an_admin_sees_every_partys_evidence(server: LiveServer, judged: dict[str, str]) -> None:
    path = f"/console/agreements/{PACT}/compliance"
    page = _as(server, "admin", [path])[path].text
    assert "activity/LV-QUIET" in page
    assert "withheld (outside your scope)" not in page


def test_the_agreement_pages_need_a_session_and_carry_the_strict_policy(
    server: LiveServer, judged: dict[str, str]
) -> None:
    paths = [
        "/console/agreements",
        f"/console/agreements/{PACT}",
        f"/console/agreements/{PACT}/compliance",
        f"/console/agreements/{VIENNA}",
        "/console/agreements/Bad%20Name",
    ]
    with server.client() as anonymous:
        for path in paths:
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/signin")
    for path, response in _as(server, "admin", paths).items():
        assert "'unsafe-inline'" not in response.headers["content-security-policy"], path
        assert response.headers["cache-control"] == "no-store", path
        assert inline_code(response.text) == [], path
    assert _as(server, "admin", [paths[-1]])[paths[-1]].status_code == 404
