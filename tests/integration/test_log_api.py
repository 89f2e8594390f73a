"""The signed log over HTTP: receipts carry log indexes, checkpoints verify, proofs verify."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner

from accord.adapters.cap_xml import check_signature
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.errors import ConflictError
from accord.ledger import merkle, notes
from accord.ledger.records import open_entry
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region, serving

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


def test_only_the_node_that_writes_for_a_participant_rotates_its_key(
    tmp_path: Path, database_url: str
) -> None:
    node = build(Settings(data_dir=tmp_path / "ee", database_url=database_url, authors="EE"))
    try:
        for code, name in (("EE", "Estonia"), ("LV", "Latvia")):
            node.identity.add_participant(code, name, "state")
        before = node.keys.published()["participants"]
        with pytest.raises(ConflictError, match="does not write for LV"):
            node.keys.rotate("LV")
        assert node.keys.published()["participants"] == before  # nothing written
        assert node.keys.rotate("EE")["participant"] == "EE"
    finally:
        node.close()


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


def test_the_checkpoint_history_is_public_paged_newest_first_with_cosignatures(
    settings: Settings,
) -> None:
    witness_key = Ed25519PrivateKey.generate()
    public = witness_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    witness = notes.format_verifier_key("witness.example", public, notes.COSIGNATURE_V1)
    node = build(replace(settings, witness_keys=witness))
    with serving(node) as server, server.client() as anonymous:
        for _ in range(4):
            node.log.ensure_checkpoint(max_age_seconds=0)
        newest = anonymous.get("/log/checkpoint").text
        line = notes.cosign(notes.note_text(newest), "witness.example", witness_key.sign, public, 7)
        assert anonymous.post("/log/cosignatures", content=line).json() == {"stored": True}
        served = anonymous.get("/log/checkpoint").text
        pages = [anonymous.get("/log/checkpoints", params={"limit": 2}).json()]
        while pages[-1]["next"] is not None:
            params = {"limit": 2, "before": pages[-1]["next"]}
            pages.append(anonymous.get("/log/checkpoints", params=params).json())
        everything = anonymous.get("/log/checkpoints").json()
    node.close()
    listed = [item for page in pages for item in page["checkpoints"]]
    assert listed == everything["checkpoints"]
    assert len(listed) >= 5
    assert [item["id"] for item in listed] == sorted((item["id"] for item in listed), reverse=True)
    assert pages[0]["next"] == listed[1]["id"]
    first = listed[0]
    assert first["note"] == served
    body = notes.Checkpoint.parse(notes.note_text(served))
    assert (first["size"], first["root_hash"]) == (
        body.size,
        base64.b64encode(body.root_hash).decode(),
    )
    (cosignature,) = first["cosignatures"]
    assert cosignature["witness"] == "witness.example"
    assert cosignature["key_id"] == notes.parse_verifier_key(witness).key_id.hex()
    assert cosignature["cosigned_at"] == "1970-01-01T00:00:07+00:00"
    assert [item["cosignatures"] for item in listed[1:]] == [[]] * (len(listed) - 1)


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"limit": 0}, "/query/limit"),
        ({"limit": 101}, "/query/limit"),
        ({"limit": "ten"}, "/query/limit"),
        ({"before": 0}, "/query/before"),
        ({"before": "newest"}, "/query/before"),
    ],
)
def test_a_bad_checkpoint_history_query_is_a_problem(
    server: LiveServer, params: dict[str, object], location: str
) -> None:
    with server.client() as anonymous:
        response = anonymous.get("/log/checkpoints", params=params)
        schema = anonymous.get("/openapi.json").json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["location"] for error in response.json()["errors"]] == [location]
    operation = schema["paths"]["/log/checkpoints"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"before", "limit"}
