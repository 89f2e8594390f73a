"""Two desks in two browsers, and a third left out (fixtures in conftest.py): Estonia's focal
point composes a TLP:AMBER alert for Latvia in the console; Latvia's focal point, whose
situation page is already open, sees it arrive without a reload (list row, map area,
timeline bar) and acknowledges it in one click; Estonia's alert page then shows Latvia's
acknowledgement. Lithuania's open page never receives it."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import BROWSER, Tab, issue_green

pytestmark = BROWSER

WAIT = 20_000  # ms, for each condition awaited (CI runs on two busy cores)
AREA = "57.2,21.6 57.2,22.4 57.6,22.4 57.6,21.6 57.2,21.6"  # the Irbe strait


def test_an_alert_composed_in_one_browser_arrives_live_in_anothers_and_is_acknowledged(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    from playwright.sync_api import expect  # the `browser` fixture has made sure it is there

    author, reader, outsider = (_signed_in(browser, demo, who) for who in ("ee", "lv", "lt"))
    try:
        for tab in (reader, outsider):
            expect(tab.page.locator("#live-status.is-live")).to_have_count(1, timeout=WAIT)
        bars_before = reader.page.locator("svg.timeline-svg a.bar").count()
        headline = f"Oil slick <b>off</b> Ventspils {time.time_ns()}"
        record_id = _compose(author.page, demo, headline)

        page = reader.page
        row = page.locator(f'table.alerts tbody tr[data-alert="{record_id}"]')
        expect(row).to_have_count(1, timeout=WAIT)
        expect(row.locator("a")).to_have_text(headline, timeout=WAIT)  # text, never markup
        area = page.locator(f'svg.map-svg g.areas a.area[data-alert="{record_id}"]')
        expect(area).to_have_class(re.compile(r"\bsev-severe\b"), timeout=WAIT)
        expect(area.locator("path")).to_have_attribute(
            "d", re.compile(r"^M[-\d.,L]+Z$"), timeout=WAIT
        )
        assert headline in area.locator("title").text_content()
        bar = page.locator(f'svg.timeline-svg a.bar[data-alert="{record_id}"]')
        expect(bar).to_have_class(re.compile(r"\bsev-severe\b"), timeout=WAIT)
        sent_x = float(bar.locator("rect").get_attribute("x"))
        now_x = float(page.locator("svg.timeline-svg line.now").get_attribute("x1"))
        assert abs(sent_x - now_x) < 2  # sent just now, on the page's own axis
        assert page.locator("svg.timeline-svg a.bar").count() == bars_before + 1
        assert page.locator("b").count() == 0
        page.screenshot(path=str(shots / "console-second-subscriber.png"), full_page=True)

        row.locator("a").click()
        page.wait_for_url(f"**/console/alerts/{record_id}")
        page.get_by_role("button", name="Acknowledge for LV").click()
        page.wait_for_url(f"**/console/alerts/{record_id}#board")

        author.page.reload()
        acknowledged = author.page.locator("table.responses tbody tr", has_text="LV")
        expect(acknowledged).to_contain_text("Acknowledged", timeout=WAIT)
        author.page.screenshot(path=str(shots / "console-acknowledged-by-lv.png"), full_page=True)

        # Lithuania may read a GREEN alert sent after the AMBER one; events come in order,
        # so once it is on the page the AMBER one would have been too.
        later = issue_green(demo, f"Harbour closed {uuid.uuid4().hex[:6]}")
        expect(outsider.page.locator(f'tr[data-alert="{later}"]')).to_have_count(1, timeout=WAIT)
        assert outsider.page.locator(f'[data-alert="{record_id}"]').count() == 0
        assert headline not in outsider.page.content()
        for tab in (author, reader, outsider):
            assert tab.errors == []
    finally:
        for tab in (author, reader, outsider):
            tab.close()


def _signed_in(browser: Any, demo: dict[str, Any], state: str) -> Tab:
    """A browser context of its own, signed in as ``state``'s focal point on /console."""
    username = f"{state}-focal"
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    tab.page.set_default_timeout(WAIT)
    tab.page.goto(demo["url"] + "/signin")
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(demo["passwords"][username])
    tab.page.get_by_role("button", name="Sign in").click()
    tab.page.wait_for_url("**/console")
    return tab


def _compose(page: Any, demo: dict[str, Any], headline: str) -> str:
    """Send a TLP:AMBER alert for Latvia from the compose form; its record id."""
    page.goto(demo["url"] + "/console/compose")
    page.get_by_label("CAP scope").select_option("Restricted")
    page.get_by_label("Restriction").fill("TLP:AMBER, Latvia")
    page.get_by_label("Category").select_option("Env")
    page.get_by_label("Event (required)").fill("Oil spill")
    page.get_by_label("Urgency").select_option("Immediate")
    page.get_by_label("Severity").select_option("Severe")
    page.get_by_label("Certainty").select_option("Observed")
    page.get_by_label("Headline").fill(headline)
    page.get_by_label("Area description").fill("Irbe strait")
    page.get_by_role("textbox", name="Polygon").fill(AREA)
    page.get_by_label("TLP").select_option("AMBER")
    page.get_by_label("Latvia (LV)").check()
    page.get_by_role("button", name="Send the alert").click()
    page.wait_for_url(re.compile(r".*/console/alerts/[^/#]+$"))
    return str(page.url.rsplit("/", 1)[1])
