"""Hostile content in Chromium: a few hundred XSS payloads (tests/xss_payloads.py) in every
text an alert carries, half issued on this node and half arriving by replication from a
second real node, plus participant and agency names. Every web page that shows them is
opened with the page's own CSP switched off, so only escaping stands between a payload and
running; a hook installed before any page script records any payload that runs, and the
DOM is searched for anything a payload would have created. The CSP itself is checked on
every response."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

from accord.entrypoints.web.security import CONTENT_SECURITY_POLICY, is_web_path
from tests.e2e.conftest import BROWSER, Tab
from tests.integration.cap_samples import BASE_TIME, cap_time
from tests.integration.conftest import database_url as database_url
from tests.integration.test_federation import Site, _peer, _pull
from tests.integration.test_federation import sites as sites
from tests.integration.web_pages import PASSWORD
from tests.xss_payloads import chunks, payloads, url_payloads

pytestmark = BROWSER

AREAS = 4
# headline, event, senderName, description, instruction, then one areaDesc per area; and
# a URL for <web>, which CAP requires to be a URI.
PER_ALERT = 5 + AREAS
PAYLOADS = payloads(PER_ALERT * 36)
URLS = url_payloads(len(PAYLOADS) // PER_ALERT)
# Names an admin sees: the participants' and agencies' (made on the node, never replicated).
NAMES = [f"Org {n} {payload}" for n, payload in enumerate(PAYLOADS[:20:2])]
AGENCIES = [f"Agency {n} {payload}" for n, payload in enumerate(PAYLOADS[1:20:2])]
NOT_LINKS = ("/api/", "/feeds/", "/log/", "/public/", "/federation/", "/static/", "/signout")
MAX_PAGES = 300

HOOK = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + args.join(",")); };
}
"""
# Anything a payload would have made: tags no Accord page uses, event-handler attributes,
# script, javascript: or data: URLs, scripts or images from anywhere but /static.
OFFENCES = """
() => {
  const found = [];
  const banned = new Set(["iframe", "frame", "frameset", "object", "embed", "base", "style",
    "marquee", "math", "audio", "video", "source", "animate", "set", "foreignobject",
    "noscript", "x", "applet", "mglyph"]);
  const urls = new Set(["href", "src", "action", "formaction", "data", "srcdoc", "poster",
    "background", "xlink:href", "ping", "to", "values", "from", "content"]);
  const local = (value) => value.startsWith("/") && !value.startsWith("//")
    || value.startsWith(location.origin + "/");
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName.toLowerCase();
    const where = tag + (el.id ? "#" + el.id : "");
    if (banned.has(tag)) found.push("<" + tag + ">");
    if (tag === "script" && !local(el.getAttribute("src") || "")) found.push("script " + where);
    if (tag === "img" && !local(el.getAttribute("src") || "")) found.push("img " + where);
    if (tag === "meta" && el.hasAttribute("http-equiv")) found.push("meta http-equiv");
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]+/g, "").toLowerCase();
      if (name.startsWith("on") || name === "srcdoc" || name === "formaction") {
        found.push(where + " [" + name + "]");
      }
      if (urls.has(name) && /^(javascript|data|vbscript):/.test(value)) {
        found.push(where + " [" + name + "=" + value.slice(0, 40) + "]");
      }
    }
  }
  return {found, ran: window.__xss, text: document.documentElement.textContent};
}
"""


def _cap(identifier: str, texts: list[str], web: str) -> bytes:
    """A public CAP alert whose every free text is a payload (escaped as XML only)."""
    headline, event, sender_name, description, instruction, *areas = texts
    area_xml = "".join(
        f"<area><areaDesc>{escape(text)}</areaDesc>"
        f"<polygon>{59 + n * 0.2},24.0 {59 + n * 0.2},25.0 {60 + n * 0.2},25.0 "
        f"{60 + n * 0.2},24.0 {59 + n * 0.2},24.0</polygon></area>"
        for n, text in enumerate(areas)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>warnings@met.example</sender>"
        f"<sent>{cap_time(BASE_TIME)}</sent><status>Actual</status><msgType>Alert</msgType>"
        "<scope>Public</scope><info><category>Met</category>"
        f"<event>{escape(event)}</event><urgency>Immediate</urgency><severity>Severe</severity>"
        f"<certainty>Observed</certainty><senderName>{escape(sender_name)}</senderName>"
        f"<headline>{escape(headline)}</headline><description>{escape(description)}</description>"
        f"<instruction>{escape(instruction)}</instruction><web>{escape(web)}</web>"
        f"{area_xml}</info></alert>"
    ).encode()


def _issue(site: Site, prefix: str, batches: list[list[str]], urls: list[str]) -> None:
    with httpx.Client(
        base_url=site.server.url, headers={"Authorization": f"Bearer {site.focal}"}, timeout=30
    ) as client:
        for n, (texts, web) in enumerate(zip(batches, urls, strict=True)):
            response = client.post(
                "/api/v1/alerts",
                content=_cap(f"{prefix}-{n}", texts, web),
                headers={"content-type": "application/cap+xml"},
            )
            assert response.status_code == 201, response.text


@pytest.fixture
def hostile(sites: tuple[Site, Site]) -> Site:
    """LV holding every payload: half issued there, half pulled from EE's node."""
    lv, ee = sites
    batches = list(chunks(PAYLOADS, PER_ALERT))
    assert all(len(batch) == PER_ALERT for batch in batches)
    half = len(batches) // 2
    _issue(lv, "XSS-LV", batches[:half], URLS[:half])
    _issue(ee, "XSS-EE", batches[half:], URLS[half:])
    _peer(ee, lv, "LV")
    report = _pull(lv, _peer(lv, ee, "EE"))
    assert report["error"] == "", report
    with httpx.Client(base_url=lv.server.url, headers={"Authorization": f"Bearer {lv.focal}"}) as c:
        items = c.get("/api/v1/alerts", params={"limit": 200}).json()["items"]
    arrived = {item["alert"]["identifier"] for item in items}
    assert {f"XSS-EE-{n}" for n in range(len(batches) - half)} <= arrived
    for n, (name, agency) in enumerate(zip(NAMES, AGENCIES, strict=True)):
        lv.node.identity.add_participant(f"XSS-ORG-{n}", name, "organisation")
        lv.node.identity.add_agency("LV", agency, "disaster", None)
    lv.node.sessions.set_password("focal", PASSWORD)
    lv.node.sessions.set_password("admin", PASSWORD)
    return lv


class Visitor:
    """One browser tab with the hook installed and the CSP bypassed, recording offences."""

    def __init__(self, browser: Any, base: str) -> None:
        self.tab = Tab(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
        self.base = base
        self.offences: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self.tab.context.add_init_script(HOOK)
        self.tab.page.on("dialog", self._dialog)
        self.tab.page.on("response", self._response)

    def _dialog(self, dialog: Any) -> None:
        self.offences.setdefault(self.tab.page.url, []).append(f"dialog {dialog.message}")
        dialog.dismiss()

    def _response(self, response: Any) -> None:
        path = urlsplit(response.url).path
        if response.url.startswith(self.base) and is_web_path(path):
            policy = response.headers.get("content-security-policy")
            if policy != CONTENT_SECURITY_POLICY:
                self.offences.setdefault(response.url, []).append(f"CSP {policy!r}")

    def inspect(self, path: str) -> list[str]:
        """Open ``path``, note what ran or was made, and return the same-site links on it."""
        page = self.tab.page
        page.goto(self.base + path, wait_until="load")
        result = page.evaluate(OFFENCES)
        if result["found"] or result["ran"]:
            self.offences.setdefault(path, []).extend(result["found"] + result["ran"])
        self.texts.append(result["text"])
        hrefs: list[str] = page.eval_on_selector_all(
            "a[href]", "as => as.map(a => new URL(a.getAttribute('href'), location.href).href)"
        )
        return [self._local(href) for href in hrefs if href.startswith(self.base)]

    def sign_in(self, username: str) -> None:
        page = self.tab.page
        page.goto(self.base + "/signin?next=/console")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")

    def _local(self, href: str) -> str:
        parts = urlsplit(href)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def crawl(self, starts: list[str], done: frozenset[str] = frozenset()) -> list[str]:
        """Every web page reachable by links from ``starts`` (GET only) and not ``done``,
        each inspected once."""
        queue, seen = list(starts), {*starts, *done}
        while queue and len(seen) <= MAX_PAGES:
            path = queue.pop(0)
            for link in self.inspect(path):
                if link not in seen and not link.startswith(NOT_LINKS) and is_web_path(link):
                    seen.add(link)
                    queue.append(link)
        return sorted(seen)


def _check_the_detectors(visitor: Visitor) -> None:
    """What the test looks for is found when it is there: a payload that runs, an
    event-handler attribute, an image from elsewhere."""
    visitor.inspect("/scoreboard")
    page = visitor.tab.page
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=alert(7)>')")
    page.wait_for_function("window.__xss.length > 0")
    result = page.evaluate(OFFENCES)
    assert result["ran"] == ["alert:7"]
    assert {"img [onerror]", "img img"} <= set(result["found"])


def test_hundreds_of_payloads_local_and_replicated_run_nowhere(browser: Any, hostile: Site) -> None:
    visitor = Visitor(browser, hostile.server.url)
    try:
        _check_the_detectors(visitor)
        public = visitor.crawl(["/", "/scoreboard", "/signin"])
        visitor.sign_in("focal")
        console = visitor.crawl(["/console"], done=frozenset(public))
        visitor.tab.page.get_by_role("button", name="Sign out").click()
        visitor.sign_in("admin")  # the admin's pages show participants and agencies
        visitor.crawl(["/console", "/console/admin"], done=frozenset(console) - {"/console"})
    finally:
        visitor.tab.close()
    assert visitor.offences == {}
    assert sum(path.startswith("/alerts/") for path in public) == len(PAYLOADS) // PER_ALERT
    assert sum(path.startswith("/console/alerts/") for path in console) >= len(PAYLOADS) // (
        PER_ALERT
    )
    everything = "\n".join(visitor.texts)
    missing = [text for text in PAYLOADS + NAMES + AGENCIES if text not in everything]
    assert missing == []  # every payload was on a page, as text
