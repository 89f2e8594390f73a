"""Routing and delivery end to end: a real node over HTTP, a real webhook receiver and a
real SMTP server on loopback, the worker driven step by step, and a clock we move."""

from __future__ import annotations

import email
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
import standardwebhooks
from aiosmtpd.controller import Controller
from sqlalchemy import text
from typer.testing import CliRunner

from accord.adapters.cap_xml import read_cap_xml
from accord.adapters.sql.deliveries import SqlDeliveryRepository
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.entrypoints.cli.main import app
from accord.services.alerts import IncomingAlert
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region, free_port
from tests.integration.test_scope_enforcement import STATES, TLPS, _readers
from tests.policy_oracle import oracle_may_read

INSIDE = "59.3,24.5 59.3,24.9 59.6,24.9 59.6,24.5 59.3,24.5"  # off Tallinn
OUTSIDE = "56.9,23.9 56.9,24.3 57.1,24.3 57.1,23.9 56.9,23.9"  # off Riga
GULF = {  # the Gulf of Finland, roughly: the agency's jurisdiction
    "type": "Polygon",
    "coordinates": [[[22.5, 59.0], [28.0, 59.0], [28.0, 60.6], [22.5, 60.6], [22.5, 59.0]]],
}


class MovableClock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self.moment += delta


@dataclass
class Receiver:
    """A webhook receiver: records every request; answers with ``status``."""

    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(f"http://127.0.0.1:{port}/hook")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            headers["x-path"] = self.path
            state.requests.append((headers, body))
            self.send_response(state.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # several workers connect at once

    httpd = Server(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def node(
    database_url: str, tmp_path: Path, clock: MovableClock, mailbox: tuple[Mailbox, int]
) -> Iterator[Node]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        node_name="test-node",
        worker="off",  # the tests drive the worker themselves
        outbound_allowlist="127.0.0.0/8",
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        secretariat="SEC",
    )
    built = build(settings, clock=clock)
    yield built
    built.close()


def _send(server: LiveServer, token: str, xml: bytes, **params: str) -> dict[str, Any]:
    with server.client(token) as client:
        response = client.post(
            "/api/v1/alerts",
            content=xml,
            headers={"content-type": "application/cap+xml"},
            params=params,
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _subscribe(server: LiveServer, token: str, body: dict[str, Any]) -> dict[str, Any]:
    with server.client(token) as client:
        response = client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _subscribe_everything(server: LiveServer, token: str, url: str) -> dict[str, Any]:
    return _subscribe(
        server, token, {"name": "all", "endpoints": [{"kind": "webhook", "url": url}]}
    )


@pytest.fixture
def agency(node: Node, region: Region) -> Region:
    node.identity.add_agency("EE", "Environmental Board", "environment", GULF)
    return region


def test_an_agency_gets_exactly_the_alert_inside_its_region_by_webhook_and_email(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver, mailbox: Any
) -> None:
    box, _port = mailbox
    created = _subscribe(
        server,
        agency.tokens["EE:focal-point"],
        {
            "name": "Gulf of Finland",
            "agency": "Environmental Board",
            "endpoints": [
                {"kind": "webhook", "url": receiver.url},
                {"kind": "email", "address": "duty@env.example.ee", "format": "xml"},
            ],
        },
    )
    assert created["filter"]["area"]["type"] == "Polygon"  # the jurisdiction, copied in
    secret = created["endpoints"][0]["secret"]

    inside = _send(server, agency.tokens["LV:focal-point"], alert_xml("in-1", polygon=INSIDE))
    _send(server, agency.tokens["LV:focal-point"], alert_xml("out-1", polygon=OUTSIDE))
    node.worker.drain()

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    payload = standardwebhooks.Webhook(secret).verify(body, headers)
    assert payload["record_id"] == inside["record_id"]
    assert payload["log_index"] == inside["log_index"]
    assert payload["alert"]["identifier"] == "in-1"
    assert headers["accord-record-id"] == inside["record_id"]
    assert len(box.messages) == 1
    message = box.messages[0]
    assert "Storm warning" in message["subject"]
    attachments = [p for p in message.walk() if p.get_filename() == "alert.xml"]
    assert b"<identifier>in-1</identifier>" in attachments[0].get_payload(decode=True)


def test_retries_keep_the_webhook_id_and_gone_disables_the_endpoint(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver, clock: MovableClock
) -> None:
    _subscribe_everything(server, agency.tokens["EE:focal-point"], receiver.url)
    receiver.status = 503
    sent = _send(server, agency.tokens["LV:focal-point"], alert_xml("retry-1"))
    node.worker.drain()
    clock.advance(timedelta(seconds=6))
    node.worker.drain()
    assert len(receiver.requests) == 2
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"]

    with server.client(agency.tokens["EE:focal-point"]) as client:
        history = client.get(f"/api/v1/alerts/{sent['record_id']}/deliveries").json()
    assert [h["status"] for h in history[0]["history"]] == [503, 503]
    assert history[0]["state"] == "pending"

    receiver.status = 410
    clock.advance(timedelta(minutes=6))
    node.worker.drain()
    with server.client(agency.tokens["EE:focal-point"]) as client:
        subscription = client.get("/api/v1/subscriptions").json()[0]
        history = client.get(f"/api/v1/alerts/{sent['record_id']}/deliveries").json()
    assert subscription["endpoints"][0]["state"] == "disabled"
    assert history[0]["state"] == "failed"

    _send(server, agency.tokens["LV:focal-point"], alert_xml("after-gone"))
    node.worker.drain()
    assert len(receiver.requests) == 3  # nothing more goes to a disabled endpoint


def test_status_rules_exercise_test_and_draft(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver
) -> None:
    _subscribe(
        server,
        agency.tokens["EE:focal-point"],
        {"name": "plain", "endpoints": [{"kind": "webhook", "url": receiver.url}]},
    )
    _subscribe(
        server,
        agency.tokens["EE:analyst"],
        {
            "name": "drills",
            "filter": {"exercises": True},
            "endpoints": [{"kind": "webhook", "url": receiver.url + "?drills", "test": True}],
        },
    )
    sender = agency.tokens["LV:focal-point"]
    _send(server, sender, alert_xml("ex-1", status="Exercise"))
    _send(server, sender, alert_xml("test-1", status="Test"))
    node.worker.drain()
    got = sorted(
        (json.loads(body)["alert"]["identifier"], headers.get("accord-status"))
        for headers, body in receiver.requests
    )
    assert got == [("ex-1", "Exercise"), ("test-1", "Test")]
    assert all(
        json.loads(b)["exercise"] == (json.loads(b)["alert"]["status"] == "Exercise")
        for _h, b in receiver.requests
    )


def test_a_subscription_never_delivers_what_its_owner_may_not_read(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver
) -> None:
    _subscribe(
        server,
        agency.tokens["EE:observer"],
        {"name": "everything", "endpoints": [{"kind": "webhook", "url": receiver.url}]},
    )
    sender = agency.tokens["LV:focal-point"]
    _send(server, sender, alert_xml("amber-strict", scope="Restricted"), tlp="AMBER+STRICT")
    _send(server, sender, alert_xml("red-for-ee", scope="Private"), tlp="RED", audience="EE")
    _send(server, sender, alert_xml("amber-lt", scope="Restricted"), tlp="AMBER", audience="LT")
    _send(server, sender, alert_xml("green", scope="Restricted"), tlp="GREEN")
    node.worker.drain()
    got = [json.loads(body)["alert"]["identifier"] for _h, body in receiver.requests]
    assert got == ["green"]  # an observer reads none of the others


def test_unanswered_alert_escalates_once_per_step_and_the_board_shows_it(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver, clock: MovableClock
) -> None:
    node.identity.add_user("sec-duty", "analyst", "SEC")
    sec_token = node.identity.issue_token("sec-duty")["token"]
    for token, name in (
        (agency.tokens["EE:analyst"], "desk"),
        (agency.tokens["EE:focal-point"], "focal"),
        (sec_token, "secretariat"),
    ):
        _subscribe(
            server,
            token,
            {
                "name": name,
                "filter": {"min_severity": "Extreme"} if name == "desk" else {"senders": ["x"]},
                "endpoints": [{"kind": "webhook", "url": f"{receiver.url}?{name}"}],
            },
        )
    sent = _send(
        server,
        agency.tokens["LV:focal-point"],
        alert_xml("urgent-1", urgency="Immediate", severity="Extreme"),
    )
    node.worker.drain()

    def reasons() -> list[str]:
        return [json.loads(body)["type"] for _h, body in receiver.requests]

    assert reasons() == ["alert"]
    for minutes, expected in ((16, "renotify"), (15, "escalation"), (15, "escalation")):
        clock.advance(timedelta(minutes=minutes))
        node.worker.drain()
        node.worker.drain()  # a second round fires nothing twice
        assert reasons()[-1] == expected
    steps = [json.loads(b).get("escalation", {}).get("step") for _h, b in receiver.requests]
    assert steps == [None, "renotify", "focal-point", "secretariat"]

    with server.client(agency.tokens["EE:focal-point"]) as client:
        board = client.get(f"/api/v1/alerts/{sent['record_id']}/responses").json()
        ack = client.post(f"/api/v1/alerts/{sent['record_id']}/ack", json={"note": "seen"})
        decided = client.post(
            f"/api/v1/alerts/{sent['record_id']}/responses",
            json={"decision": "responding", "what": "two patrol vessels"},
        )
        refused = client.post(
            f"/api/v1/alerts/{sent['record_id']}/responses", json={"decision": "no-action"}
        )
        after = client.get(f"/api/v1/alerts/{sent['record_id']}/responses").json()
    (recipient,) = board["recipients"]
    assert recipient["participant"] == "EE"
    assert recipient["overdue"] is True
    # 46 minutes in: the acknowledge ladder (15 min) has run; the respond one (60) has not.
    assert [(e["kind"], e["step"]) for e in recipient["escalations"]] == [
        ("acknowledge", "renotify"),
        ("acknowledge", "focal-point"),
        ("acknowledge", "secretariat"),
    ]
    assert ack.status_code == 201
    assert decided.status_code == 201
    assert refused.status_code == 422
    assert [e["location"] for e in refused.json()["errors"]] == ["/reason"]
    assert [r["kind"] for r in after["responses"]] == ["acknowledge", "decision"]
    assert after["responses"][1]["detail"]["what"] == "two patrol vessels"
    assert after["recipients"][0]["acknowledged_at"] is not None

    count = len(receiver.requests)
    clock.advance(timedelta(hours=3))
    node.worker.drain()
    assert len(receiver.requests) == count  # answered: the ladder stopped


def test_a_cap_ack_acknowledges_for_its_author(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver
) -> None:
    _subscribe_everything(server, agency.tokens["EE:focal-point"], receiver.url)
    sent = _send(server, agency.tokens["LV:focal-point"], alert_xml("to-ack"))
    reference = "warnings@met.example,to-ack,2026-11-01T12:00:00+00:00"
    _send(
        server,
        agency.tokens["EE:focal-point"],
        alert_xml("ack-1", msg_type="Ack", references=reference, sender="ops@ee.example"),
    )
    with server.client(agency.tokens["EE:focal-point"]) as client:
        client.post(
            f"/api/v1/alerts/{sent['record_id']}/responses", json={"decision": "monitoring"}
        )
        board = client.get(f"/api/v1/alerts/{sent['record_id']}/responses").json()
        assert board["responses"][0]["detail"]["via"] == "cap-ack"
        assert board["recipients"][0]["acknowledged_at"] is not None
        assert node.responses.rebuild() == 2
        assert client.get(f"/api/v1/alerts/{sent['record_id']}/responses").json() == board


def test_bad_subscriptions_are_refused_naming_every_problem(
    server: LiveServer, agency: Region
) -> None:
    with server.client(agency.tokens["EE:focal-point"]) as client:
        response = client.post(
            "/api/v1/subscriptions",
            json={
                "name": "",
                "filter": {"categories": ["Weather"], "min_severity": "Huge", "colour": "red"},
                "endpoints": [{"kind": "webhook", "url": "ftp://x"}, {"kind": "pigeon"}],
            },
        )
        listed = client.get("/api/v1/subscriptions").json()
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    locations = {e["location"] for e in response.json()["errors"]}
    assert {
        "/name",
        "/endpoints/0/url",
        "/endpoints/1/kind",
        "/filter.categories[0]",
        "/filter.min_severity",
        "/filter.colour",
    } <= locations
    assert listed == []


def test_others_cannot_see_or_change_a_subscription(server: LiveServer, agency: Region) -> None:
    created = _subscribe(
        server,
        agency.tokens["EE:focal-point"],
        {"name": "mine", "endpoints": [{"kind": "webhook", "url": "https://hooks.example.ee/x"}]},
    )
    with server.client(agency.tokens["LV:focal-point"]) as client:
        assert client.get(f"/api/v1/subscriptions/{created['id']}").status_code == 404
        assert client.delete(f"/api/v1/subscriptions/{created['id']}").status_code == 404
        endpoint = created["endpoints"][0]["id"]
        assert client.post(f"/api/v1/endpoints/{endpoint}/rotate-secret").status_code == 404
        assert client.get("/api/v1/subscriptions").json() == []
        assert client.get("/api/v1/deliveries").status_code == 403


def test_rotated_secrets_sign_together_during_the_overlap(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver
) -> None:
    created = _subscribe(
        server,
        agency.tokens["EE:focal-point"],
        {"name": "all", "endpoints": [{"kind": "webhook", "url": receiver.url}]},
    )
    old = created["endpoints"][0]["secret"]
    with server.client(agency.tokens["EE:focal-point"]) as client:
        rotated = client.post(
            f"/api/v1/endpoints/{created['endpoints'][0]['id']}/rotate-secret",
            json={"overlap_hours": 1},
        ).json()
    _send(server, agency.tokens["LV:focal-point"], alert_xml("rotated"))
    node.worker.drain()
    headers, body = receiver.requests[0]
    standardwebhooks.Webhook(old).verify(body, headers)
    standardwebhooks.Webhook(rotated["secret"]).verify(body, headers)


def test_loopback_webhooks_are_refused_without_the_allowlist(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    settings = Settings(data_dir=tmp_path / "strict", database_url=database_url, worker="off")
    strict = build(settings)
    try:
        strict.identity.add_participant("EE", "EE", "state")
        strict.identity.add_user("ee", "focal-point", "EE")
        account = strict.identity.authenticate(strict.identity.issue_token("ee")["token"])
        strict.subscriptions.create(
            account, {"name": "x", "endpoints": [{"kind": "webhook", "url": receiver.url}]}
        )
        (document,) = read_cap_xml(alert_xml("loop"))
        incoming = IncomingAlert(document.alert, document.xml, "application/cap+xml")
        strict.alerts.issue(account, [incoming], tlp=[None], audience=[None])
        strict.worker.drain()
        with strict.engine.connect() as connection:
            state, error = connection.execute(
                text("SELECT state, last_error FROM deliveries")
            ).one()
    finally:
        strict.close()
    assert receiver.requests == []
    assert state == "failed"
    assert "loopback" in error


def test_several_workers_never_send_one_delivery_twice(
    node: Node,
    database_url: str,
    tmp_path: Path,
    clock: MovableClock,
    agency: Region,
    receiver: Receiver,
) -> None:
    """Four workers (each its own engine, as separate processes would have) drain one
    outbox at once: every delivery is sent exactly once."""
    account = node.identity.authenticate(agency.tokens["EE:focal-point"])
    for name in ("a", "b"):
        node.subscriptions.create(
            account, {"name": name, "endpoints": [{"kind": "webhook", "url": receiver.url}]}
        )
    sender = node.identity.authenticate(agency.tokens["LV:focal-point"])
    items = []
    for n in range(150):
        (document,) = read_cap_xml(alert_xml(f"many-{n}"))
        items.append(IncomingAlert(document.alert, document.xml, "application/cap+xml"))
    node.alerts.issue(sender, items, tlp=[None] * 150, audience=[None] * 150)
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, worker="off", outbound_allowlist="127.0.0.0/8"
    )
    workers = [build(settings, clock=clock, migrate_schema=False) for _ in range(4)]
    for extra in workers:
        extra.worker.settings = replace(extra.worker.settings, batch=10)
    try:
        threads = [threading.Thread(target=w.worker.drain) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for extra in workers:
            extra.close()
    ids = [headers["webhook-id"] for headers, _body in receiver.requests]
    assert len(ids) == 300
    assert len(set(ids)) == 300


def test_a_desk_told_of_an_alert_is_told_when_it_is_cancelled(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver
) -> None:
    """A bare Cancel (no info block, so no category) still reaches the desk that got the
    alert, though the desk's filter asks for a category."""
    _subscribe(
        server,
        agency.tokens["EE:focal-point"],
        {
            "name": "storms",
            "filter": {"categories": ["Met"]},
            "endpoints": [{"kind": "webhook", "url": receiver.url}],
        },
    )
    sender = agency.tokens["LV:focal-point"]
    _send(server, sender, alert_xml("storm-9"))
    cancel = (
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>storm-9-c</identifier>'
        b"<sender>warnings@met.example</sender><sent>2026-11-01T13:00:00+00:00</sent>"
        b"<status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>"
        b"<references>warnings@met.example,storm-9,2026-11-01T12:00:00+00:00</references>"
        b"</alert>"
    )
    _send(server, sender, cancel)
    _send(server, sender, alert_xml("other-9", category="Env"))
    node.worker.drain()
    got = [json.loads(body)["alert"]["identifier"] for _h, body in receiver.requests]
    assert sorted(got) == ["storm-9", "storm-9-c"]  # sent concurrently: any order


def test_a_subscription_feed_shows_what_it_matches_at_a_secret_url(
    server: LiveServer, agency: Region
) -> None:
    created = _subscribe(
        server, agency.tokens["EE:analyst"], {"name": "env", "filter": {"categories": ["Env"]}}
    )
    sender = agency.tokens["LV:focal-point"]
    _send(server, sender, alert_xml("feed-met"))
    _send(server, sender, alert_xml("feed-env", category="Env"))
    _send(server, sender, alert_xml("feed-red", category="Env", scope="Private"), tlp="RED")
    with server.client(agency.tokens["EE:analyst"]) as client:
        url = client.post(f"/api/v1/subscriptions/{created['id']}/feed").json()["url"]
    feed = feedparser.parse(httpx.get(url).content)
    assert [entry.title for entry in feed.entries] == ["Storm warning"]
    assert feed.entries[0].cap_identifier == "feed-env"
    wrong = httpx.get(f"{server.url}/feeds/subscriptions/not-the-token.atom")
    assert wrong.status_code == 404
    assert wrong.headers["content-type"].startswith("application/problem+json")


def test_failed_deliveries_rest_in_the_dead_letter_until_an_admin_replays_them(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver, clock: MovableClock
) -> None:
    _subscribe_everything(server, agency.tokens["EE:focal-point"], receiver.url)
    receiver.status = 500
    _send(server, agency.tokens["LV:focal-point"], alert_xml("doomed", severity="Minor"))
    for _ in range(10):
        node.worker.drain()
        clock.advance(timedelta(hours=11))
    assert len(receiver.requests) == 8  # the first try and seven retries
    with server.client(agency.tokens["admin"]) as admin:
        failed = admin.get("/api/v1/deliveries", params={"state": "failed"}).json()
        (dead,) = failed["deliveries"]
        assert dead["attempts"] == 8
        assert [h["status"] for h in dead["history"]] == [500] * 8
        with server.client(agency.tokens["EE:focal-point"]) as focal:
            assert focal.post(f"/api/v1/deliveries/{dead['id']}/replay").status_code == 403
        receiver.status = 204
        assert admin.post(f"/api/v1/deliveries/{dead['id']}/replay").status_code == 200
        node.worker.drain()
        again = admin.post(f"/api/v1/deliveries/{dead['id']}/replay")
        counts = admin.get("/api/v1/deliveries").json()["counts"]
    assert again.status_code == 422
    assert counts == {"delivered": 1}
    ids = {headers["webhook-id"] for headers, _body in receiver.requests}
    assert len(ids) == 1  # the replay carries the same webhook-id


def test_an_open_thread_without_updates_is_flagged_stale(
    node: Node, server: LiveServer, agency: Region, clock: MovableClock
) -> None:
    sent = _send(server, agency.tokens["LV:focal-point"], alert_xml("stale-1", urgency="Immediate"))
    with server.client(agency.tokens["LV:focal-point"]) as client:
        fresh = client.get(f"/api/v1/alerts/{sent['record_id']}/responses").json()["thread"]
        clock.advance(timedelta(hours=7))
        stale = client.get(f"/api/v1/alerts/{sent['record_id']}/responses").json()["thread"]
    assert fresh["stale"] is False
    assert stale["stale"] is True


def test_an_escalation_step_that_fails_half_way_fires_once_when_retried(
    node: Node,
    server: LiveServer,
    agency: Region,
    receiver: Receiver,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _subscribe(
        server,
        agency.tokens["EE:analyst"],
        {"name": "desk", "endpoints": [{"kind": "webhook", "url": receiver.url}]},
    )
    _send(
        server,
        agency.tokens["LV:focal-point"],
        alert_xml("crashy", urgency="Immediate", severity="Extreme"),
    )
    node.worker.drain()
    clock.advance(timedelta(minutes=16))
    original = SqlDeliveryRepository.add
    calls = {"n": 0}

    def crash_once(self: SqlDeliveryRepository, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("power cut while queuing the re-notification")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SqlDeliveryRepository, "add", crash_once)
    with pytest.raises(RuntimeError):
        node.worker.run_once()
    node.worker.drain()
    node.worker.drain()
    types = [json.loads(body)["type"] for _h, body in receiver.requests]
    assert types == ["alert", "renotify"]


def test_accord_worker_sends_what_a_node_with_its_worker_off_queued(
    node: Node,
    database_url: str,
    tmp_path: Path,
    agency: Region,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = node.identity.authenticate(agency.tokens["EE:focal-point"])
    node.subscriptions.create(
        account, {"name": "all", "endpoints": [{"kind": "webhook", "url": receiver.url}]}
    )
    sender = node.identity.authenticate(agency.tokens["LV:focal-point"])
    (document,) = read_cap_xml(alert_xml("for-the-worker"))
    node.alerts.issue(
        sender,
        [IncomingAlert(document.alert, document.xml, "application/cap+xml")],
        tlp=[None],
        audience=[None],
    )
    monkeypatch.setenv("ACCORD_OUTBOUND_ALLOWLIST", "127.0.0.0/8")
    monkeypatch.setenv("ACCORD_CONFIG", str(tmp_path / "none.toml"))
    result = CliRunner().invoke(
        app,
        ["worker", "--once", "--data-dir", str(tmp_path), "--database-url", database_url],
    )
    assert result.exit_code == 0, result.output
    assert "1 deliveries attempted" in result.output
    assert [json.loads(b)["alert"]["identifier"] for _h, b in receiver.requests] == [
        "for-the-worker"
    ]


def test_deliveries_match_the_independent_read_oracle_for_every_reader(
    node: Node, server: LiveServer, agency: Region, receiver: Receiver
) -> None:
    """Adversarial: every kind of reader subscribes to everything; 60 alerts under random
    scopes; each reader's endpoint gets exactly what the independent oracle allows."""
    readers = {
        name: spec for name, spec in _readers(agency).items() if spec[2] is not None
    }  # anonymous readers cannot subscribe
    for name, (_role, _participant, token) in readers.items():
        _subscribe(
            server,
            token,
            {
                "name": name,
                "filter": {"exercises": True},
                "endpoints": [{"kind": "webhook", "url": f"{receiver.url}?{name}"}],
            },
        )
    rng = random.Random(4)
    sent: list[tuple[str, str, frozenset[str], str]] = []
    for n in range(60):
        author = rng.choice(STATES)
        tlp = rng.choice(TLPS)
        audience = frozenset(rng.sample((*STATES, "OBS"), rng.randint(0, 2)))
        scope = "Public" if tlp == "CLEAR" else "Restricted"
        status = rng.choice(("Actual", "Actual", "Exercise"))
        receipt = _send(
            server,
            agency.tokens[f"{author}:focal-point"],
            alert_xml(f"D-{n}", scope=scope, status=status, severity="Minor"),
            tlp=tlp,
            audience=",".join(sorted(audience)),
        )
        sent.append((receipt["record_id"], tlp, audience, author))
    node.worker.drain()
    got: dict[str, set[str]] = {name: set() for name in readers}
    for headers, body in receiver.requests:
        got[headers["x-path"].split("?", 1)[1]].add(json.loads(body)["record_id"])
    for name, (role, participant, _token) in readers.items():
        expected = {
            rid
            for rid, tlp, audience, author in sent
            if oracle_may_read(role, participant, tlp, audience, author)
        }
        assert got[name] == expected, name
