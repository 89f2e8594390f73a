"""Composing an alert in a real browser (fixtures in conftest.py): the demo's focal point
picks Estonia as the geocode (which names the area until it is described), draws the area
on the map by clicks, sends the alert, finds it in the situation list, then updates (the
country outlined on the map) and cancels it from its thread."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import BROWSER, Tab

pytestmark = BROWSER


def test_a_focal_point_draws_sends_updates_and_cancels_an_alert(
    browser: Any, demo: dict[str, Any], shots: Path
) -> None:
    account = demo["console"]
    headline = f"Ice on the Väinameri straits {time.time_ns()}"
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    page.set_default_timeout(10_000)
    try:
        page.goto(account["url"])
        page.get_by_label("Username").fill(account["username"])
        page.get_by_label("Password").fill(account["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Compose").click()
        page.wait_for_url("**/console/compose")
        page.get_by_label("Category").select_option("Transport")
        page.get_by_label("Event (required)").fill("Drift ice")
        page.get_by_label("Urgency").select_option("Expected")
        page.get_by_label("Severity").select_option("Moderate")
        page.get_by_label("Certainty").select_option("Likely")
        page.get_by_label("Headline").fill(headline)
        country = page.get_by_label("Country", exact=True)
        country.select_option("EE")
        assert page.get_by_label("Area description").input_value() == "Estonia"
        page.get_by_label("Area description").fill("Väinameri")
        _draw(page, [(0.42, 0.30), (0.50, 0.30), (0.50, 0.40), (0.42, 0.40)])
        polygon = page.get_by_role("textbox", name="Polygon").input_value()
        corners = [tuple(map(float, pair.split(","))) for pair in polygon.split()]
        assert len(corners) == 5
        assert corners[0] == corners[-1]
        assert all(50 < lat < 75 and 5 < lon < 35 for lat, lon in corners)  # the Baltic
        assert page.locator("#drawing-map .vertices circle").count() == 4
        assert page.locator("#drawing-status").inner_text() == "4 corners"
        page.screenshot(path=str(shots / "console-compose.png"), full_page=True)
        page.get_by_role("button", name="Send the alert").click()
        page.wait_for_url(re.compile(r".*/console/alerts/[^/]+$"))
        first = page.url.rsplit("/", 1)[1]
        page.goto(demo["url"] + "/console")
        row = page.locator("table.alerts tbody tr", has_text=headline)
        assert row.count() == 1
        page.screenshot(path=str(shots / "console-composed.png"), full_page=True)

        page.goto(f"{demo['url']}/console/alerts/{first}/update")
        assert page.get_by_role("textbox", name="Polygon").input_value() == polygon
        assert country.input_value() == "EE"
        assert page.locator("#drawing-map path.outline title").text_content() == "Estonia (EE)"
        page.get_by_label("Headline").fill(f"{headline}, thicker")
        page.get_by_role("button", name="Send the update").click()
        page.wait_for_url(re.compile(r".*/console/alerts/[^/]+$"))
        update = page.url.rsplit("/", 1)[1]
        assert update != first

        page.goto(f"{demo['url']}/console/alerts/{update}/cancel")
        assert page.get_by_label("Response").input_value() == "AllClear"
        page.get_by_label("Note").fill("The ice has gone.")
        page.screenshot(path=str(shots / "console-cancel.png"), full_page=True)
        page.get_by_role("button", name="Send the cancellation").click()
        page.wait_for_url(re.compile(r".*/console/alerts/[^/]+$"))
        assert f"Cancelled: {headline}, thicker" in page.locator("h1").inner_text()
        page.goto(f"{demo['url']}/console/alerts/{update}/update")
        assert "cancelled" in page.locator("main").inner_text()
        assert [e for e in tab.errors if "409" not in e and "/console/stream" not in e] == []
    finally:
        tab.close()


def _draw(page: Any, points: list[tuple[float, float]]) -> None:
    """Click the drawing map at each (x, y), given as fractions of its size."""
    box = page.locator("#drawing-map").bounding_box()
    for x, y in points:
        page.locator("#drawing-map").click(position={"x": box["width"] * x, "y": box["height"] * y})
