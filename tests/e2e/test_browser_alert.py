"""The console's live situation and alert page in a real browser (fixtures in conftest.py):
an alert issued through the API appears on an open situation page without a reload, and
its desk acknowledges it in one click from the alert page."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import BROWSER, Tab, issue_green

pytestmark = BROWSER


def test_a_new_alert_appears_live_and_is_acknowledged_in_one_click(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    account = demo["console"]
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    try:
        page.goto(account["url"] + "?next=/console")
        page.get_by_label("Username").fill(account["username"])
        page.get_by_label("Password").fill(account["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        page.wait_for_selector("#live-status.is-live", timeout=20_000)
        headline = f"Live <b>storm</b> {uuid.uuid4().hex[:6]}"
        record_id = issue_green(demo, headline)
        row = page.locator(f'table.alerts tbody tr[data-alert="{record_id}"]')
        row.wait_for(timeout=20_000)
        assert page.locator("table.alerts tbody tr").first.get_attribute("data-alert") == record_id
        assert row.locator("a").inner_text() == headline  # text, never markup
        assert row.locator("b").count() == 0
        assert headline in page.locator("#live-status").inner_text()
        page.screenshot(path=str(shots / "console-live.png"), full_page=True)

        row.locator("a").click()
        page.wait_for_url(f"**/console/alerts/{record_id}")
        assert page.locator("h1").inner_text() == headline
        assert "Verified" in page.locator(".inclusion").inner_text()
        page.get_by_role("button", name="Acknowledge for EE").click()
        page.wait_for_url(f"**/console/alerts/{record_id}#board")
        assert "acknowledged this alert" in page.locator(".done").inner_text()
        assert "Acknowledged" in page.locator("table.responses").inner_text()
        page.screenshot(path=str(shots / "console-alert.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.close()
