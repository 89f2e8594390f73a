"""The portal and the console's situation view in a real browser (fixtures in conftest.py):
signed out, signed in, on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import BROWSER, Tab

pytestmark = BROWSER


def test_signed_out_a_visitor_reads_the_public_map_list_and_an_alert(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    try:
        page.goto(demo["url"] + "/")
        assert page.title().startswith("Public alerts")
        assert page.locator("svg.map-svg").is_visible()
        assert page.locator("svg.map-svg .land path").count() > 5
        assert page.locator("svg.map-svg a.area").count() >= 1
        rows = page.locator("table.alerts tbody tr")
        assert rows.count() >= 3
        assert page.locator("a[href='/feeds/cap.atom']").first.is_visible()
        assert page.locator("table.alerts .tlp").count() == 0  # no scope column: all CLEAR
        page.screenshot(path=str(shots / "portal.png"), full_page=True)
        headline = rows.first.locator("a").inner_text()
        rows.first.locator("a").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == headline
        assert page.locator("svg.map-svg").is_visible()
        page.screenshot(path=str(shots / "public-alert.png"), full_page=True)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert tab.errors == []
    finally:
        tab.close()


def test_a_focal_point_signs_in_sees_the_situation_map_and_signs_out(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    account = demo["console"]
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    try:
        page.goto(account["url"])
        page.get_by_label("Username").fill(account["username"])
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert "not right" in page.get_by_role("alert").inner_text()
        page.get_by_label("Password").fill(account["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        assert account["username"] in page.locator(".who").inner_text()
        assert page.locator("svg.map-svg a.area").count() >= 1
        levels = set(page.locator("table.alerts .tlp").all_inner_texts())
        assert {"TLP:CLEAR", "TLP:GREEN"} <= levels
        page.screenshot(path=str(shots / "console-situation.png"), full_page=True)
        page.get_by_label("TLP").select_option("GREEN")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**/console?*tlp=GREEN*")
        assert set(page.locator("table.alerts .tlp").all_inner_texts()) == {"TLP:GREEN"}
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(demo["url"] + "/")
        assert page.get_by_role("link", name="Sign in").is_visible()
        page.goto(demo["url"] + "/console")
        assert page.url.startswith(demo["url"] + "/signin")
        assert tab.errors == [] or all("401" in e for e in tab.errors)
    finally:
        tab.close()


def test_the_portal_fits_a_phone_screen(browser: Any, demo: dict[str, Any], shots: Path) -> None:
    tab = Tab(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = tab.page
    try:
        page.goto(demo["url"] + "/")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert page.locator("svg.map-svg").bounding_box()["width"] <= 390
        page.screenshot(path=str(shots / "portal-phone.png"), full_page=True)
    finally:
        tab.close()
