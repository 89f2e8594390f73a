"""The web pages in a real browser: Debian's Chromium driven by Playwright, against a real
`accord demo` process. Screenshots go to ``ACCORD_SCREENSHOTS`` (e.g. docs/screenshots) or
the test's temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import free_port
from tests.processes import start_accord

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`accord demo` serving the demo region, and what it wrote to demo.json."""
    data_dir = tmp_path_factory.mktemp("browser") / "demo"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ACCORD_CONFIG": str(data_dir.parent / "none.toml")}
    process = start_accord(
        ["demo", "--port", str(port), "--data-dir", str(data_dir)], env, url, timeout=120
    )
    try:
        yield json.loads((data_dir / "demo.json").read_text())
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # Chromium's sandbox cannot start as root (CI runs as root); elsewhere keep it.
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ACCORD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Tab:
    """A page that records console errors (a CSP violation is one) and failed requests."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))

    def close(self) -> None:
        self.context.close()


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
