"""Browser fixtures: Debian's Chromium driven by Playwright against one real `accord demo`
process for the whole session (every journey's file shares it). Screenshots go to
``ACCORD_SCREENSHOTS`` (e.g. docs/screenshots) or the test's temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.processes import start_accord

CHROMIUM = Path("/usr/bin/chromium")

# Each browser test file sets ``pytestmark = BROWSER``.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`accord demo` serving the demo region, and what it wrote to demo.json."""
    data_dir = tmp_path_factory.mktemp("browser") / "demo"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ACCORD_CONFIG": str(data_dir.parent / "none.toml")}
    process = start_accord(
        # Its deliveries go to a port of its own, not the usual inbox's 8025, where another
        # test's `accord inbox` may be listening for its own demo's.
        [
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--inbox-port",
            str(free_port()),
        ],
        env,
        url,
        timeout=120,
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
    """Chromium for one test file: Playwright's sync API keeps an event loop running in
    this thread while it is open, which later tests' ``asyncio.run`` would trip over."""
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
        self.page.on("requestfailed", self._request_failed)

    def _request_failed(self, request: Any) -> None:
        if _failed(request):
            self.errors.append(f"failed: {request.url}")

    def close(self) -> None:
        self.context.close()


def _failed(request: Any) -> bool:
    """Whether a failed request is an error. Leaving a page aborts what it still loads: a
    live event stream (the situation page's), or an icon the browser fetches after the
    page; those aborts are not errors. Any other failure is."""
    aborted = "ERR_ABORTED" in (request.failure or "")
    return not (aborted and (request.resource_type == "eventsource" or _is_icon(request.url)))


def _is_icon(url: str) -> bool:
    return url.endswith("/static/favicon.svg")


def issue_green(demo: dict[str, Any], headline: str) -> str:
    """A TLP:GREEN alert from Latvia's focal point through the API (what another desk
    sends while a browser watches); its record id."""
    response = httpx.post(
        demo["url"] + "/api/v1/alerts",
        content=alert_xml(f"green-{uuid.uuid4().hex}", headline=headline),
        headers={
            "Content-Type": "application/cap+xml",
            "Authorization": f"Bearer {demo['tokens']['lv-focal']}",
        },
        params={"tlp": "GREEN"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])
