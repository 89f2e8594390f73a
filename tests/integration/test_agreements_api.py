"""Agreements, filings and compliance over the API of a real server, on both engines:
agreements loaded as signed records, filings accepted with flags, verdicts judged from the
log and shown only to those entitled, the public scoreboard numbers only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from accord.bootstrap import Node
from tests.integration.conftest import LiveServer, Region

VIENNA = "vienna-document-2011"
NOW = datetime.now(UTC)


def _treaty(parties: list[str] | str, version: int = 1, lead_days: int = 42) -> dict[str, Any]:
    """A small agreement: prior notification and a consultation deadline."""
    return {
        "name": "border-pact",
        "title": "Border confidence pact",
        "version": version,
        "parties": parties,
        "mandate": "Notify large exercises; answer questions about unusual activity.",
        "tier": 1,
        "starts": (NOW - timedelta(days=30)).date().isoformat(),
        "sunset": None,
        "review": None,
        "emergency": None,
        "advance": None,
        "obligations": [
            {
                "id": "notify",
                "tier": 1,
                "rule": "prior-notification",
                "description": "Notify exercises of 9,000 troops or more 42 days ahead.",
                "source": "the pact, article 1",
                "params": {
                    "activities": ["exercise"],
                    "thresholds": {"personnel": 9000},
                    "lead_days": lead_days,
                },
            },
            {
                "id": "consult",
                "tier": 1,
                "rule": "consultation",
                "description": "Answer a consultation request within 48 hours.",
                "source": "the pact, article 2",
                "params": {"answer_within_hours": 48},
            },
        ],
    }


def _exercise(activity_id: str, starts_in_days: float, personnel: int = 9500) -> dict[str, Any]:
    start = NOW + timedelta(days=starts_in_days)
    return {
        "kind": "notification",
        "activity_id": activity_id,
        "activity": "exercise",
        "start": start.isoformat(),
        "end": (start + timedelta(days=5)).isoformat(),
        "area": "the northern training area",
        "forces": {"personnel": personnel},
    }


def _records(node: Node) -> int:
    with node.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM records")).scalar_one())


def test_built_in_agreements_are_listed_and_shown_with_every_figures_source(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["EE:analyst"]) as client:
        listed = client.get("/api/v1/agreements").json()
        shown = client.get(f"/api/v1/agreements/{VIENNA}").json()
        missing = client.get("/api/v1/agreements/no-such-thing")
    assert {a["name"] for a in listed} >= {VIENNA, "baltic-confidence-ladder"}
    assert all(not a["loaded"] for a in listed)
    notify = next(o for o in shown["obligations"] if o["rule"] == "prior-notification")
    lead = notify["params"]["lead_days"]
    assert lead["value"] == 42
    assert lead["source"].startswith("VD11")
    assert isinstance(lead["verified"], bool)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_only_an_admin_loads_and_a_changed_text_needs_a_new_version(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as focal:
        refused = focal.post("/api/v1/agreements", json=_treaty(["EE", "LV"]))
    with server.client(region.tokens["admin"]) as admin:
        first = admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"]))
        held = _records(node)
        again = admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"]))
        unchanged_version = admin.post(
            "/api/v1/agreements", json=_treaty(["EE", "LV"], lead_days=30)
        )
        newer = admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"], 2, lead_days=30))
        builtin = admin.post("/api/v1/agreements", json={"builtin": VIENNA})
        listed = {a["name"]: a for a in admin.get("/api/v1/agreements").json()}
    assert refused.status_code == 403
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.json()["record_id"] == first.json()["record_id"]
    assert unchanged_version.status_code == 409
    assert newer.status_code == 201
    assert builtin.status_code == 201
    assert _records(node) == held + 2  # the second version and the built-in one
    assert listed["border-pact"]["version"] == 2
    assert listed[VIENNA]["loaded"] is True


def test_a_bad_agreement_or_filing_names_every_problem_and_stores_nothing(
    server: LiveServer, region: Region, node: Node
) -> None:
    bad_treaty = _treaty(["EE"])
    bad_treaty["obligations"][0]["rule"] = "no-such-rule"
    bad_treaty["tier"] = 0
    with server.client(region.tokens["admin"]) as admin:
        admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"])).raise_for_status()
        before = _records(node)
        treaty = admin.post("/api/v1/agreements", json=bad_treaty)
    with server.client(region.tokens["EE:focal-point"]) as focal:
        filing = focal.post(
            "/api/v1/filings",
            json={"kind": "notification", "activity": "parade", "start": "tomorrow", "extra": 1},
        )
        unknown = focal.post("/api/v1/filings", json={"kind": "rumour"})
    assert treaty.status_code == 422
    where = {e["location"] for e in treaty.json()["errors"]}
    assert {"/tier", "/obligations/0/rule"} <= where
    assert filing.status_code == 422
    where = {e["location"] for e in filing.json()["errors"]}
    assert {"/activity", "/start", "/extra", "/activity_id"} <= where
    assert unknown.status_code == 422
    assert _records(node) == before


def test_a_filing_whose_kind_is_a_list_is_refused_not_a_server_error(
    server: LiveServer, region: Region, node: Node
) -> None:
    before = _records(node)
    with server.client(region.tokens["EE:focal-point"]) as focal:
        listed = focal.post("/api/v1/filings", json={"kind": ["notification"]})
    assert listed.status_code == 422
    assert [e["location"] for e in listed.json()["errors"]] == ["/kind"]
    assert _records(node) == before


def test_a_late_notification_is_accepted_and_flagged_with_the_obligation_it_breaks(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["admin"]) as admin:
        admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"])).raise_for_status()
    with server.client(region.tokens["EE:focal-point"]) as focal:
        on_time = focal.post("/api/v1/filings", json=_exercise("EE-ON-TIME", 50))
        late = focal.post("/api/v1/filings", json=_exercise("EE-LATE", 41))
        small = focal.post("/api/v1/filings", json=_exercise("EE-SMALL", 3, personnel=8999))
        incomplete = {k: v for k, v in _exercise("EE-VAGUE", 60).items() if k != "area"}
        vague = focal.post("/api/v1/filings", json=incomplete)
        report = focal.get("/api/v1/agreements/border-pact/compliance").json()
    assert on_time.status_code == late.status_code == small.status_code == 201
    assert on_time.json()["flags"] == []
    (flag,) = late.json()["flags"]
    assert flag["obligation"] == "notify"
    assert flag["status"] == "late"
    assert flag["source"] == "the pact, article 1"
    assert small.json()["flags"] == []  # just under the threshold: none needed
    assert [i["field"] for i in vague.json()["incomplete"]] == ["area"]
    by_activity = {v["period"]: v["status"] for v in report["verdicts"] if v["participant"] == "EE"}
    assert by_activity["activity/EE-ON-TIME"] == "met"
    assert by_activity["activity/EE-LATE"] == "late"
    assert by_activity["activity/EE-SMALL"] == "not-applicable"


def test_compliance_is_for_parties_and_evidence_outside_scope_is_withheld(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["admin"]) as admin:
        admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"])).raise_for_status()
    with server.client(region.tokens["LV:focal-point"]) as lv:
        secret = lv.post(
            "/api/v1/filings",
            json=_exercise("LV-QUIET", 60),
            params={"tlp": "RED", "audience": "LV"},
        ).json()["record_id"]
    seen: dict[str, Any] = {}
    for who in ("EE:analyst", "LV:analyst", "LT:focal-point", "OBS:observer", "reporter"):
        with server.client(region.tokens[who]) as client:
            seen[who] = client.get("/api/v1/agreements/border-pact/compliance")
    with server.client(None) as anonymous:
        seen["anonymous"] = anonymous.get("/api/v1/agreements/border-pact/compliance")
        board = anonymous.get("/public/scoreboard").json()
    for outsider in ("LT:focal-point", "OBS:observer", "reporter", "anonymous"):
        assert seen[outsider].status_code == 404, outsider  # not even that it exists
    (ee,) = (v for v in seen["EE:analyst"].json()["verdicts"] if v["participant"] == "LV")
    lv = next(
        v for v in seen["LV:analyst"].json()["verdicts"] if v["period"] == "activity/LV-QUIET"
    )
    assert ee["status"] == lv["status"] == "met"
    # RED for LV: EE's reader sees that LV kept the duty, nothing the record tells.
    assert ee["evidence"] == []
    assert ee["withheld"] == 1
    assert ee["period"] is ee["arose_at"] is ee["due"] is ee["done_at"] is None
    assert "LV-QUIET" not in seen["EE:analyst"].text
    assert lv["arose_at"] is not None
    assert secret in lv["evidence"]
    assert "LV-QUIET" not in str(board)
    (pact,) = (b for b in board if b["agreement"] == "border-pact")
    assert {p["participant"] for p in pact["parties"]} == {"EE", "LV"}
    assert all(set(p) == {"participant", "counts"} for p in pact["parties"])


def test_a_consultation_answered_at_once_is_met_and_a_rebuild_judges_the_same(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["admin"]) as admin:
        admin.post("/api/v1/agreements", json=_treaty(["EE", "LV"])).raise_for_status()
    with server.client(region.tokens["EE:focal-point"]) as ee:
        request = ee.post(
            "/api/v1/filings", json={"kind": "request", "request": "consultation", "to": "LV"}
        ).json()["record_id"]
    with server.client(region.tokens["LV:focal-point"]) as lv:
        lv.post(
            "/api/v1/filings", json={"kind": "reply", "request": request, "accepted": True}
        ).raise_for_status()
    later = NOW + timedelta(days=3)
    with server.client(region.tokens["admin"]) as admin:
        report = admin.get(
            "/api/v1/agreements/border-pact/compliance", params={"at": later.isoformat()}
        ).json()
    consult = next(v for v in report["verdicts"] if v["obligation"] == "consult")
    assert consult["participant"] == "LV"
    assert consult["status"] == "met"  # answered at once
    incremental = node.compliance.compliance(_admin_reader(), "border-pact", at=later)
    node.compliance.rebuild()
    rebuilt = node.compliance.compliance(_admin_reader(), "border-pact", at=later)
    assert rebuilt["verdicts"] == incremental["verdicts"]
    assert rebuilt["totals"] == incremental["totals"]


def _admin_reader() -> Any:
    from accord.domain.identity import Role
    from accord.domain.sharing import Reader

    return Reader(Role.ADMIN)


def test_an_agreement_of_all_is_for_states_including_one_that_joins_later(
    server: LiveServer, region: Region, node: Node
) -> None:
    with server.client(region.tokens["admin"]) as admin:
        admin.post("/api/v1/agreements", json=_treaty("all")).raise_for_status()
    url = "/api/v1/agreements/border-pact/compliance"
    with server.client(region.tokens["OBS:observer"]) as observer:
        assert observer.get(url).status_code == 404  # an organisation is no party
    node.identity.add_participant("FI", "Finland", "state")
    node.identity.add_user("fi-analyst", "analyst", "FI")
    token = node.identity.issue_token("fi-analyst")["token"]
    with server.client(token) as finland:
        assert finland.get(url).status_code == 200
        board = finland.get("/public/scoreboard").json()
    (pact,) = (b for b in board if b["agreement"] == "border-pact")
    assert {p["participant"] for p in pact["parties"]} == {"EE", "FI", "LT", "LV"}


def test_agreements_are_public_and_what_show_gives_loads_back_unchanged(
    server: LiveServer, region: Region
) -> None:
    with server.client(None) as anonymous:
        shown = anonymous.get(f"/api/v1/agreements/{VIENNA}")
        assert anonymous.get("/api/v1/agreements").status_code == 200
        assert anonymous.get("/api/v1/calendar").status_code == 200
    assert shown.status_code == 200
    with server.client(region.tokens["admin"]) as admin:
        first = admin.post("/api/v1/agreements", json=shown.json())
        again = admin.post("/api/v1/agreements", json=first.json())
        naive = admin.get(
            f"/api/v1/agreements/{VIENNA}/compliance", params={"at": "2027-01-01T00:00:00"}
        )
    assert first.status_code == again.status_code == 201
    assert again.json()["record_id"] == first.json()["record_id"]  # the same text: a no-op
    assert naive.status_code == 422
    assert naive.headers["content-type"] == "application/problem+json"
    assert naive.json()["errors"][0]["location"] == "at"
