"""Accessibility audit in Chromium: axe-core (bundled by the axe-playwright-python package,
nothing fetched) over the public portal, a public alert, the scoreboard, the sign-in page
(in English and French) and the console's situation view, at desktop and phone widths.
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


def test_the_console_situation_has_no_serious_accessibility_violation(
    browser: Any, demo: dict[str, Any]
) -> None:
    account = demo["console"]
    tab = Tab(browser, viewport=SIZES["desktop"])
    page = tab.page
    try:
        page.goto(account["url"])
        page.get_by_label("Username").fill(account["username"])
        page.get_by_label("Password").fill(account["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        situation = _audit(page)
        page.goto(demo["url"] + "/console?severity=bad")  # the filter's error message shown
        invalid_filter = _audit(page)
    finally:
        tab.close()
    assert situation == []
    assert invalid_filter == []
