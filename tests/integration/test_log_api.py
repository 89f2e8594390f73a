"""The signed log over HTTP: receipts carry log indexes, checkpoints verify, proofs verify."""

from __future__ import annotations

import base64
import json

from typer.testing import CliRunner

from accord.adapters.cap_xml import check_signature
from accord.bootstrap import Node
from accord.ledger import merkle, notes
from accord.ledger.records import open_entry
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region

XML = {"Content-Type": "application/cap+xml"}
runner = CliRunner()


def _send(server: LiveServer, token: str, count: int, prefix: str = "L") -> list[dict[str, object]]:
    with server.client(token) as client:
        return [
            client.post("/api/v1/alerts", content=alert_xml(f"{prefix}-{n}"), headers=XML).json()
            for n in range(count)
        ]


def test_receipts_carry_dense_log_indexes_and_a_checkpoint_covers_them(
    server: LiveServer, region: Region
) -> None:
    receipts = _send(server, region.tokens["EE:focal-point"], 3)
    with server.client() as anonymous:
        key = anonymous.get("/log/key").text.strip()
        note = anonymous.get("/log/checkpoint").text
    indexes = [r["log_index"] for r in receipts]
    assert indexes == list(range(indexes[0], indexes[0] + 3))
    checkpoint = notes.Checkpoint.parse(notes.open_note(note, [notes.parse_verifier_key(key)]))
    assert checkpoint.size == indexes[-1] + 1


def test_every_entry_has_a_verifying_inclusion_proof_and_sizes_are_consistent(
    server: LiveServer, region: Region
) -> None:
    _send(server, region.tokens["EE:focal-point"], 2, "A")
    with server.client() as anonymous:
        first = notes.Checkpoint.parse(notes.note_text(anonymous.get("/log/checkpoint").text))
    _send(server, region.tokens["LV:focal-point"], 3, "B")
    with server.client() as anonymous:
        second = notes.Checkpoint.parse(notes.note_text(anonymous.get("/log/checkpoint").text))
        entries = anonymous.get("/log/entries").json()["entries"]
        for item in entries:
            proof = anonymous.get("/log/proof/inclusion", params={"index": item["index"]}).json()
            merkle.verify_inclusion(
                base64.b64decode(item["leaf_hash"]),
                item["index"],
                second.size,
                [base64.b64decode(h) for h in proof["proof"]],
                second.root_hash,
            )
        consistency = anonymous.get(
            "/log/proof/consistency", params={"from": first.size, "to": second.size}
        ).json()
    merkle.verify_consistency(
        first.size,
        second.size,
        first.root_hash,
        second.root_hash,
        [base64.b64decode(h) for h in consistency["proof"]],
    )
    assert len(entries) == second.size


def test_entries_outside_the_readers_scope_show_only_their_leaf_hash(
    server: LiveServer, region: Region
) -> None:
    with server.client(region.tokens["EE:focal-point"]) as client:
        secret = client.post(
            "/api/v1/alerts", content=alert_xml("RED-1"), headers=XML, params={"tlp": "RED"}
        ).json()
    index = secret["log_index"]
    params = {"start": index, "end": index + 1}
    with server.client() as anonymous:
        (hidden,) = anonymous.get("/log/entries", params=params).json()["entries"]
    with server.client(region.tokens["EE:analyst"]) as analyst:
        (shown,) = analyst.get("/log/entries", params=params).json()["entries"]
    assert set(hidden) == {"index", "leaf_hash"}
    entry = base64.b64decode(shown["entry"])
    assert merkle.leaf_hash(entry) == base64.b64decode(shown["leaf_hash"])
    assert open_entry(entry).envelope.scope["tlp"] == "RED"
    assert "RED-1" in shown["body"]


def test_participant_keys_are_registered_and_rotated_as_signed_records(
    node: Node, region: Region
) -> None:
    before = node.keys.published()
    rotated = node.keys.rotate("EE")
    after = node.keys.published()
    ee_keys = [k for k in after["participants"] if k["participant"] == "EE"]
    assert len(ee_keys) == 2
    assert ee_keys[0]["retired_at"] is not None
    assert ee_keys[1]["key_id"] == rotated["key_id"]
    assert len(after["participants"]) == len(before["participants"]) + 1
    entries = node.log.entries(
        _admin(node, region), rotated["log_index"], rotated["log_index"] + 1
    )["entries"]
    record = open_entry(base64.b64decode(entries[0]["entry"]))
    assert record.envelope.kind == "key.rotation"
    assert record.envelope.key_id == rotated["previous_key_id"]


def test_rebuild_recomputes_projections_and_the_api_answers_the_same(
    server: LiveServer, region: Region, node: Node, tmp_path: object
) -> None:
    _send(server, region.tokens["EE:focal-point"], 3, "RB")
    with server.client(region.tokens["admin"]) as admin:
        before = admin.get("/api/v1/alerts", params={"status": ["Actual", "Exercise"]}).json()
    node.alerts.rebuild(_signature_of)
    with server.client(region.tokens["admin"]) as admin:
        after = admin.get("/api/v1/alerts", params={"status": ["Actual", "Exercise"]}).json()
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


def _signature_of(original: bytes) -> tuple[str, str]:
    result = check_signature(original)
    return result.status, result.detail


def _admin(node: Node, region: Region) -> object:
    return node.identity.authenticate(region.tokens["admin"]).reader
