"""The admin page and subscriptions in a real browser (fixtures in conftest.py): the demo
admin adds an agency and a user and issues a token, shown once; a focal point subscribes
with a webhook and rotates its secret."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import BROWSER, Tab

pytestmark = BROWSER


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    page.goto(url + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")


def test_an_admin_adds_an_agency_and_a_user_and_a_focal_point_rotates_a_webhook_secret(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    suffix = uuid.uuid4().hex[:6]
    try:
        _sign_in(page, demo["url"], "admin", demo["passwords"]["admin"])
        page.get_by_role("link", name="Admin", exact=True).click()
        page.wait_for_url("**/console/admin")
        page.locator("#agency-participant").select_option("EE")
        page.locator("#agency-name").fill(f"Browser Board {suffix}")
        page.locator("#agency-sector").select_option("disaster")
        page.get_by_role("button", name="Add agency").click()
        page.wait_for_url("**/console/admin?done=agency*")
        assert page.get_by_role("row", name=f"Browser Board {suffix}").is_visible()
        page.locator("#user-username").fill(f"desk-{suffix}")
        page.locator("#user-role").select_option("analyst")
        page.locator("#user-participant").select_option("EE")
        page.get_by_role("button", name="Add user").click()
        page.wait_for_url("**/console/admin?done=user*")
        page.locator("#token-username").select_option(f"desk-{suffix}")
        page.locator("#token-label").fill("desk system")
        with page.expect_navigation():
            page.get_by_role("button", name="Issue token").click()
        token = page.locator("#issued-token").input_value()
        assert token.startswith("acc_")
        page.screenshot(path=str(shots / "admin-token.png"), full_page=True)
        page.goto(demo["url"] + "/console/admin")
        assert token not in page.content()  # shown once
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(demo["url"] + "/")

        account = demo["console"]
        _sign_in(page, demo["url"], account["username"], account["password"])
        page.get_by_role("link", name="Subscriptions").click()
        page.wait_for_url("**/console/subscriptions")
        page.get_by_label("Name").fill(f"Storms {suffix}")
        page.get_by_label("Met", exact=True).check()
        page.get_by_label("Severity at least").select_option("Severe")
        page.get_by_label("A webhook (signed HTTP POST)").check()
        page.get_by_label("Webhook URL").fill("https://desk.example.ee/hooks/accord")
        with page.expect_navigation():
            page.get_by_role("button", name="Subscribe").click()
        assert page.locator("h1").inner_text() == f"Storms {suffix}"
        first = page.locator("input.secret").input_value()
        assert first.startswith("whsec_")
        with page.expect_navigation():
            page.get_by_role("button", name="Rotate secret of endpoint").click()
        second = page.locator("input.secret").input_value()
        assert second.startswith("whsec_")
        assert second != first
        assert "signs until" in page.locator(".endpoint").inner_text()
        page.screenshot(path=str(shots / "subscription-rotated.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.close()
