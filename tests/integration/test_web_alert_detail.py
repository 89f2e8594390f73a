"""The console's alert page and the situation page's live feed over real HTTP: the thread,
the acknowledgement board, deliveries with their retries, a verified inclusion proof;
acknowledging and deciding through CSRF-checked forms; each role seeing exactly what the API
gives it; and new alerts streamed to a signed-in page within the user's scope."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.bootstrap import Node, build
from accord.config import Settings
from tests.integration.cap_samples import BASE_TIME, alert_xml, cap_time
from tests.integration.conftest import LiveServer, Region, free_port
from tests.integration.web_pages import PASSWORD, form_token, inline_code, sign_in
from tests.policy_oracle import oracle_may_read

XML = {"Content-Type": "application/cap+xml"}
USERS = {  # who signs in for each reader of the region fixture
    "EE:focal-point": "ee-focal-point",
    "EE:analyst": "ee-analyst",
    "LV:focal-point": "lv-focal-point",
    "LT:observer": "lt-observer",
    "OBS:observer": "obs-observer",
    "reporter": "reporter",
    "admin": "admin",
}
DEAD_HOOK_PORT = free_port()  # nothing listens: every delivery attempt fails and is retried


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        node_name="test-node",
        worker="off",  # the tests drive deliveries themselves
        outbound_allowlist="127.0.0.0/8",
    )
    built = build(settings)
    yield built
    built.close()


@pytest.fixture(autouse=True)
def passwords(node: Node, region: Region) -> None:
    for username in USERS.values():
        node.sessions.set_password(username, PASSWORD)


def _issue(server: LiveServer, token: str, xml: bytes, **params: str) -> dict[str, Any]:
    with server.client(token) as client:
        response = client.post("/api/v1/alerts", content=xml, headers=XML, params=params)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def thread(server: LiveServer, region: Region, node: Node) -> dict[str, str]:
    """EE's desk subscribed with a webhook that never answers; LV sends a GREEN alert and
    an update of it; one delivery attempt has failed and waits for its retry."""
    with server.client(region.tokens["EE:focal-point"]) as client:
        created = client.post(
            "/api/v1/subscriptions",
            json={
                "name": "everything",
                "endpoints": [
                    {"kind": "webhook", "url": f"http://127.0.0.1:{DEAD_HOOK_PORT}/ee-hook"}
                ],
            },
        )
    assert created.status_code == 201, created.text
    lv = region.tokens["LV:focal-point"]
    first = _issue(server, lv, alert_xml("storm-1", headline="Storm <b>first</b>"), tlp="GREEN")
    update = _issue(
        server,
        lv,
        alert_xml(
            "storm-2",
            msg_type="Update",
            sent=BASE_TIME.replace(hour=13),
            references=f"warnings@met.example,storm-1,{cap_time(BASE_TIME)}",
            headline="Storm update",
        ),
        tlp="GREEN",
    )
    node.worker.drain()
    return {"alert": first["record_id"], "update": update["record_id"]}


@contextmanager
def _signed_in(server: LiveServer, username: str) -> Iterator[httpx.Client]:
    with server.client() as client:
        assert sign_in(client, username).status_code == 303
        yield client


def test_the_alert_page_shows_the_thread_board_deliveries_and_a_verified_proof(
    server: LiveServer, thread: dict[str, str]
) -> None:
    with _signed_in(server, "ee-focal-point") as client:
        page = client.get(f"/console/alerts/{thread['alert']}")
        update_page = client.get(f"/console/alerts/{thread['update']}")
    assert page.status_code == 200
    text = page.text
    assert "Storm &lt;b&gt;first&lt;/b&gt;" in text
    assert "<b>first</b>" not in text
    assert f'<a href="/console/alerts/{thread["update"]}">Storm update</a>' in text
    assert "(this message)" in text
    assert f'<a href="/console/alerts/{thread["alert"]}">' in update_page.text
    assert re.search(r'<th scope="row">EE</th>', text)  # notified
    assert "Waiting" in text
    assert f"127.0.0.1:{DEAD_HOOK_PORT}/ee-hook" in text  # EE's own delivery
    assert "<summary>History</summary>" in text  # the failed attempt, retried later
    assert "pending" in text
    assert "✓ Verified" in text
    assert "verifies against the signed checkpoint of" in text
    assert "Acknowledge for EE" in text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert inline_code(text) == []
    assert inline_code(update_page.text) == []


def test_only_the_authors_focal_points_are_offered_update_and_cancel(
    server: LiveServer, thread: dict[str, str]
) -> None:
    follow = f'href="/console/alerts/{thread["update"]}/update"'
    with _signed_in(server, "lv-focal-point") as author:
        assert follow in author.get(f"/console/alerts/{thread['update']}").text
    for other in ("ee-focal-point", "ee-analyst"):
        with _signed_in(server, other) as client:
            page = client.get(f"/console/alerts/{thread['update']}")
        assert page.status_code == 200
        assert "/update" not in page.text, other


def test_acknowledging_in_one_click_shows_on_the_board(
    server: LiveServer, region: Region, thread: dict[str, str]
) -> None:
    path = f"/console/alerts/{thread['alert']}"
    with _signed_in(server, "ee-analyst") as client:
        token = form_token(client.get(path).text)
        done = client.post(f"{path}/ack", data={"csrf_token": token})
        after = client.get(path)
    assert done.status_code == 303
    assert done.headers["location"] == f"{path}#board"
    assert "Your desk (EE) acknowledged this alert at" in after.text
    assert re.search(r"<td>Acknowledged</td>", after.text)
    assert inline_code(after.text) == []
    with server.client(region.tokens["EE:focal-point"]) as api:
        board = api.get(f"/api/v1/alerts/{thread['alert']}/responses").json()
    assert board["recipients"][0]["acknowledged_at"] is not None
    assert [(r["participant"], r["by"]) for r in board["responses"]] == [("EE", "ee-analyst")]


def test_a_decision_is_recorded_and_a_bad_one_shows_the_apis_messages_by_its_fields(
    server: LiveServer, region: Region, thread: dict[str, str]
) -> None:
    path = f"/console/alerts/{thread['alert']}"
    with _signed_in(server, "ee-focal-point") as client:
        token = form_token(client.get(path).text)
        bad = client.post(
            f"{path}/respond", data={"csrf_token": token, "decision": "no-action", "note": "x"}
        )
        unknown = client.post(f"{path}/respond", data={"csrf_token": token, "decision": "dance"})
        good = client.post(
            f"{path}/respond",
            data={"csrf_token": token, "decision": "passed-on", "to": "Coast guard, <Navy>"},
        )
        after = client.get(path)
    assert bad.status_code == 422
    errors = re.search(
        r'<ul class="field-errors" id="respond-reason-errors">(.*?)</ul>', bad.text, re.S
    )
    assert errors is not None
    assert "no-action needs &#39;reason&#39;" in errors.group(1)
    assert 'aria-describedby="respond-reason-errors" aria-invalid="true"' in bad.text
    assert '<option value="no-action" selected>' in bad.text  # what was sent is kept
    assert inline_code(bad.text) == []
    assert unknown.status_code == 422
    assert "decision must be one of monitoring, responding, no-action, passed-on" in unknown.text
    assert good.status_code == 303
    assert "Decided: passed-on" in after.text
    assert "Coast guard, &lt;Navy&gt;" in after.text
    with server.client(region.tokens["EE:focal-point"]) as api:
        board = api.get(f"/api/v1/alerts/{thread['alert']}/responses").json()
    assert [r["detail"].get("to") for r in board["responses"]] == [["Coast guard", "<Navy>"]]


@pytest.mark.parametrize("form", ["ack", "respond"])
def test_a_form_without_the_sessions_token_or_from_another_site_changes_nothing(
    server: LiveServer, region: Region, thread: dict[str, str], form: str
) -> None:
    path = f"/console/alerts/{thread['alert']}"
    fields = {"decision": "monitoring"} if form == "respond" else {}
    with _signed_in(server, "ee-focal-point") as client:
        token = form_token(client.get(path).text)
        missing = client.post(f"{path}/{form}", data=fields)
        wrong = client.post(f"{path}/{form}", data={**fields, "csrf_token": token[:-2] + "xx"})
        elsewhere = client.post(
            f"{path}/{form}",
            data={**fields, "csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
    with server.client() as anonymous:
        signed_out = anonymous.post(f"{path}/{form}", data={**fields, "csrf_token": token})
    for refused in (missing, wrong, elsewhere):
        assert refused.status_code == 403
        assert "Nothing was recorded" in refused.text
        assert inline_code(refused.text) == []
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/signin?next=")
    with server.client(region.tokens["EE:focal-point"]) as api:
        board = api.get(f"/api/v1/alerts/{thread['alert']}/responses").json()
    assert board["responses"] == []


@pytest.mark.parametrize("reader", list(USERS))
def test_each_role_sees_on_the_page_exactly_what_the_api_gives_it(
    server: LiveServer, region: Region, thread: dict[str, str], reader: str
) -> None:
    """A RED alert of LV's and the GREEN thread: the page is 404 where the API is, and the
    board and deliveries hold what the API's answers hold — no other desk's endpoints."""
    red = _issue(
        server,
        region.tokens["LV:focal-point"],
        alert_xml("red-1", headline="Secret LV headline", scope="Restricted"),
        tlp="RED",
    )["record_id"]
    role = reader.split(":")[-1]
    participant = (
        reader.split(":")[0] if ":" in reader else ("SEC" if role != "observer" else "OBS")
    )
    token = region.tokens[reader]
    with _signed_in(server, USERS[reader]) as client, server.client(token) as api:
        red_page = client.get(f"/console/alerts/{red}")
        page = client.get(f"/console/alerts/{thread['alert']}")
        board = api.get(f"/api/v1/alerts/{thread['alert']}/responses")
        deliveries = api.get(f"/api/v1/alerts/{thread['alert']}/deliveries")
    if oracle_may_read(role, participant, "RED", frozenset(), "LV"):
        assert red_page.status_code == 200
    else:
        assert red_page.status_code == 404
        assert "Secret LV headline" not in red_page.text
        assert red not in red_page.text
    assert "Secret LV headline" not in page.text
    if not oracle_may_read(role, participant, "GREEN", frozenset(), "LV"):
        assert page.status_code == 404
        assert board.status_code in (403, 404)
        assert "Storm" not in page.text
        return
    assert page.status_code == 200
    shown = set(re.findall(r'<table class="board">.*?</table>', page.text, re.S))
    if board.status_code == 200:
        recipients = {r["participant"] for r in board.json()["recipients"]}
        assert recipients == {"EE"}
        assert len(shown) == 1
        assert '<th scope="row">EE</th>' in shown.pop()
    else:
        assert board.status_code == 403
        assert shown == set()
        assert "may not read the response board" in page.text
    hook = f"127.0.0.1:{DEAD_HOOK_PORT}/ee-hook"
    visible = deliveries.status_code == 200 and any(
        d["endpoint"]["target"].endswith("/ee-hook") for d in deliveries.json()
    )
    assert (hook in page.text) == visible
    assert visible == (reader in ("EE:focal-point", "EE:analyst", "admin"))
    can_answer = role in ("focal-point", "analyst", "admin")
    assert ("/ack" in page.text) == can_answer
    assert inline_code(page.text) == []


def test_an_unknown_or_unreadable_alert_is_not_found_and_signed_out_goes_to_sign_in(
    server: LiveServer, region: Region, thread: dict[str, str]
) -> None:
    with _signed_in(server, "lt-observer") as client:
        assert client.get("/console/alerts/nope").status_code == 404
    with server.client() as anonymous:
        away = anonymous.get(f"/console/alerts/{thread['alert']}")
    assert away.status_code == 303
    assert away.headers["location"] == f"/signin?next=%2Fconsole%2Falerts%2F{thread['alert']}"


def _alert_events(response: httpx.Response, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The first ``count`` alert events of a server-sent event stream: (id, data)."""
    event_id, seen = "", 0
    for line in response.iter_lines():
        if line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            yield event_id, json.loads(line[5:])
            seen += 1
            if seen == count:
                return


def test_the_situation_stream_sends_a_signed_in_user_only_new_alerts_they_may_read(
    server: LiveServer, region: Region, node: Node
) -> None:
    lv = region.tokens["LV:focal-point"]
    with _signed_in(server, "ee-analyst") as client:
        situation = client.get("/console")
        assert 'data-stream="/console/stream?bbox=' in situation.text
        assert '<script src="/static/live.js" defer></script>' in situation.text
        assert inline_code(situation.text) == []
        with client.stream("GET", "/console/stream") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            secret = _issue(
                server,
                lv,
                alert_xml("red-live", headline="Not for EE", scope="Restricted"),
                tlp="RED",
            )
            shared = _issue(
                server, lv, alert_xml("green-live", headline="<i>For EE</i>"), tlp="GREEN"
            )
            ((event_id, data),) = list(_alert_events(stream, 1))
        assert data["record_id"] == shared["record_id"]
        assert data["headline"] == "<i>For EE</i>"
        assert event_id == str(shared["position"])
        assert set(data) == {
            "record_id",
            "headline",
            "event",
            "severity",
            "severity_class",
            "sent",
            "sent_text",
            "area",
            "tlp",
            "state",
            "thread",
            "is_live",
            "shape",
            "bar",
        }
        assert data["shape"] is None  # asked for no frame and no axis: nothing drawn
        assert data["bar"] is None
        # Reconnecting after the RED one's position replays only what the user may read.
        resumed = {"Last-Event-ID": str(secret["position"] - 1)}
        with client.stream("GET", "/console/stream", headers=resumed) as again:
            ((_, replayed),) = list(_alert_events(again, 1))
        assert replayed["record_id"] == shared["record_id"]
        assert secret["record_id"] not in json.dumps(replayed)
    with server.client() as anonymous:
        assert anonymous.get("/console/stream").status_code == 401


def test_the_situation_stream_keeps_to_the_pages_filters(
    server: LiveServer, region: Region
) -> None:
    lv = region.tokens["LV:focal-point"]
    with _signed_in(server, "ee-focal-point") as client:
        assert client.get("/console/stream", params={"tlp": "PINK"}).status_code == 400
        with client.stream("GET", "/console/stream", params={"category": "Fire"}) as stream:
            _issue(server, lv, alert_xml("met-1", headline="Rain"), tlp="GREEN")
            fire = _issue(server, lv, alert_xml("fire-1", category="Fire"), tlp="GREEN")
            ((_, data),) = list(_alert_events(stream, 1))
    assert data["record_id"] == fire["record_id"]


def test_the_live_script_is_served_and_builds_rows_without_markup(server: LiveServer) -> None:
    with server.client() as client:
        script = client.get("/static/live.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text
    assert "textContent" in script.text
