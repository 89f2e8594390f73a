"""Agreements, the compliance board and the log in a real browser against the demo (its
two agreements and a fortnight of filings; fixtures in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import BROWSER, Tab

pytestmark = BROWSER

LADDER = "baltic-confidence-ladder"
VIENNA = "vienna-document-2011"


def test_a_focal_point_reads_the_agreements_the_compliance_board_and_the_log(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    account = demo["console"]
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    try:
        page.goto(account["url"])
        page.get_by_label("Username").fill(account["username"])
        page.get_by_label("Password").fill(account["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Agreements", exact=True).click()
        page.wait_for_url("**/console/agreements")
        assert page.locator(f"tr[data-agreement='{LADDER}']").is_visible()
        assert page.locator("table.calendar tbody tr").count() >= 1
        page.screenshot(path=str(shots / "console-agreements.png"), full_page=True)

        page.locator(f"tr[data-agreement='{LADDER}']").get_by_role(
            "link", name="Compliance board"
        ).click()
        page.wait_for_url(f"**/console/agreements/{LADDER}/compliance")
        chart = page.locator("figure.status-chart svg")
        assert chart.is_visible()
        assert chart.locator("rect.st-met").count() >= 4  # every party but SE shared
        assert chart.locator("rect.st-missed").count() >= 2  # LT's skipped days, SE's silence
        assert page.locator("table.status-series tbody tr").count() >= 5
        missed = page.locator("tr.short-item", has=page.locator(".status.st-missed"))
        assert missed.count() >= 1
        assert "not done" in missed.first.inner_text()
        page.screenshot(path=str(shots / "console-compliance.png"), full_page=True)

        page.goto(f"{demo['url']}/console/agreements/{VIENNA}/compliance")
        late = page.locator("tr.short-item", has=page.locator(".status.st-late"))
        assert late.count() >= 1
        notified = late.filter(has_text="LV-NORTHERN-SHIELD")
        assert "late by" in notified.inner_text()
        assert notified.locator(".record-id").count() == 1  # its evidence: LV's filing
        notified.get_by_role("link").first.click()  # the obligation it breaks
        page.wait_for_url(f"**/console/agreements/{VIENNA}#obligation-*")

        page.get_by_role("link", name="Log and peers").click()
        page.wait_for_url("**/console/log")
        assert int(page.locator(".log-size").inner_text()) > 100
        assert page.locator("tr.log-signature").count() == 1
        assert page.locator("#peers").count() == 0  # a focal point is not an admin
        page.screenshot(path=str(shots / "console-log.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.close()
