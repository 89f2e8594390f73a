"""Helpers for the console's form pages in tests: a signed-in client, and the form fields
a page leaves without a label."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import httpx

from accord.bootstrap import Node
from tests.integration.conftest import LiveServer
from tests.integration.web_pages import PASSWORD, sign_in


@contextmanager
def signed_in(server: LiveServer, node: Node, username: str) -> Iterator[httpx.Client]:
    """A client signed in to the console as ``username`` (given the test password)."""
    node.sessions.set_password(username, PASSWORD)
    with server.client() as client:
        assert sign_in(client, username).status_code == 303
        yield client


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "label" and names.get("for"):
            self.labelled.add(str(names["for"]))
        if tag in ("select", "textarea") or (
            tag == "input" and names.get("type") not in ("hidden", "submit", "button")
        ):
            self.fields.append(str(names.get("id") or f"<{tag} name={names.get('name')}>"))


def unlabelled_fields(html: str) -> list[str]:
    """The ids of inputs, selects and text areas that no ``<label for>`` names."""
    parser = _Fields()
    parser.feed(html)
    return [field for field in parser.fields if field not in parser.labelled]


def field_count(html: str) -> int:
    parser = _Fields()
    parser.feed(html)
    return len(parser.fields)
