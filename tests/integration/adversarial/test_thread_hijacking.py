"""Only the participant that issued an alert may Update or Cancel it, on every path; a
reference to a message the caller may not read answers as a reference to nothing; and
each reader's thread state is folded from the messages they may read (issue 14, 1 and 7)."""

from __future__ import annotations

import json
import queue
from datetime import timedelta
from typing import Any

import httpx
import pytest

from accord.bootstrap import Node
from tests.integration.cap_samples import BASE_TIME, alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.integration.test_stream import Listener as StreamReader
from tests.integration.unchecked import write_unchecked

XML = {"Content-Type": "application/cap+xml"}
EE_SENDER = "warnings@ee.example"


def _post(server: LiveServer, token: str, document: bytes, **params: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/alerts",
        content=document,
        headers={**XML, "Authorization": f"Bearer {token}"},
        params=params,
        timeout=30,
    )


def _issue(server: LiveServer, region: Region, identifier: str, **params: str) -> str:
    scope = "Public" if params.get("tlp", "CLEAR") == "CLEAR" else "Restricted"
    document = alert_xml(identifier, sender=EE_SENDER, scope=scope)
    response = _post(server, region.tokens["EE:focal-point"], document, **params)
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def _reference(identifier: str) -> str:
    return f"{EE_SENDER},{identifier},{BASE_TIME.isoformat()}"


def _follow_up(identifier: str, msg_type: str, references: str, **kwargs: Any) -> bytes:
    sent = BASE_TIME + timedelta(minutes=5)
    return alert_xml(
        identifier, sender="desk@lt.example", sent=sent, msg_type=msg_type,
        references=references, **kwargs,
    )  # fmt: skip


def _thread(server: LiveServer, token: str | None, record_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{server.url}/api/v1/alerts/{record_id}", headers=headers)
    assert response.status_code == 200, response.text
    thread: dict[str, Any] = response.json()["thread"]
    return thread


def test_another_participants_cancel_of_an_alert_it_can_read_is_refused(
    server: LiveServer, region: Region
) -> None:
    target = _issue(server, region, "EE-GREEN", tlp="GREEN")
    cancel = _follow_up("LT-CANCEL", "Cancel", _reference("EE-GREEN"), scope="Restricted")

    response = _post(server, region.tokens["LT:focal-point"], cancel, tlp="GREEN")

    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["code"] == "NOT_THE_ISSUER"
    for token in ("EE:focal-point", "LV:focal-point"):
        assert _thread(server, region.tokens[token], target)["state"] == "active"


def test_another_participants_update_is_refused_in_a_batch_and_its_siblings_pass(
    server: LiveServer, region: Region
) -> None:
    _issue(server, region, "EE-CLEAR")
    update = _follow_up("LT-UPDATE", "Update", _reference("EE-CLEAR")).decode()
    mine = alert_xml("LT-OWN", sender="desk@lt.example").decode()
    response = httpx.post(
        f"{server.url}/api/v1/alerts:batch",
        json={"items": [{"xml": update}, {"xml": mine}]},
        headers={"Authorization": f"Bearer {region.tokens['LT:focal-point']}"},
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created"], results


def test_a_cancel_naming_an_unreadable_alert_answers_as_one_naming_nothing(
    server: LiveServer, region: Region
) -> None:
    secret = _issue(server, region, "EE-RED", tlp="RED")
    lt = region.tokens["LT:focal-point"]
    hidden = _post(server, lt, _follow_up("LT-1", "Cancel", _reference("EE-RED")))
    nothing = _post(server, lt, _follow_up("LT-2", "Cancel", _reference("NO-SUCH-ALERT")))

    assert hidden.status_code == nothing.status_code == 201
    answers = [hidden.json(), nothing.json()]
    assert sorted(answers[0]) == sorted(answers[1])
    for answer in answers:  # each starts a thread of its own: no thread id tells them apart
        thread = _thread(server, lt, answer["record_id"])
        listed = httpx.get(
            f"{server.url}/api/v1/alerts",
            params={"thread": thread["id"], "msgType": "Cancel"},
            headers={"Authorization": f"Bearer {lt}"},
        ).json()["items"]
        assert [item["record_id"] for item in listed] == [answer["record_id"]]
    assert _thread(server, region.tokens["EE:focal-point"], secret)["state"] == "active"


def test_an_ack_from_a_recipient_joins_the_thread_without_changing_it(
    server: LiveServer, region: Region
) -> None:
    target = _issue(server, region, "EE-ACK-ME")
    ack = _follow_up("LT-ACK", "Ack", _reference("EE-ACK-ME"))
    response = _post(server, region.tokens["LT:focal-point"], ack)
    assert response.status_code == 201, response.text
    joined = _thread(server, region.tokens["LT:focal-point"], response.json()["record_id"])
    assert joined == _thread(server, region.tokens["LT:focal-point"], target)
    assert joined["state"] == "active"


def test_the_issuers_own_cancel_still_ends_its_thread(server: LiveServer, region: Region) -> None:
    target = _issue(server, region, "EE-OWN")
    cancel = alert_xml(
        "EE-OWN-CANCEL", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=1),
        msg_type="Cancel", references=_reference("EE-OWN"),
    )  # fmt: skip
    assert _post(server, region.tokens["EE:focal-point"], cancel).status_code == 201
    assert _thread(server, None, target)["state"] == "cancelled"


def test_a_red_cancel_of_a_clear_alert_shows_cancelled_only_to_who_may_read_it(
    server: LiveServer, region: Region
) -> None:
    target = _issue(server, region, "EE-PUBLIC")
    cancel = alert_xml(
        "EE-QUIET-CANCEL", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=1),
        msg_type="Cancel", references=_reference("EE-PUBLIC"), scope="Restricted",
    )  # fmt: skip
    response = _post(server, region.tokens["EE:focal-point"], cancel, tlp="RED")
    assert response.status_code == 201, response.text

    assert _thread(server, None, target)["state"] == "active"  # the public
    assert _thread(server, region.tokens["LV:focal-point"], target)["state"] == "active"
    assert _thread(server, region.tokens["EE:focal-point"], target)["state"] == "cancelled"
    portal = httpx.get(f"{server.url}/alerts/{target}").text
    assert "cancelled" not in portal.lower()


def test_a_foreign_cancel_replayed_through_a_rebuild_ends_no_thread(
    node: Node, server: LiveServer, region: Region
) -> None:
    # A record written by the old rule (or by a permissive node) must not end another's
    # thread when projected again: live, replicated and rebuilt projections share the rule.
    target = _issue(server, region, "EE-REBUILT")
    write_unchecked(node, "LT", _follow_up("LT-OLD", "Cancel", _reference("EE-REBUILT")))

    node.alerts.rebuild(lambda _original: ("unsigned", ""))

    assert _thread(server, None, target)["state"] == "active"
    assert node.log_audit.run().is_clean


def test_the_live_stream_tells_each_reader_the_thread_they_may_see(
    server: LiveServer, region: Region
) -> None:
    public = StreamReader(f"{server.url}/api/v1/stream", None)
    ee = StreamReader(f"{server.url}/api/v1/stream", region.tokens["EE:focal-point"])
    try:
        _issue(server, region, "EE-LIVE")
        cancel = alert_xml(
            "EE-LIVE-CANCEL", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=1),
            msg_type="Cancel", references=_reference("EE-LIVE"), scope="Restricted",
        )  # fmt: skip
        assert _post(server, region.tokens["EE:focal-point"], cancel, tlp="RED").status_code == 201
        seen_by_ee = [json.loads(e["data"]) for e in ee.take(2)]
        (seen_by_public,) = [json.loads(e["data"]) for e in public.take(1)]
        with pytest.raises(queue.Empty):
            public.take(1, timeout=2)  # the RED Cancel never reaches the public
    finally:
        public.close()
        ee.close()
    assert seen_by_public["thread"]["state"] == "active"
    assert [event["thread"]["state"] for event in seen_by_ee] == ["active", "cancelled"]


def _with_note(document: bytes, note: str) -> bytes:
    return document.replace(b"<references>", f"<note>{note}</note><references>".encode(), 1)


def test_an_acks_note_reaches_only_who_may_read_the_ack(server: LiveServer, region: Region) -> None:
    target = _issue(server, region, "EE-BOARD")
    ack = _with_note(
        alert_xml(
            "LV-ACK", sender="desk@lv.example", sent=BASE_TIME + timedelta(minutes=1),
            msg_type="Ack", scope="Restricted", references=_reference("EE-BOARD"),
        ),
        "LV only: unit 7 moves to the border",
    )  # fmt: skip
    posted = _post(server, region.tokens["LV:focal-point"], ack, tlp="RED", audience="EE")
    assert posted.status_code == 201, posted.text

    def board(token: str) -> str:
        response = httpx.get(
            f"{server.url}/api/v1/alerts/{target}/responses",
            headers={"Authorization": f"Bearer {region.tokens[token]}"},
        )
        assert response.status_code == 200, response.text
        return response.text

    assert "unit 7" in board("EE:focal-point")
    assert "unit 7" not in board("LT:focal-point")
    assert "unit 7" not in board("EE:observer")


def test_an_ack_hidden_from_the_issuer_acknowledges_nothing(
    server: LiveServer, region: Region
) -> None:
    target = _issue(server, region, "EE-UNTOLD")
    ack = alert_xml(
        "LV-SECRET-ACK", sender="desk@lv.example", sent=BASE_TIME + timedelta(minutes=1),
        msg_type="Ack", scope="Restricted", references=_reference("EE-UNTOLD"),
    )  # fmt: skip
    assert _post(server, region.tokens["LV:focal-point"], ack, tlp="RED").status_code == 201
    board = httpx.get(
        f"{server.url}/api/v1/alerts/{target}/responses",
        headers={"Authorization": f"Bearer {region.tokens['LV:focal-point']}"},
    ).json()
    assert board["responses"] == []


def test_a_reply_looser_than_what_it_answers_is_refused(server: LiveServer, region: Region) -> None:
    _issue(server, region, "EE-AMBER", tlp="AMBER")
    ack = _follow_up("LT-LOOSE-ACK", "Ack", _reference("EE-AMBER"))
    response = _post(server, region.tokens["LT:focal-point"], ack)  # CLEAR by default
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "LOOSER_THAN_REFERENCED"
    strict = _follow_up("LT-STRICT-ACK", "Ack", _reference("EE-AMBER"), scope="Restricted")
    assert _post(server, region.tokens["LT:focal-point"], strict, tlp="AMBER").status_code == 201


def test_a_copied_key_does_not_stop_the_issuers_own_cancel(
    server: LiveServer, region: Region
) -> None:
    target = _issue(server, region, "EE-COPIED")
    copy = alert_xml("EE-COPIED", sender=EE_SENDER)  # LT copies EE's exact key
    assert _post(server, region.tokens["LT:focal-point"], copy).status_code == 201
    cancel = alert_xml(
        "EE-COPIED-CANCEL", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=1),
        msg_type="Cancel", references=_reference("EE-COPIED"),
    )  # fmt: skip
    response = _post(server, region.tokens["EE:focal-point"], cancel)
    assert response.status_code == 201, response.text
    assert _thread(server, None, target)["state"] == "cancelled"


def test_a_new_alert_citing_another_participants_starts_its_own_thread(
    server: LiveServer, region: Region
) -> None:
    theirs = alert_xml("LT-ORIGIN", sender="desk@lt.example")
    assert _post(server, region.tokens["LT:focal-point"], theirs).status_code == 201
    mine = alert_xml(
        "EE-CITES", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=1),
        references=f"desk@lt.example,LT-ORIGIN,{BASE_TIME.isoformat()}",
    )  # fmt: skip
    posted = _post(server, region.tokens["EE:focal-point"], mine)
    assert posted.status_code == 201, posted.text
    cited = (BASE_TIME + timedelta(minutes=1)).isoformat()
    cancel = alert_xml(
        "EE-CITES-CANCEL", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=2),
        msg_type="Cancel", references=f"{EE_SENDER},EE-CITES,{cited}",
    )  # fmt: skip
    assert _post(server, region.tokens["EE:focal-point"], cancel).status_code == 201
    assert _thread(server, None, posted.json()["record_id"])["state"] == "cancelled"


def test_a_repeat_under_a_stricter_scope_reports_the_scope_held(
    server: LiveServer, region: Region
) -> None:
    document = alert_xml("EE-REPEAT", sender=EE_SENDER, scope="Restricted")
    token = region.tokens["EE:focal-point"]
    assert _post(server, token, document, tlp="GREEN").status_code == 201
    again = _post(server, token, document, tlp="RED")
    assert again.status_code == 200
    assert again.json()["scope"]["tlp"] == "GREEN"


def test_an_acknowledgement_names_the_issuer_so_its_desks_see_it_and_outsiders_do_not(
    server: LiveServer, region: Region
) -> None:
    target = _issue(server, region, "EE-TO-LV", tlp="AMBER", audience="LV")
    acked = httpx.post(
        f"{server.url}/api/v1/alerts/{target}/ack",
        json={"note": "LV desk on it"},
        headers={"Authorization": f"Bearer {region.tokens['LV:focal-point']}"},
    )
    assert acked.status_code in (200, 201), acked.text

    def notes(token: str) -> list[str]:
        response = httpx.get(
            f"{server.url}/api/v1/alerts/{target}/responses",
            headers={"Authorization": f"Bearer {region.tokens[token]}"},
        )
        if response.status_code == 404:
            return []
        return [r["participant"] for r in response.json()["responses"]]

    assert notes("EE:focal-point") == ["LV"]
    assert notes("LV:focal-point") == ["LV"]
    assert notes("LT:focal-point") == []


def test_a_reply_naming_more_than_the_message_it_answers_is_refused(
    server: LiveServer, region: Region
) -> None:
    _issue(server, region, "EE-FOR-LV", tlp="AMBER", audience="LV")
    ack = alert_xml(
        "LV-WIDE-ACK", sender="desk@lv.example", sent=BASE_TIME + timedelta(minutes=1),
        msg_type="Ack", scope="Restricted", references=_reference("EE-FOR-LV"),
    )  # fmt: skip
    lv = region.tokens["LV:focal-point"]
    for params in ({"tlp": "AMBER"}, {"tlp": "RED", "audience": "LT"}):
        refused = _post(server, lv, ack, **params)
        assert refused.status_code == 422, (params, refused.text)
    assert _post(server, lv, ack, tlp="AMBER", audience="EE").status_code == 201


def test_an_issuers_update_in_the_batch_of_its_alert_is_not_blocked_by_a_copied_key(
    server: LiveServer, region: Region
) -> None:
    copy = alert_xml("EE-NEXT", sender=EE_SENDER)
    assert _post(server, region.tokens["LV:focal-point"], copy).status_code == 201
    update = alert_xml(
        "EE-NEXT-UPDATE", sender=EE_SENDER, sent=BASE_TIME + timedelta(minutes=1),
        msg_type="Update", references=_reference("EE-NEXT"),
    )  # fmt: skip
    response = httpx.post(
        f"{server.url}/api/v1/alerts:batch",
        json={"items": [{"xml": copy.decode()}, {"xml": update.decode()}]},
        headers={"Authorization": f"Bearer {region.tokens['EE:focal-point']}"},
    )
    assert [r["status"] for r in response.json()["results"]] == ["created", "created"]
