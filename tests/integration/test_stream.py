"""The live stream over real HTTP: events arrive, filters and scope apply, and a client
that reconnects with Last-Event-ID gets exactly what it missed."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from typing import Any

import httpx
import pytest

from accord.entrypoints.api import stream
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region


@pytest.fixture(autouse=True)
def quick_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pings every second, so a test client that hangs up is noticed within a second."""
    monkeypatch.setattr(stream, "PING_SECONDS", 1)


def _send(server: LiveServer, token: str, identifier: str, **params: str) -> dict[str, Any]:
    scope = "Restricted" if params.get("tlp") not in (None, "CLEAR") else "Public"
    with server.client(token) as client:
        response = client.post(
            "/api/v1/alerts",
            content=alert_xml(identifier, scope=scope),
            headers={"content-type": "application/cap+xml"},
            params=params,
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


class Listener:
    """Reads a stream in a thread; events land in a queue."""

    def __init__(self, url: str, token: str | None, headers: dict[str, str] | None = None):
        self.events: queue.Queue[dict[str, str]] = queue.Queue()
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._headers.update(headers or {})
        self._url = url
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the stream did not open"

    def _run(self) -> None:
        event: dict[str, str] = {}
        with (
            contextlib.suppress(httpx.HTTPError, RuntimeError),
            self._client.stream("GET", self._url, headers=self._headers) as response,
        ):
            self._opened.set()
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if not line:
                    if "data" in event:
                        self.events.put(event)
                    event = {}
                    continue
                name, _, value = line.partition(":")
                event[name] = value.strip()

    def take(self, count: int, timeout: float = 10) -> list[dict[str, str]]:
        return [self.events.get(timeout=timeout) for _ in range(count)]

    def close(self) -> None:
        """Hang up, as a client that goes away does."""
        self._stop.set()
        self._client.close()
        self._thread.join(5)


def _identifiers(events: list[dict[str, str]]) -> list[str]:
    return [json.loads(e["data"])["alert"]["identifier"] for e in events]


def test_events_arrive_within_scope_and_resume_after_a_reconnect(
    server: LiveServer, region: Region
) -> None:
    sender = region.tokens["LV:focal-point"]
    first = Listener(f"{server.url}/api/v1/stream", region.tokens["EE:observer"])
    public = Listener(f"{server.url}/api/v1/stream", None)
    _send(server, sender, "a-1")
    _send(server, sender, "red-1", tlp="RED", audience="LT")
    _send(server, sender, "green-1", tlp="GREEN")
    got = first.take(2)
    assert _identifiers(got) == ["a-1", "green-1"]
    assert _identifiers(public.take(1)) == ["a-1"]
    first.close()
    public.close()

    last_seen = got[0]["id"]  # pretend the client dropped after the first event
    _send(server, sender, "b-1")
    resumed = Listener(
        f"{server.url}/api/v1/stream",
        region.tokens["EE:observer"],
        {"Last-Event-ID": last_seen},
    )
    _send(server, sender, "c-1")
    assert _identifiers(resumed.take(3)) == ["green-1", "b-1", "c-1"]
    assert resumed.events.empty()
    resumed.close()


def test_a_subscription_stream_applies_its_filter(server: LiveServer, region: Region) -> None:
    with server.client(region.tokens["EE:analyst"]) as client:
        created = client.post(
            "/api/v1/subscriptions",
            json={"name": "storms", "filter": {"events": ["flood"]}},
        ).json()
        foreign = httpx.get(
            f"{server.url}/api/v1/stream",
            params={"subscription": created["id"]},
            headers={"Authorization": f"Bearer {region.tokens['LV:analyst']}"},
            timeout=10,
        )
    assert foreign.status_code == 404
    listener = Listener(
        f"{server.url}/api/v1/stream?subscription={created['id']}", region.tokens["EE:analyst"]
    )
    sender = region.tokens["LV:focal-point"]
    with server.client(sender) as client:
        for identifier, event in (("storm-1", "Storm"), ("flood-1", "Flood")):
            client.post(
                "/api/v1/alerts",
                content=alert_xml(identifier, event=event),
                headers={"content-type": "application/cap+xml"},
            )
    assert _identifiers(listener.take(1)) == ["flood-1"]
    listener.close()
