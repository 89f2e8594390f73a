"""The delivery journey on the demo, as a new user does it with real processes:
`accord demo` and `accord inbox` running, `accord subscription add` for an agency's
region, one alert inside it and one outside, exactly the first arriving by webhook
(signature verified), stream and e-mail, an acknowledgement and a response, and the
seeded unanswered alert escalating."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from accord.entrypoints.cli.main import app
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.processes import answers, until

pytestmark = pytest.mark.slow
GULF = (
    '{"area": {"type": "Polygon", "coordinates": '
    "[[[22.5, 59.0], [28.0, 59.0], [28.0, 60.6], [22.5, 60.6], [22.5, 59.0]]]}}"
)
INSIDE = "59.3,24.5 59.3,24.9 59.6,24.9 59.6,24.5 59.3,24.5"
OUTSIDE = "56.9,23.9 56.9,24.3 57.1,24.3 57.1,23.9 56.9,23.9"


@dataclass
class Demo:
    url: str
    data: dict[str, Any]
    inbox_log: Path
    inbox_port: int
    tmp: Path

    def token(self, name: str) -> str:
        return str(self.data["tokens"][name])

    def arrivals(self) -> list[dict[str, Any]]:
        if not self.inbox_log.is_file():
            return []
        return [json.loads(line) for line in self.inbox_log.read_text().splitlines()]


def _spawn(args: list[str], tmp: Path, name: str) -> subprocess.Popen[bytes]:
    accord = Path(sys.executable).with_name("accord")
    return subprocess.Popen(
        [str(accord), *args],
        stdout=(tmp / f"{name}.out").open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "ACCORD_CONFIG": str(tmp / "none.toml")},
    )


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port, inbox_port = free_port(), free_port()
    process = _spawn(
        [
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "demo"),
            "--inbox-port",
            str(inbox_port),
        ],
        tmp_path,
        "demo",
    )
    url = f"http://127.0.0.1:{port}"

    try:
        until(lambda: answers(url), 120)
        data = json.loads((tmp_path / "demo" / "demo.json").read_text())
        yield Demo(url, data, tmp_path / "inbox.jsonl", inbox_port, tmp_path)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_new_user_follows_an_alert_from_subscription_to_response(demo: Demo) -> None:
    focal = demo.token("ee-focal")
    added = CliRunner().invoke(
        app,
        [
            "subscription",
            "add",
            "Gulf of Finland desk",
            "--node",
            demo.url,
            "--token",
            focal,
            "--filter",
            GULF,
            "--webhook",
            f"http://127.0.0.1:{demo.inbox_port}/hooks/ee-focal",
            "--email",
            "duty@rescue.example.ee",
        ],
    )
    assert added.exit_code == 0, added.output
    subscription = json.loads(added.output)
    secret = subscription["endpoints"][0]["secret"]
    secrets = [secret, *demo.data["webhook_secrets"].values()]
    inbox = _spawn(
        [
            "inbox",
            "--port",
            str(demo.inbox_port),
            "--smtp-port",
            str(demo.inbox_port + 1),
            "--log",
            str(demo.inbox_log),
            *[a for s in secrets for a in ("--secret", s)],
        ],
        demo.tmp,
        "inbox",
    )
    try:
        _run_journey(demo, focal, subscription["id"])
    finally:
        inbox.terminate()
        inbox.wait(timeout=20)


def _run_journey(demo: Demo, focal: str, subscription_id: int) -> None:
    headers = {"Authorization": f"Bearer {focal}"}
    with (
        httpx.Client(base_url=demo.url, headers=headers, timeout=30) as client,
        client.stream("GET", "/api/v1/stream", params={"subscription": subscription_id}) as stream,
    ):
        sender = {"Authorization": f"Bearer {demo.token('lv-focal')}"}
        for identifier, polygon in (("DEMO-GULF-1", INSIDE), ("DEMO-RIGA-1", OUTSIDE)):
            response = httpx.post(
                f"{demo.url}/api/v1/alerts",
                content=alert_xml(identifier, polygon=polygon, headline=f"Storm {identifier}"),
                headers={**sender, "content-type": "application/cap+xml"},
            )
            assert response.status_code == 201, response.text
        inside = json.loads(
            next(line for line in stream.iter_lines() if line.startswith("data:"))[5:]
        )
    assert inside["alert"]["identifier"] == "DEMO-GULF-1"

    def desk_arrivals() -> list[dict[str, Any]]:
        got = [a for a in demo.arrivals() if a.get("identifier", "").startswith("DEMO-")]
        return got if any(a["channel"] == "email" for a in demo.arrivals()) and got else []

    until(desk_arrivals)
    time.sleep(1)  # anything wrongly routed would have arrived by now too
    hooks = [a for a in demo.arrivals() if a["channel"] == "webhook"]
    mine = [a for a in hooks if a["path"] == "/hooks/ee-focal"]
    assert [(a["identifier"], a["signature"]) for a in mine] == [("DEMO-GULF-1", "valid")]
    # The seeded Estonian desk (Severe alerts on Estonian territory) gets it as well.
    desk = [a["identifier"] for a in hooks if a["path"] == "/hooks/ee-desk"]
    assert "DEMO-GULF-1" in desk
    assert "DEMO-RIGA-1" not in desk
    mails = [a for a in demo.arrivals() if a["channel"] == "email"]
    assert [m["to"] for m in mails] == ["duty@rescue.example.ee"]
    assert "DEMO-GULF-1" in mails[0]["subject"]

    record = inside["record_id"]
    with httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {focal}"}) as client:
        assert client.post(f"/api/v1/alerts/{record}/ack").status_code == 201
        decided = client.post(
            f"/api/v1/alerts/{record}/responses",
            json={"decision": "responding", "what": "coast guard patrol"},
        )
        assert decided.status_code == 201
        board = client.get(f"/api/v1/alerts/{record}/responses").json()
        assert [r["kind"] for r in board["responses"]] == ["acknowledge", "decision"]
        unanswered = client.get(
            "/api/v1/alerts", params={"sender": "vugd@lv.example", "limit": 1}
        ).json()["items"][0]
        escalated = until(lambda: _escalations(client, unanswered["record_id"]), timeout=60)
    assert ("acknowledge", "renotify") in escalated
    assert ("acknowledge", "focal-point") in escalated
    assert all(a["signature"] == "valid" for a in hooks)
    assert any(
        a.get("type") == "renotify"
        for a in until(lambda: [a for a in demo.arrivals() if a.get("type") == "renotify"])
    )


def _escalations(client: httpx.Client, record_id: str) -> list[tuple[str, str]]:
    board = client.get(f"/api/v1/alerts/{record_id}/responses").json()
    return [(e["kind"], e["step"]) for r in board["recipients"] for e in r["escalations"]]
