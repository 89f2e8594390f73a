"""Accessibility audit in Chromium: axe-core (bundled by the axe-playwright-python package,
nothing fetched) over the public portal, a public alert, the scoreboard, the sign-in page
(in English and French), and every console page a focal point and an admin open (the
situation, an alert, compose with its error messages, agreements and a compliance board,
the log, subscriptions, admin), at desktop and phone widths for the public ones.
No page may have a "serious" or "critical" violation of WCAG 2.1 A/AA or axe's best
practices."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import BROWSER, Tab

pytestmark = BROWSER

OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
PUBLIC = ("/", "/scoreboard", "/signin", "/?lang=fr", "/signin?lang=fr")
LADDER = "baltic-confidence-ladder"
FOCAL_PAGES = (
    "/console/compose",
    "/console/agreements",
    f"/console/agreements/{LADDER}",
    f"/console/agreements/{LADDER}/compliance",
    "/console/log",
    "/console/subscriptions",
)
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _audit(page: Any) -> list[str]:
    """The blocking violations on ``page``: rule, impact and the elements it names."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    response = axe.run(page, options=OPTIONS).response
    assert response["testEngine"]["name"] == "axe-core"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in response["violations"]
        if v["impact"] in BLOCKING
    ]


def _public_alert_path(tab: Tab, base: str) -> str:
    tab.page.goto(base + "/")
    href = tab.page.locator("table.alerts tbody a").first.get_attribute("href")
    assert href is not None
    return str(href)


@pytest.mark.parametrize("size", SIZES)
def test_the_public_pages_have_no_serious_accessibility_violation(
    browser: Any, demo: dict[str, Any], size: str
) -> None:
    tab = Tab(browser, viewport=SIZES[size], is_mobile=size == "phone")
    found: dict[str, list[str]] = {}
    try:
        paths = [*PUBLIC, _public_alert_path(tab, demo["url"])]
        for path in paths:
            tab.page.goto(demo["url"] + path)
            found[path] = _audit(tab.page)
        # ?lang=fr set the switch's cookie: the alert page, opened last, is French too.
        assert tab.page.evaluate("document.documentElement.lang") == "fr"
    finally:
        tab.close()
    assert {path: problems for path, problems in found.items() if problems} == {}
    assert tab.errors == []


def _sign_in(tab: Tab, demo: dict[str, Any], username: str) -> None:
    page = tab.page
    page.goto(demo["url"] + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo["passwords"][username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")


def test_the_console_pages_have_no_serious_accessibility_violation(
    browser: Any, demo: dict[str, Any]
) -> None:
    tab = Tab(browser, viewport=SIZES["desktop"])
    page = tab.page
    found: dict[str, list[str]] = {}
    try:
        _sign_in(tab, demo, demo["console"]["username"])
        found["/console"] = _audit(page)
        alert = page.locator("table.alerts tbody a").first.get_attribute("href")
        assert alert is not None
        page.goto(demo["url"] + "/console?severity=bad")  # the filter's error message shown
        found["/console?severity=bad"] = _audit(page)
        for path in (alert, *FOCAL_PAGES):
            page.goto(demo["url"] + path)
            found[path] = _audit(page)
        page.goto(demo["url"] + "/console/compose")
        page.get_by_role("button", name="Send").click()  # nothing filled in: every message
        page.wait_for_selector(".has-error")
        found["compose with errors"] = _audit(page)
    finally:
        tab.close()
    assert {path: problems for path, problems in found.items() if problems} == {}
    # The bad filter (400) and the refused form (422) are meant; Chromium logs their status.
    expected = ("status of 400 (Bad Request)", "status of 422 (Unprocessable")
    assert [e for e in tab.errors if not any(text in e for text in expected)] == []


def test_the_admin_console_has_no_serious_accessibility_violation(
    browser: Any, demo: dict[str, Any]
) -> None:
    tab = Tab(browser, viewport=SIZES["desktop"])
    try:
        _sign_in(tab, demo, "admin")
        tab.page.goto(demo["url"] + "/console/admin")
        problems = _audit(tab.page)
    finally:
        tab.close()
    assert problems == []
    assert tab.errors == []
