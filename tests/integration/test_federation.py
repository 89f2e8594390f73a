"""Two nodes on loopback, each writing for its own participant, pulling each other's logs
over signed HTTP: what arrives is exactly what the reader's scope allows, verified, applied
once, projected and routed to local subscribers."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from accord.adapters.cap_xml import read_cap_xml
from accord.adapters.sql.append_only import allow_changes, forbid_changes
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.alerts import cap_json
from accord.ledger import notes
from accord.ledger.audit import check_cosignatures
from tests.faults.proxy import FaultyProxy
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, postgres_schema, serving
from tests.integration.test_delivery import Receiver
from tests.integration.test_delivery import receiver as receiver
from tests.integration.test_scope_enforcement import TLPS
from tests.integration.unchecked import write_unchecked, write_unchecked_json
from tests.policy_oracle import oracle_may_read

XML = {"content-type": "application/cap+xml"}
PARTICIPANTS = (("EE", "Estonia"), ("LV", "Latvia"), ("LT", "Lithuania"))


@dataclass
class Site:
    node: Node
    server: LiveServer
    admin: str
    focal: str
    analyst: str

    @property
    def key(self) -> str:
        return httpx.get(f"{self.server.url}/log/key").text.strip()


def _second_url(database_url: str) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield database_url.replace("accord.db", "peer.db")
        return
    with postgres_schema() as url:
        yield url


def _settings(url: str, data_dir: Path, code: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=url,
        node_name=f"{code.lower()}.node",
        authors=code,
        worker="off",
        federation_interval=0,
        outbound_allowlist="127.0.0.0/8",
    )


def _site(url: str, data_dir: Path, code: str, stack: ExitStack) -> Site:
    node = build(_settings(url, data_dir, code))
    for participant, name in PARTICIPANTS:
        node.identity.add_participant(participant, name, "state")
    node.identity.add_user("admin", "admin", code)
    node.identity.add_user("focal", "focal-point", code)
    node.identity.add_user("analyst", "analyst", code)
    return _serve(node, stack)


def _serve(node: Node, stack: ExitStack) -> Site:
    tokens = [node.identity.issue_token(u)["token"] for u in ("admin", "focal", "analyst")]
    stack.callback(node.close)
    server = stack.enter_context(serving(node))
    return Site(node, server, tokens[0], tokens[1], tokens[2])


@pytest.fixture
def sites(database_url: str, tmp_path: Path) -> Iterator[tuple[Site, Site]]:
    for second in _second_url(database_url):
        with ExitStack() as stack:
            lv = _site(database_url, tmp_path / "lv", "LV", stack)
            ee = _site(second, tmp_path / "ee", "EE", stack)
            yield lv, ee


def _peer(site: Site, other: Site, participant: str) -> int:
    with httpx.Client(
        base_url=site.server.url, headers={"Authorization": f"Bearer {site.admin}"}
    ) as client:
        response = client.post(
            "/api/v1/peers",
            json={"url": other.server.url, "key": other.key, "participant": participant},
        )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _pull(site: Site, peer_id: int) -> dict[str, object]:
    with httpx.Client(
        base_url=site.server.url, headers={"Authorization": f"Bearer {site.admin}"}, timeout=60
    ) as client:
        response = client.post(f"/api/v1/peers/{peer_id}/pull")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _send(site: Site, identifier: str, **params: str) -> str:
    scope = "Public" if params.get("tlp", "CLEAR") == "CLEAR" else "Restricted"
    response = httpx.post(
        f"{site.server.url}/api/v1/alerts",
        content=alert_xml(identifier, scope=scope),
        headers={**XML, "Authorization": f"Bearer {site.focal}"},
        params=params,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def _identifiers(site: Site, token: str) -> set[str]:
    response = httpx.get(
        f"{site.server.url}/api/v1/alerts",
        headers={"Authorization": f"Bearer {token}"},
        params={"limit": 200},
    )
    return {item["alert"]["identifier"] for item in response.json()["items"]}


def test_a_peer_gets_what_its_participant_may_read_verified_and_only_once(
    sites: tuple[Site, Site], receiver: Receiver
) -> None:
    lv, ee = sites
    _peer(lv, ee, "EE")  # LV serves EE's node as EE's focal point
    from_lv = _peer(ee, lv, "LV")
    with httpx.Client(
        base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.analyst}"}
    ) as client:
        client.post(
            "/api/v1/subscriptions",
            json={"name": "all", "endpoints": [{"kind": "webhook", "url": receiver.url}]},
        ).raise_for_status()
    _send(lv, "public-1")
    _send(lv, "red-for-ee", tlp="RED", audience="EE")
    _send(lv, "red-for-lt", tlp="RED", audience="LT")
    _send(lv, "amber-all", tlp="AMBER")

    first = _pull(ee, from_lv)
    again = _pull(ee, from_lv)

    assert first["error"] == ""
    assert first["findings"] == []
    assert first["hidden"] == 1  # red-for-lt: its leaf only
    assert again["applied"] == 0
    assert _identifiers(ee, ee.focal) == {"public-1", "red-for-ee", "amber-all"}
    assert _identifiers(ee, ee.analyst) == {"public-1", "amber-all"}  # RED: focal points only
    ee.node.worker.drain()
    delivered = sorted(json.loads(body)["alert"]["identifier"] for _h, body in receiver.requests)
    assert delivered == ["amber-all", "public-1"]
    with httpx.Client(
        base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.admin}"}
    ) as client:
        (status,) = client.get("/api/v1/peers").json()
    assert status["lag_entries"] == 0
    assert status["verified_size"] == status["read"]


def test_requests_from_an_unknown_node_are_refused(sites: tuple[Site, Site]) -> None:
    lv, ee = sites
    from_lv = _peer(ee, lv, "LV")  # EE pins LV, but LV does not know EE
    _send(lv, "public-2")
    report = _pull(ee, from_lv)
    assert "401" in str(report["error"])
    unsigned = httpx.get(f"{lv.server.url}/federation/v1/entries", params={"start": 0})
    assert unsigned.status_code == 401
    assert unsigned.headers["content-type"].startswith("application/problem+json")


def test_a_peer_pinned_with_another_key_is_an_incident(sites: tuple[Site, Site]) -> None:
    lv, ee = sites
    _peer(lv, ee, "EE")
    with httpx.Client(
        base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.admin}"}
    ) as client:
        impostor = client.post(
            "/api/v1/peers",
            json={"url": lv.server.url, "key": ee.key, "participant": "LV"},
        )
    # ee.key is EE's own log key: pinning it for LV's URL means LV's checkpoints fail.
    peer_id = impostor.json()["id"]
    report = _pull(ee, peer_id)
    assert [f["code"] for f in report["findings"]] == ["BAD_CHECKPOINT"]  # type: ignore[union-attr]
    with httpx.Client(
        base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.focal}"}
    ) as client:
        incidents = client.get("/api/v1/incidents").json()
    assert [i["code"] for i in incidents] == ["BAD_CHECKPOINT"]


def test_partitions_and_garbage_lose_nothing_and_duplicate_nothing(
    sites: tuple[Site, Site],
) -> None:
    lv, ee = sites
    _peer(lv, ee, "EE")
    port = int(lv.server.url.rsplit(":", 1)[1])
    with FaultyProxy(("127.0.0.1", port), seed=7) as proxy:
        with httpx.Client(
            base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.admin}"}
        ) as client:
            peer_id = client.post(
                "/api/v1/peers",
                json={"url": proxy.url, "key": lv.key, "participant": "LV"},
            ).json()["id"]
        sent = [f"p-{n}" for n in range(12)]
        for identifier in sent[:6]:
            _send(lv, identifier)
        proxy.partition()
        assert "cannot reach" in str(_pull(ee, peer_id)["error"])
        proxy.heal()
        for identifier in sent[6:]:
            _send(lv, identifier)
        proxy.corrupt_rate = 0.02
        proxy.mode = "corrupt"
        failed = 0
        for _ in range(3):
            report = _pull(ee, peer_id)  # garbage is refused: an error, nothing applied
            failed += bool(report["error"])
        assert failed >= 1
        proxy.heal()
        proxy.close_connections()
        final = _pull(ee, peer_id)
    assert final["error"] == ""
    assert _identifiers(ee, ee.focal) == set(sent)
    with httpx.Client(
        base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.admin}"}
    ) as client:
        (status,) = client.get("/api/v1/peers").json()
    assert status["lag_entries"] == 0
    assert _pull(ee, peer_id)["applied"] == 0


def test_a_node_that_shows_its_log_two_ways_is_caught_by_every_honest_node(
    database_url: str, tmp_path: Path
) -> None:
    """LT's node forks: one copy keeps serving LV's node, the other EE's, each with its own
    new record. LV and EE each verify a consistent story, and compare notes when they pull
    each other: both record the equivocation, with the two signed checkpoints."""
    if not database_url.startswith("sqlite"):
        pytest.skip("forking a node copies its SQLite file; the PostgreSQL run covers the rest")
    with ExitStack() as stack:
        lv = _site(database_url, tmp_path / "lv", "LV", stack)
        ee = _site(database_url.replace("accord.db", "ee.db"), tmp_path / "ee", "EE", stack)
        lt_url = database_url.replace("accord.db", "lt.db")
        with ExitStack() as setup:
            lt = _site(lt_url, tmp_path / "lt", "LT", setup)
            _peer(lt, lv, "LV")
            _peer(lt, ee, "EE")
            _send(lt, "before-the-fork")
            lt_key = lt.key
        fork_dir = tmp_path / "lt-fork"
        shutil.copytree(tmp_path / "lt", fork_dir)
        shutil.copy(Path(lt_url.removeprefix("sqlite:///")), tmp_path / "lt-fork.db")
        lt1 = _serve(build(_settings(lt_url, tmp_path / "lt", "LT")), stack)
        fork_url = "sqlite:///" + str(tmp_path / "lt-fork.db")
        lt2 = _serve(build(_settings(fork_url, fork_dir, "LT")), stack)
        assert lt1.key == lt2.key == lt_key
        _send(lt1, "told-to-lv")
        _send(lt2, "told-to-ee")
        lv_to_lt = _peer_at(lv, lt1.server.url, lt_key, "LT")
        ee_to_lt = _peer_at(ee, lt2.server.url, lt_key, "LT")
        lv_to_ee = _peer(lv, ee, "EE")
        ee_to_lv = _peer(ee, lv, "LV")
        assert _pull(lv, lv_to_lt)["error"] == ""
        assert _pull(ee, ee_to_lt)["error"] == ""
        _pull(lv, lv_to_ee)
        _pull(ee, ee_to_lv)
        _pull(lv, lv_to_ee)  # seen twice: recorded once
        for site in (lv, ee):
            with httpx.Client(
                base_url=site.server.url, headers={"Authorization": f"Bearer {site.focal}"}
            ) as client:
                incidents = client.get("/api/v1/incidents").json()
            assert [i["code"] for i in incidents] == ["EQUIVOCATION"], incidents
            assert len(incidents[0]["evidence"]) == 2
            assert all("— " in note or "\n\n" in note for note in incidents[0]["evidence"])


def _peer_at(site: Site, url: str, key: str, participant: str) -> int:
    with httpx.Client(
        base_url=site.server.url, headers={"Authorization": f"Bearer {site.admin}"}
    ) as client:
        response = client.post(
            "/api/v1/peers", json={"url": url, "key": key, "participant": participant}
        )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_random_scopes_reach_a_peer_exactly_as_the_oracle_allows(
    sites: tuple[Site, Site],
) -> None:
    """Adversarial: 40 alerts under random TLP and audiences; what reaches EE's node
    (its database, not just its API) is exactly what the independent oracle lets EE's
    focal point read."""
    lv, ee = sites
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    rng = random.Random(5)
    expected = set()
    for n in range(40):
        tlp = rng.choice(TLPS)
        audience = frozenset(rng.sample(("EE", "LV", "LT"), rng.randint(0, 2)))
        identifier = f"R-{n}"
        _send(lv, identifier, tlp=tlp, audience=",".join(sorted(audience)))
        if oracle_may_read("focal-point", "EE", tlp, audience, "LV"):
            expected.add(identifier)
    report = _pull(ee, from_lv)
    assert report["error"] == ""
    with ee.node.engine.connect() as connection:
        bodies = connection.execute(
            text("SELECT body FROM records WHERE kind = 'cap.alert'")
        ).scalars()
        held = {json.loads(body)["identifier"] for body in bodies}
    assert held == expected
    assert report["hidden"] == 40 - len(expected)


def test_a_bad_peer_is_refused_naming_every_problem_and_nothing_is_stored(
    sites: tuple[Site, Site],
) -> None:
    lv, _ee = sites
    with httpx.Client(
        base_url=lv.server.url, headers={"Authorization": f"Bearer {lv.admin}"}
    ) as client:
        refused = client.post(
            "/api/v1/peers", json={"url": "ftp://x", "key": "nope", "participant": "ZZ"}
        )
        focal = client.post(
            "/api/v1/peers",
            json={"url": "http://x", "key": "nope", "participant": "EE"},
            headers={"Authorization": f"Bearer {lv.focal}"},
        )
        peers = client.get("/api/v1/peers").json()
    assert refused.status_code == 422
    assert {e["location"] for e in refused.json()["errors"]} == {"/key", "/url", "/participant"}
    assert focal.status_code == 403
    assert peers == []


class _Skewed:
    """A node clock off by ``by``, which a test may change while the node runs."""

    def __init__(self, by: timedelta) -> None:
        self.by = by

    def now(self) -> datetime:
        return datetime.now(UTC) + self.by


def _skewed_site(url: str, data_dir: Path, code: str, clock: _Skewed, stack: ExitStack) -> Site:
    node = build(_settings(url, data_dir, code), clock=clock)
    for participant, name in PARTICIPANTS:
        node.identity.add_participant(participant, name, "state")
    for user, role in (("admin", "admin"), ("focal", "focal-point"), ("analyst", "analyst")):
        node.identity.add_user(user, role, code)
    return _serve(node, stack)


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=5), timedelta(minutes=-5), timedelta(hours=1), timedelta(hours=-1)]
)
def test_nodes_with_skewed_clocks_still_replicate(
    database_url: str, tmp_path: Path, skew: timedelta
) -> None:
    """Node clocks drift; a replica whose clock is off by minutes or an hour still signs
    requests its peer accepts, and replicates everything."""
    if not database_url.startswith("sqlite"):
        pytest.skip("clock skew is about the nodes, not the database")
    with ExitStack() as stack:
        lv = _site(database_url, tmp_path / "lv", "LV", stack)
        ee_url = database_url.replace("accord.db", "ee.db")
        ee = _skewed_site(ee_url, tmp_path / "ee", "EE", _Skewed(skew), stack)
        _peer(lv, ee, "EE")
        from_lv = _peer(ee, lv, "LV")
        _send(lv, "skewed-1")
        report = _pull(ee, from_lv)
        assert report["error"] == ""
        assert _identifiers(ee, ee.focal) == {"skewed-1"}


def test_a_peer_cosigns_the_checkpoint_it_verified(sites: tuple[Site, Site]) -> None:
    """EE's node, having read and verified LV's log, cosigns LV's checkpoint: LV's
    checkpoint then carries a cosignature/v1 line by EE's key, dated when EE saw the tree,
    which bounds when every record in it existed."""
    lv, ee = sites
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    _send(lv, "witnessed-1")
    before = datetime.now(UTC)
    assert _pull(ee, from_lv)["error"] == ""
    note = httpx.get(f"{lv.server.url}/log/checkpoint").text
    key = notes.parse_verifier_key(ee.key)
    witness = notes.Verifier(key.name, notes.COSIGNATURE_V1, key.public_key)
    verified, findings = check_cosignatures(note, [witness])
    assert verified == [key.name]
    assert findings == []
    (line,) = [
        line for line in notes.signature_lines(note) if notes.line_key_id(line) == witness.key_id
    ]
    seen_at = notes.verify_cosignature(notes.note_text(note), line, witness)
    assert before.timestamp() - 1 <= seen_at <= datetime.now(UTC).timestamp() + 1


def test_one_cap_message_signed_by_two_participants_is_two_statements(
    sites: tuple[Site, Site],
) -> None:
    # The same CAP message issued by LV on its node and by EE on its own: message keys are
    # each author's own (issue 14), so EE's copy neither hides LV's nor is hidden by it.
    lv, ee = sites
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    for site in (lv, ee):
        _send(site, "sent-to-both")
    for n in range(3):
        _send(lv, f"only-lv-{n}")

    report = _pull(ee, from_lv)

    assert report["error"] == ""
    assert report["applied"] == 5  # LV's key registration and its four alerts
    found = httpx.get(
        f"{ee.server.url}/api/v1/alerts",
        headers={"Authorization": f"Bearer {ee.focal}"},
        params={"limit": 200},
    ).json()["items"]
    identifiers = sorted((item["alert"]["identifier"], item["author"]) for item in found)
    assert identifiers == [
        ("only-lv-0", "LV"),
        ("only-lv-1", "LV"),
        ("only-lv-2", "LV"),
        ("sent-to-both", "EE"),
        ("sent-to-both", "LV"),
    ]


def test_a_message_replicated_twice_is_projected_once(sites: tuple[Site, Site]) -> None:
    # Pulling the same history again (or a record already projected) adds nothing.
    lv, ee = sites
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    _send(lv, "once")
    assert _pull(ee, from_lv)["error"] == ""
    assert _pull(ee, from_lv)["error"] == ""
    found = httpx.get(
        f"{ee.server.url}/api/v1/alerts",
        headers={"Authorization": f"Bearer {ee.focal}"},
        params={"limit": 200},
    ).json()["items"]
    assert [item["alert"]["identifier"] for item in found] == ["once"]


def _witnessed(site: Site, record_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{site.server.url}/api/v1/alerts/{record_id}",
        headers={"Authorization": f"Bearer {site.focal}", "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["witnessed"])


def test_a_back_dated_record_shows_against_its_witnesses_on_both_nodes(
    database_url: str, tmp_path: Path
) -> None:
    """LV's node signs a record dated an hour before a tree that EE's node had already
    witnessed without it. LV's own API shows it (EE's cosignature, with the evidence), and
    so does EE's copy (EE saw LV's tree without it at its previous pull)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the clocks are the nodes', not the database's")
    with ExitStack() as stack:
        clock = _Skewed(timedelta(0))
        lv = _skewed_site(database_url, tmp_path / "lv", "LV", clock, stack)
        ee = _site(database_url.replace("accord.db", "ee.db"), tmp_path / "ee", "EE", stack)
        _peer(lv, ee, "EE")
        from_lv = _peer(ee, lv, "LV")
        honest = _send(lv, "on-time")
        assert _pull(ee, from_lv)["error"] == ""  # EE cosigns LV's tree holding "on-time"
        clock.by = timedelta(hours=-1)  # within the skew signed requests tolerate
        late = _send(lv, "back-dated")
        assert _pull(ee, from_lv)["error"] == ""

        on_lv, late_on_lv = _witnessed(lv, honest), _witnessed(lv, late)
        on_ee, late_on_ee = _witnessed(ee, honest), _witnessed(ee, late)
        index = httpx.get(
            f"{lv.server.url}/api/v1/alerts/{late}", headers={"Authorization": f"Bearer {lv.focal}"}
        ).json()["log_index"]
        public = httpx.get(f"{lv.server.url}/log/witnessed", params={"index": index}).json()
        key = notes.parse_verifier_key(ee.key)

    assert on_lv["consistent"], on_lv
    assert on_lv["present"]["by"] == "ee.node"
    assert late_on_lv["consistent"] is False
    assert late_on_lv["finding"].startswith("back-dated")
    assert late_on_lv["absent"]["by"] == "ee.node"
    witness = notes.Verifier(key.name, notes.COSIGNATURE_V1, key.public_key)
    assert check_cosignatures(late_on_lv["absent"]["evidence"], [witness]) == (["ee.node"], [])
    assert public["absent"] == late_on_lv["absent"]
    assert on_ee["consistent"], on_ee
    assert on_ee["absent"] is None  # EE had never seen LV's tree before
    assert late_on_ee["consistent"] is False
    assert late_on_ee["absent"]["by"] == "ee.node"
    assert late_on_ee["absent"]["at"] == on_ee["present"]["at"]


def test_rare_bit_flips_on_the_wire_lose_nothing_and_blame_nobody(
    sites: tuple[Site, Site],
) -> None:
    """A link that flips a rare bit gives answers that parse but are wrong in one entry,
    one body, one leaf hash or one proof hash. None of it may be passed over (the records
    would be lost for good) or taken for misbehaviour of an honest node."""
    lv, ee = sites
    _peer(lv, ee, "EE")
    port = int(lv.server.url.rsplit(":", 1)[1])
    sent = [f"flip-{n}" for n in range(60)]
    with FaultyProxy(("127.0.0.1", port), seed=3) as proxy:
        from_lv = _peer_at(ee, proxy.url, lv.key, "LV")
        proxy.corrupt_rate = 0.0005
        proxy.mode = "corrupt"
        failed = 0
        for identifier in sent:
            _send(lv, identifier)
            failed += bool(_pull(ee, from_lv)["error"])
        proxy.heal()
        proxy.close_connections()
        final = _pull(ee, from_lv)
        assert proxy.stats.bytes_corrupted > 0
    assert failed > 0  # the flips did reach the puller
    assert final["error"] == ""
    assert _identifiers(ee, ee.focal) == set(sent)
    with httpx.Client(
        base_url=ee.server.url, headers={"Authorization": f"Bearer {ee.admin}"}
    ) as client:
        assert client.get("/api/v1/incidents").json() == []
        (status,) = client.get("/api/v1/peers").json()
    assert status["lag_entries"] == 0


def _identifiers_at(site: Site) -> list[str]:
    found = httpx.get(
        f"{site.server.url}/api/v1/alerts",
        headers={"Authorization": f"Bearer {site.focal}"},
        params={"limit": 200, "msgType": ["Alert", "Update", "Cancel"]},
    ).json()["items"]
    return sorted(item["alert"]["identifier"] for item in found)


def test_a_replicated_alert_under_a_sender_registered_here_to_another_is_not_shown(
    sites: tuple[Site, Site],
) -> None:
    # LV's node (in development mode) lets LV use a sender that EE registered on its own
    # node: EE's node keeps LV's signed record but never shows it as Estonia's.
    lv, ee = sites
    ee.node.identity.add_sender("EE", "rescue.ee")
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    impostor = httpx.post(
        f"{lv.server.url}/api/v1/alerts",
        content=alert_xml("AS-EE", sender="info@rescue.ee"),
        headers={**XML, "Authorization": f"Bearer {lv.focal}"},
    )
    assert impostor.status_code == 201, impostor.text
    _send(lv, "LV-OWN")

    assert _pull(ee, from_lv)["error"] == ""

    assert _identifiers_at(ee) == ["LV-OWN"]
    assert _incident_codes(ee) == ["FOREIGN_SENDER"]
    assert ee.node.log_audit.run().is_clean


def test_a_replicated_cancel_of_another_participants_alert_ends_no_thread(
    sites: tuple[Site, Site],
) -> None:
    # A permissive (older or dishonest) LV node signs LV's Cancel of EE's alert; EE's node
    # replicates it but the thread stays EE's to end.
    lv, ee = sites
    from_lv, sent, record_id = _ee_storm_with_peers(lv, ee)
    cancel = alert_xml(
        "LV-CANCEL",
        sender="desk@lv.example",
        sent=sent + timedelta(minutes=5),
        msg_type="Cancel",
        references=f"met@ee.example,EE-STORM,{sent.isoformat()}",
    )
    write_unchecked(lv.node, "LV", cancel)

    assert _pull(ee, from_lv)["error"] == ""

    thread = httpx.get(f"{ee.server.url}/api/v1/alerts/{record_id}").json()["thread"]
    assert thread["state"] == "active"
    assert ee.node.log_audit.run().is_clean


def test_a_peer_signing_as_another_participant_is_refused_and_reported(
    sites: tuple[Site, Site],
) -> None:
    # A hostile LV node makes up a key for EE and signs a Cancel of EE's alert as EE: EE's
    # node takes only LV's records from LV's node, so the forgery ends nothing.
    lv, ee = sites
    from_lv, sent, record_id = _ee_storm_with_peers(lv, ee)
    with lv.node.engine.begin() as connection:
        connection.execute(text("UPDATE participants SET record_seq = 100000 WHERE code = 'EE'"))
    with lv.node.alerts._uow() as uow:
        lv.node.keys.register(uow, "EE")
    cancel = alert_xml(
        "EE-STORM-CANCEL",
        sender="met@ee.example",
        sent=sent + timedelta(minutes=5),
        msg_type="Cancel",
        references=f"met@ee.example,EE-STORM,{sent.isoformat()}",
    )
    write_unchecked(lv.node, "EE", cancel)

    assert _pull(ee, from_lv)["error"] == ""

    thread = httpx.get(f"{ee.server.url}/api/v1/alerts/{record_id}").json()["thread"]
    assert thread["state"] == "active"
    assert "FOREIGN_AUTHOR" in _incident_codes(ee)
    assert ee.node.log_audit.run().is_clean


def _ee_storm_with_peers(lv: Site, ee: Site) -> tuple[int, datetime, str]:
    """LV and EE peered both ways, and EE's storm alert on EE's node: (EE's peer id for
    LV, the alert's sent time, its record id)."""
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    sent = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    posted = httpx.post(
        f"{ee.server.url}/api/v1/alerts",
        content=alert_xml("EE-STORM", sender="met@ee.example", sent=sent),
        headers={**XML, "Authorization": f"Bearer {ee.focal}"},
    )
    assert posted.status_code == 201, posted.text
    return from_lv, sent, str(posted.json()["record_id"])


def test_a_replicated_alert_over_the_input_limits_is_kept_but_never_shown(
    sites: tuple[Site, Site],
) -> None:
    # An origin that skips the limits signs an alert with a 60,000-point polygon: EE's
    # node keeps the record (its peer's log stays whole) but no page of its draws it.
    lv, ee = sites
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    (small,) = read_cap_xml(alert_xml("LV-HUGE", sender="desk@lv.example"))
    body = cap_json.alert_to_json(small.alert)
    ring = [f"{57 + n * 1e-5:.5f},{24 + (n % 2) * 1e-3:.5f}" for n in range(60_000)]
    body["info"][0]["area"][0]["polygon"] = [" ".join([*ring, ring[0]])]
    write_unchecked_json(lv.node, "LV", body)
    _send(lv, "LV-SMALL")

    assert _pull(ee, from_lv)["error"] == ""

    assert _identifiers_at(ee) == ["LV-SMALL"]
    assert _incident_codes(ee) == ["OVER_LIMITS"]
    assert ee.node.log_audit.run().is_clean


def test_removing_a_registration_changes_nothing_already_decided(
    sites: tuple[Site, Site],
) -> None:
    # What was hidden under a registration in force when it arrived stays hidden, live and
    # rebuilt, after the registration is removed and made again: the audit stays clean.
    lv, ee = sites
    ee.node.identity.add_sender("EE", "rescue.ee")
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    impostor = httpx.post(
        f"{lv.server.url}/api/v1/alerts",
        content=alert_xml("AS-EE", sender="info@rescue.ee"),
        headers={**XML, "Authorization": f"Bearer {lv.focal}"},
    )
    assert impostor.status_code == 201, impostor.text
    assert _pull(ee, from_lv)["error"] == ""
    ee.node.identity.remove_sender("rescue.ee")
    assert ee.node.log_audit.run().is_clean
    ee.node.identity.add_sender("EE", "rescue.ee")
    ee.node.alerts.rebuild(lambda _original: ("unsigned", ""))
    assert _identifiers_at(ee) == []
    assert ee.node.log_audit.run().is_clean


def test_a_replicated_record_whose_entry_was_removed_is_named(
    sites: tuple[Site, Site],
) -> None:
    lv, ee = sites
    _peer(lv, ee, "EE")
    from_lv = _peer(ee, lv, "LV")
    record_id = _send(lv, "LV-RED", tlp="RED", audience="EE")
    assert _pull(ee, from_lv)["error"] == ""
    with ee.node.engine.begin() as connection:
        allow_changes(connection)
        connection.execute(
            text("UPDATE records SET tlp = 'CLEAR', entry = NULL WHERE record_id = :r"),
            {"r": record_id},
        )
        forbid_changes(connection, create_function=False)
    assert "ENTRY_MISSING" in [f.code for f in ee.node.log_audit.run().findings]


def _incident_codes(site: Site) -> list[str]:
    incidents = httpx.get(
        f"{site.server.url}/api/v1/incidents", headers={"Authorization": f"Bearer {site.admin}"}
    ).json()
    return [incident["code"] for incident in incidents]
