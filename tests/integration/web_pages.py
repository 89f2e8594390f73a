"""Helpers for the web tests: signing in through the real form, reading pages' HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

PASSWORD = "a demo password, long enough"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in page and post its form, as a browser would."""
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"csrf_token": form_token(page.text), "username": username, "password": password},
    )


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes and
    elements, event-handler attributes, javascript: URLs, and anything from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and value:
                lowered = value.strip().lower()
                if lowered.startswith(("javascript:", "http:", "https:", "//")):
                    self.found.append(f"{tag} {name}={value}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found
