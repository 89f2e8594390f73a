"""Nothing accepted is lost: a real `accord serve` is killed with SIGKILL 20 times while
10,000 alerts arrive and are delivered; after the last restart every accepted alert
reaches every endpoint that matches it.

The client resends a batch the node died on (sending is idempotent: a repeat answers as a
duplicate with the original receipt), so "accepted" means a receipt came back. Receivers
record webhook ids; repeats (at-least-once) are allowed and counted, losses are not.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import standardwebhooks

from accord.bootstrap import build
from accord.config import Settings
from tests.integration.cap_samples import BASE_TIME, cap_time
from tests.integration.conftest import free_port
from tests.processes import start_accord

pytestmark = pytest.mark.slow
ALERTS = 10_000
BATCH = 250
KILLS = 20


@dataclass
class Inbox:
    """What one receiver got: record ids by webhook id (repeats counted)."""

    secret: str = ""
    received: dict[str, str] = field(default_factory=dict)
    repeats: int = 0
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _receiver(inbox: Inbox) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            body = self.rfile.read(length)
            if len(body) < length:  # the node was killed mid-request: nothing arrived
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = standardwebhooks.Webhook(inbox.secret).verify(body, headers)
            except standardwebhooks.WebhookVerificationError:
                with inbox.lock:
                    inbox.bad_signatures += 1
                payload = None
            if payload is not None:
                with inbox.lock:
                    if headers["webhook-id"] in inbox.received:
                        inbox.repeats += 1
                    inbox.received[headers["webhook-id"]] = payload["record_id"]
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/hook"


class NodeProcess:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "ACCORD_DATA_DIR": str(data_dir),
            "ACCORD_PORT": str(port),
            "ACCORD_CONFIG": str(data_dir / "none.toml"),
            "ACCORD_OUTBOUND_ALLOWLIST": "127.0.0.0/8",
            "ACCORD_DELIVERY_TIMEOUT": "2",
            "ACCORD_DELIVERY_LEASE": "4",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start_accord(["serve"], self.env, self.url)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[NodeProcess, str, dict[str, Inbox]]]:
    data_dir = tmp_path / "node"
    node = build(Settings(data_dir=data_dir, outbound_allowlist="127.0.0.0/8"))
    node.identity.add_participant("EE", "Estonia", "state")
    node.identity.add_participant("LV", "Latvia", "state")
    node.identity.add_user("ee", "focal-point", "EE")
    node.identity.add_user("lv", "focal-point", "LV")
    ee = node.identity.authenticate(node.identity.issue_token("ee")["token"])
    sender = node.identity.issue_token("lv")["token"]
    inboxes = {"all": Inbox(), "met": Inbox()}
    servers = []
    for name, inbox in inboxes.items():
        httpd, url = _receiver(inbox)
        servers.append(httpd)
        created = node.subscriptions.create(
            ee,
            {
                "name": name,
                "filter": {"categories": ["Met"]} if name == "met" else {},
                "endpoints": [{"kind": "webhook", "url": url}],
            },
        )
        inbox.secret = next(iter(created.secrets.values()))
    node.close()
    running = NodeProcess(data_dir, free_port())
    running.start()
    yield running, sender, inboxes
    running.stop()
    for httpd in servers:
        httpd.shutdown()


def _batch(start: int) -> bytes:
    items = []
    for n in range(start, start + BATCH):
        category = "Met" if n % 2 == 0 else "Env"
        items.append(
            {
                "alert": {
                    "identifier": f"burst-{n}",
                    "sender": "met@lv.example",
                    "sent": cap_time(BASE_TIME),
                    "status": "Actual",
                    "msgType": "Alert",
                    "scope": "Public",
                    "info": [
                        {
                            "category": [category],
                            "event": "Gale",
                            "urgency": "Expected",
                            "severity": "Moderate",
                            "certainty": "Likely",
                            "headline": f"Gale {n}",
                        }
                    ],
                }
            }
        )
    return json.dumps({"items": items}).encode()


def test_killing_the_node_twenty_times_loses_no_delivery(
    setup: tuple[NodeProcess, str, dict[str, Inbox]],
) -> None:
    running, token, inboxes = setup
    accepted: dict[int, str] = {}  # alert number -> record id
    done = threading.Event()
    errors: list[str] = []

    def burst() -> None:
        with httpx.Client(
            base_url=running.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            for start in range(0, ALERTS, BATCH):
                body = _batch(start)
                while True:
                    try:
                        response = client.post(
                            "/api/v1/alerts:batch",
                            content=body,
                            headers={"content-type": "application/json"},
                        )
                    except httpx.TransportError:
                        time.sleep(0.05)  # the node is down: send the same batch again
                        continue
                    if response.status_code != 200:
                        errors.append(f"{response.status_code}: {response.text[:200]}")
                        time.sleep(0.1)
                        continue
                    for result in response.json()["results"]:
                        accepted[start + result["index"]] = result["record_id"]
                    break
        done.set()

    sender = threading.Thread(target=burst, daemon=True)
    sender.start()
    rng = random.Random(20)
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.2, 1.2))
        running.kill()
        running.start()
    assert done.wait(600), "the burst did not finish"
    sender.join()
    assert len(accepted) == ALERTS
    assert not errors, errors[:5]

    expected = {
        "all": set(accepted.values()),
        "met": {accepted[n] for n in accepted if n % 2 == 0},
    }
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if all(set(inboxes[k].received.values()) >= expected[k] for k in expected):
            break
        time.sleep(0.5)
    for name, wanted in expected.items():
        got = set(inboxes[name].received.values())
        missing = wanted - got
        assert not missing, f"{name}: {len(missing)} accepted alerts never delivered"
        assert got <= wanted, f"{name}: delivered something that does not match"
        assert inboxes[name].bad_signatures == 0
