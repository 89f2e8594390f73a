"""Sending, reading and filtering alerts over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from accord.adapters.sql.tables import alerts, records
from accord.bootstrap import Node
from tests.integration.cap_samples import BASE_TIME, alert_xml, reference_to
from tests.integration.conftest import LiveServer, Region
from tests.reference import reference_dir

XML = {"Content-Type": "application/cap+xml"}


def _count(node: Node) -> int:
    with node.engine.connect() as connection:
        query = select(func.count()).select_from(records).where(records.c.kind == "cap.alert")
        return int(connection.execute(query).scalar_one())


def test_an_alert_sent_as_xml_is_kept_as_a_record_and_read_back(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        sent = client.post("/api/v1/alerts", content=alert_xml("A-1"), headers=XML)
        assert sent.status_code == 201, sent.text
        receipt = sent.json()
        assert receipt["seq"] == 2  # seq 1 is EE's key registration
        assert receipt["author"] == "EE"
        assert len(receipt["record_id"]) == 64
        as_json = client.get(f"/api/v1/alerts/{receipt['record_id']}").json()
        as_xml = client.get(
            f"/api/v1/alerts/{receipt['record_id']}", headers={"Accept": "application/cap+xml"}
        )
    assert as_json["alert"]["identifier"] == "A-1"
    assert as_json["thread"]["state"] == "active"
    assert as_xml.headers["content-type"].startswith("application/cap+xml")
    assert as_xml.content == alert_xml("A-1")


def test_sequence_numbers_count_per_author(server: LiveServer, region: Region) -> None:
    with (
        server.client(region.tokens["EE:focal-point"]) as ee,
        server.client(region.tokens["LV:focal-point"]) as lv,
    ):
        seqs = [
            ee.post("/api/v1/alerts", content=alert_xml("E-1"), headers=XML).json()["seq"],
            lv.post("/api/v1/alerts", content=alert_xml("L-1"), headers=XML).json()["seq"],
            ee.post("/api/v1/alerts", content=alert_xml("E-2"), headers=XML).json()["seq"],
        ]
    assert seqs == [2, 2, 3]  # each participant's seq 1 registered its key


def test_a_duplicate_message_is_idempotent_and_a_different_one_conflicts(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        first = client.post("/api/v1/alerts", content=alert_xml("D-1"), headers=XML)
        again = client.post("/api/v1/alerts", content=alert_xml("D-1"), headers=XML)
        changed = client.post(
            "/api/v1/alerts", content=alert_xml("D-1", headline="Other"), headers=XML
        )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["record_id"] == first.json()["record_id"]
    assert again.json()["status"] == "duplicate"
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert _count(node) == 1


def test_an_alert_sent_as_json_is_accepted_and_served_as_xml(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        as_json = client.post("/api/v1/alerts", content=alert_xml("J-0"), headers=XML).json()
        mapping = client.get(f"/api/v1/alerts/{as_json['record_id']}").json()["alert"]
        mapping["identifier"] = "J-1"
        sent = client.post("/api/v1/alerts", json=mapping)
        xml = client.get(
            f"/api/v1/alerts/{sent.json()['record_id']}", headers={"Accept": "application/cap+xml"}
        )
    assert sent.status_code == 201, sent.text
    assert b"<identifier>J-1</identifier>" in xml.content
    with node.engine.connect() as connection:
        original = connection.execute(
            select(records.c.original, records.c.content_type).where(
                records.c.record_id == sent.json()["record_id"]
            )
        ).one()
    assert original.content_type == "application/json"
    assert json.loads(original.original) == mapping


def test_invalid_cap_is_refused_with_every_problem_and_nothing_written(
    server: LiveServer, region: Region, node: Node
) -> None:
    bad = alert_xml("bad id, with spaces", polygon="59.0,24.0 59.0,25.0 60.0,25.0")
    bad = bad.replace(b"<status>Actual</status>", b"<status>Real</status>")
    with server.client(region.tokens["EE:focal-point"]) as client:
        response = client.post("/api/v1/alerts", content=bad, headers=XML)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert {"/problems/invalid-input"} == {problem["type"]}
    assert any("status" in e["location"] for e in problem["errors"])
    assert _count(node) == 0


def test_malformed_oversized_and_unknown_media_are_refused(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        malformed = client.post("/api/v1/alerts", content=b"<alert", headers=XML)
        too_big = client.post(
            "/api/v1/alerts", content=b"<a>" + b" " * (3 * 1024 * 1024) + b"</a>", headers=XML
        )
        wrong_type = client.post(
            "/api/v1/alerts", content=b"hello", headers={"Content-Type": "text/plain"}
        )
        not_json = client.post(
            "/api/v1/alerts", content=b"{", headers={"Content-Type": "application/json"}
        )
    assert malformed.status_code == 422
    assert too_big.status_code == 413
    assert wrong_type.status_code == 415
    assert not_json.status_code == 422
    for response in (malformed, too_big, wrong_type, not_json):
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"]
    assert _count(node) == 0


def test_unauthenticated_and_forbidden_senders_are_told_apart(
    server: LiveServer, region: Region
) -> None:
    with server.client() as anonymous:
        unauthenticated = anonymous.post("/api/v1/alerts", content=alert_xml("X"), headers=XML)
    with server.client("acc_not-a-token") as stranger:
        unknown = stranger.get("/api/v1/alerts")
    with server.client(region.tokens["EE:analyst"]) as analyst:
        forbidden = analyst.post("/api/v1/alerts", content=alert_xml("X"), headers=XML)
    with server.client(region.tokens["reporter"]) as reporter:
        reporter_post = reporter.post("/api/v1/alerts", content=alert_xml("X"), headers=XML)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
    assert unknown.status_code == 401
    assert forbidden.status_code == 403
    assert reporter_post.status_code == 403


def test_a_tlp_looser_than_the_cap_scope_is_refused(server: LiveServer, region: Region) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        response = client.post(
            "/api/v1/alerts",
            content=alert_xml("P-1", scope="Private"),
            headers=XML,
            params={"tlp": "CLEAR"},
        )
        unknown = client.post(
            "/api/v1/alerts",
            content=alert_xml("P-2"),
            headers=XML,
            params={"tlp": "AMBER", "audience": "ZZ"},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "TLP_LOOSER_THAN_CAP_SCOPE"
    assert unknown.json()["errors"][0]["code"] == "UNKNOWN_PARTICIPANT"


def test_a_batch_accepts_good_items_and_reports_bad_ones(
    server: LiveServer, region: Region, node: Node
) -> None:
    items = [
        {"xml": alert_xml("B-1").decode()},
        {"xml": "<not-cap/>"},
        {"xml": alert_xml("B-2").decode(), "tlp": "AMBER", "audience": ["LV"]},
        {"alert": {"identifier": "B-3"}},
        {"xml": alert_xml("B-4").decode(), "tlp": "PURPLE"},
    ]
    with server.client(region.tokens["EE:focal-point"]) as client:
        response = client.post("/api/v1/alerts:batch", json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "rejected",
        "created",
        "rejected",
        "rejected",
    ]
    assert body["results"][2]["scope"] == {"tlp": "AMBER", "audience": ["LV"]}
    assert body["results"][3]["problem"]["errors"]
    assert (body["accepted"], body["rejected"]) == (2, 3)
    assert _count(node) == 2


def test_a_wrapper_of_several_alerts_is_sent_as_one_batch(
    server: LiveServer, region: Region
) -> None:
    inner = b"".join(alert_xml(f"W-{n}").split(b"?>", 1)[1] for n in range(3))
    wrapper = b"<alerts>" + inner + b"</alerts>"
    with server.client(region.tokens["EE:focal-point"]) as client:
        single = client.post("/api/v1/alerts", content=wrapper, headers=XML)
        batch = client.post("/api/v1/alerts:batch", content=wrapper, headers=XML)
    assert single.status_code == 422
    assert batch.json()["accepted"] == 3


def test_updates_and_cancels_join_the_thread_and_move_its_state(
    server: LiveServer, region: Region
) -> None:
    sender = "warnings@met.example"
    later = BASE_TIME + timedelta(hours=1)
    with server.client(region.tokens["EE:focal-point"]) as client:
        root = client.post("/api/v1/alerts", content=alert_xml("T-1"), headers=XML).json()
        update = alert_xml(
            "T-2", sent=later, msg_type="Update", references=reference_to(sender, "T-1")
        )
        client.post("/api/v1/alerts", content=update, headers=XML)
        after_update = client.get(f"/api/v1/alerts/{root['record_id']}").json()
        cancel = alert_xml(
            "T-3",
            sent=later + timedelta(hours=1),
            msg_type="Cancel",
            references=reference_to(sender, "T-2", later),
        )
        client.post("/api/v1/alerts", content=cancel, headers=XML)
        after_cancel = client.get(f"/api/v1/alerts/{root['record_id']}").json()
        thread = client.get("/api/v1/alerts", params={"thread": root["position"]}).json()
    assert after_update["thread"]["state"] == "updated"
    assert after_cancel["thread"]["state"] == "cancelled"
    assert [i["alert"]["identifier"] for i in thread["items"]] == ["T-3", "T-2", "T-1"]


def test_an_alert_past_its_expiry_reads_as_expired(server: LiveServer, region: Region) -> None:
    old = alert_xml(
        "OLD-1", sent=BASE_TIME - timedelta(days=400), expires=BASE_TIME - timedelta(days=399)
    )
    with server.client(region.tokens["EE:focal-point"]) as client:
        receipt = client.post("/api/v1/alerts", content=old, headers=XML).json()
        state = client.get(f"/api/v1/alerts/{receipt['record_id']}").json()["thread"]["state"]
    assert state == "expired"


def test_filters_narrow_the_list(server: LiveServer, region: Region) -> None:
    documents = [
        alert_xml("F-1", category="Met", severity="Minor"),
        alert_xml(
            "F-2",
            category="Fire",
            severity="Extreme",
            event="Forest fire",
            polygon=None,
            circle="45.0,10.0 5",
        ),
        alert_xml("F-3", category="Health", status="Exercise"),
        alert_xml(
            "F-4", category="Met", sender="other@sender.example", sent=BASE_TIME + timedelta(days=2)
        ),
    ]
    with server.client(region.tokens["EE:focal-point"]) as client:
        for document in documents:
            assert client.post("/api/v1/alerts", content=document, headers=XML).status_code == 201

        def ids(**params: object) -> list[str]:
            response = client.get("/api/v1/alerts", params=params)
            assert response.status_code == 200, response.text
            return sorted(i["alert"]["identifier"] for i in response.json()["items"])

        assert ids() == ["F-1", "F-2", "F-4"]
        assert ids(status="Exercise") == ["F-3"]
        assert ids(category="Met") == ["F-1", "F-4"]
        assert ids(severity="Severe") == ["F-2", "F-4"]
        assert ids(event="Forest fire") == ["F-2"]
        assert ids(sender="other@sender.example") == ["F-4"]
        assert ids(since=(BASE_TIME + timedelta(days=1)).isoformat()) == ["F-4"]
        assert ids(bbox="9,44,11,46") == ["F-2"]
        assert ids(lat=45.02, lon=10.01) == ["F-2"]
        assert ids(lat=45.2, lon=10.3) == []
        assert ids(lat=59.5, lon=24.5) == ["F-1", "F-4"]
        assert ids(sector="environment") == ["F-1", "F-4"]  # Met
        assert ids(sector="disaster", category="Fire") == ["F-2"]
        assert ids(sector=["health", "defence"]) == []  # F-3, Health, is an exercise
        assert ids(tlp="CLEAR") == ["F-1", "F-2", "F-4"]  # Public scope
        assert ids(tlp=["RED", "AMBER"]) == []
        bad = client.get("/api/v1/alerts", params={"severity": "Huge", "bbox": "x"})
        outside = client.get("/api/v1/alerts", params={"sector": "health", "category": "Met"})
        unknown = client.get("/api/v1/alerts", params={"sector": "space", "tlp": "PINK"})
    assert bad.status_code == 422
    assert len(bad.json()["errors"]) == 2
    assert outside.status_code == 422
    assert [e["code"] for e in outside.json()["errors"]] == ["OUTSIDE_SECTOR"]
    assert "Met is not a category of sector health" in outside.text
    assert unknown.status_code == 422
    assert sorted(e["location"] for e in unknown.json()["errors"]) == ["sector", "tlp"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        for n in range(7):
            client.post("/api/v1/alerts", content=alert_xml(f"P-{n}"), headers=XML)
        seen: list[str] = []
        params: dict[str, object] = {"limit": 3}
        while True:
            page = client.get("/api/v1/alerts", params=params).json()
            seen += [i["alert"]["identifier"] for i in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
    assert seen == [f"P-{n}" for n in reversed(range(7))]


def test_the_atom_feed_lists_public_actual_alerts_only(server: LiveServer, region: Region) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        client.post("/api/v1/alerts", content=alert_xml("PUB-1", headline="Gale"), headers=XML)
        client.post(
            "/api/v1/alerts", content=alert_xml("SEC-1"), headers=XML, params={"tlp": "GREEN"}
        )
        client.post("/api/v1/alerts", content=alert_xml("EX-1", status="Exercise"), headers=XML)
    with server.client() as anonymous:
        response = anonymous.get("/feeds/cap.atom")
        feed = feedparser.parse(response.content)
        linked = anonymous.get(
            feed.entries[0].links[0].href.replace(server.url, ""),
            headers={"Accept": "application/cap+xml"},
        )
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Gale"]
    assert feed.entries[0].links[0].type == "application/cap+xml"
    assert b"<identifier>PUB-1</identifier>" in linked.content


def test_records_cannot_be_rewritten_even_with_direct_database_access(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        client.post("/api/v1/alerts", content=alert_xml("R-1"), headers=XML)
    for statement in ("UPDATE records SET kind = 'x'", "DELETE FROM records"):
        with pytest.raises(DBAPIError, match="append-only"), node.engine.begin() as connection:
            connection.execute(text(statement))
    with node.engine.connect() as connection:
        assert connection.execute(select(alerts.c.sender)).scalar() == "warnings@met.example"


def test_feed_entries_carry_what_the_reference_cap_index_feeds_carry(
    server: LiveServer, region: Region
) -> None:
    feeds = reference_dir() / "cap" / "feeds" / "valid"
    index_feeds = ("us_nws_weather.atom", "weather_index.atom", "oregon_nws.atom")
    shared: set[str] | None = None
    for name in index_feeds:
        for entry in feedparser.parse((feeds / name).read_bytes()).entries:
            shared = set(entry) if shared is None else shared & set(entry)
    assert shared
    optional = {"cap_geocode", "cap_parameter", "cap_polygon", "value", "valuename"}
    with server.client(region.tokens["EE:focal-point"]) as client:
        client.post("/api/v1/alerts", content=alert_xml("IDX-1"), headers=XML)
    with server.client() as anonymous:
        ours = feedparser.parse(anonymous.get("/feeds/cap.atom").content).entries[0]
    assert shared - optional <= set(ours), shared - optional - set(ours)
    assert ours["cap_event"] == "Storm"


def test_the_same_alert_twice_in_one_batch_is_written_once(
    server: LiveServer, region: Region, node: Node
) -> None:
    item = {"xml": alert_xml("TWICE-1").decode()}
    with server.client(region.tokens["EE:focal-point"]) as client:
        results = client.post("/api/v1/alerts:batch", json={"items": [item, item]}).json()
    first, second = results["results"]
    assert (first["status"], second["status"]) == ("created", "duplicate")
    assert first["record_id"] == second["record_id"]
    assert _count(node) == 1
