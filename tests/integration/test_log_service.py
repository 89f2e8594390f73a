"""The log's guarantees that need a clock, a witness or an old database to show."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import event, insert, select
from typer.testing import CliRunner

from accord.adapters.sql.engine import make_engine
from accord.adapters.sql.tables import alerts, participants, records
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.identity import Role
from accord.domain.sharing import Reader
from accord.entrypoints.cli.main import app
from accord.errors import ConflictError, InvalidInputError
from accord.ledger import notes
from accord.ledger.audit import EntryAudit, ServedEntry
from accord.ledger.records import body_digest, open_entry, verify_record
from accord.ledger.signing import verify
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region

XML = {"Content-Type": "application/cap+xml"}


class SteppingClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def test_an_idle_log_re_signs_its_checkpoint_once_the_interval_passes(settings: Settings) -> None:
    clock = SteppingClock()
    node = build(settings, clock=clock)
    first = node.log.ensure_checkpoint(max_age_seconds=3600)
    clock.moment += timedelta(minutes=59)
    assert node.log.ensure_checkpoint(max_age_seconds=3600).id == first.id
    clock.moment += timedelta(minutes=2)
    fresh = node.log.ensure_checkpoint(max_age_seconds=3600)
    node.close()
    assert fresh.id != first.id
    assert (fresh.size, fresh.root) == (first.size, first.root)


def test_the_node_never_signs_over_a_checkpoint_it_did_not_extend(settings: Settings) -> None:
    node = build(settings)
    node.identity.add_participant("EE", "Estonia", "state")
    with node.alerts._uow() as uow:  # reaching the repository on purpose
        latest = uow.log.latest_checkpoint()
        assert latest is not None
        with pytest.raises(ConflictError):
            uow.log.save_checkpoint(
                previous_size=latest.size - 1,
                size=latest.size,
                root=latest.root,
                note=latest.note,
                signed_at=latest.signed_at,
            )
    node.close()


def test_witness_cosignatures_are_verified_stored_served_and_audited(
    settings: Settings, tmp_path: Path
) -> None:
    witness_key = Ed25519PrivateKey.generate()
    public = witness_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    witness = notes.format_verifier_key("witness.example", public, notes.COSIGNATURE_V1)
    node = build(replace(settings, witness_keys=witness))
    node.identity.add_participant("EE", "Estonia", "state")
    body = notes.note_text(node.log.checkpoint_note())
    line = notes.cosign(body, "witness.example", witness_key.sign, public, 1_790_000_000)
    assert node.log.add_cosignature(line) is True
    assert node.log.add_cosignature(line) is False
    stranger = Ed25519PrivateKey.generate()
    forged = notes.cosign(body, "witness.example", stranger.sign, public, 1_790_000_000)
    with pytest.raises(InvalidInputError):
        node.log.add_cosignature(forged)
    served = node.log.checkpoint_note()
    assert served.endswith(line + "\n")
    verifier = notes.parse_verifier_key(witness)
    assert notes.verify_cosignature(notes.note_text(served), line, verifier) == 1_790_000_000
    node.close()


@dataclass
class History:
    """A node that re-signed its checkpoint hourly, a witness cosigning every other one."""

    node: Node
    witness: notes.Verifier
    stamps: dict[int, int]  # checkpoint id -> the time its cosignature states


@pytest.fixture
def history(settings: Settings) -> Iterator[History]:
    witness_key = Ed25519PrivateKey.generate()
    public = witness_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    witness = notes.format_verifier_key("witness.example", public, notes.COSIGNATURE_V1)
    clock = SteppingClock()
    node = build(replace(settings, witness_keys=witness), clock=clock)
    node.identity.add_participant("EE", "Estonia", "state")
    stamps: dict[int, int] = {}
    for hour in range(5):
        clock.moment += timedelta(hours=1)
        signed = node.log.ensure_checkpoint(max_age_seconds=60)
        if hour % 2 == 0:
            stamps[signed.id] = 1_790_000_000 + hour
            body = notes.note_text(signed.note)
            line = notes.cosign(
                body, "witness.example", witness_key.sign, public, stamps[signed.id]
            )
            clock.moment += timedelta(minutes=1)
            assert node.log.add_cosignature(line) is True
    yield History(node, notes.parse_verifier_key(witness), stamps)
    node.close()


def test_the_checkpoint_history_pages_every_checkpoint_newest_first_in_two_queries(
    history: History,
) -> None:
    log = history.node.log
    everything = log.checkpoint_history(limit=100)
    statements = _count_statements(history.node.engine)
    pages = [log.checkpoint_history(limit=2)]
    assert len([s for s in statements if "checkpoints" in s or "cosignatures" in s]) == 2
    while pages[-1].next is not None:
        pages.append(log.checkpoint_history(pages[-1].next, 2))
    listed = [c.id for page in pages for c in page.checkpoints]
    assert listed == [c.id for c in everything.checkpoints]
    assert listed == sorted(listed, reverse=True)
    assert len(listed) >= 6
    assert everything.next is None
    assert pages[0].next == listed[1]
    assert [len(page.checkpoints) for page in pages[:-1]] == [2] * (len(pages) - 1)
    assert listed[0] == max(history.stamps)


def test_each_checkpoint_in_the_history_carries_its_note_and_its_cosignatures(
    history: History,
) -> None:
    listed = history.node.log.checkpoint_history(limit=100).checkpoints
    key = notes.parse_verifier_key(history.node.log.verifier_key)
    for checkpoint in listed:
        parsed = notes.Checkpoint.parse(notes.open_note(checkpoint.note, [key]))
        assert (parsed.size, parsed.root_hash) == (checkpoint.size, checkpoint.root)
        assert [c.cosigned_at.timestamp() for c in checkpoint.cosignatures] == (
            [history.stamps[checkpoint.id]] if checkpoint.id in history.stamps else []
        )
    newest = listed[0]
    assert newest.note == history.node.log.checkpoint_note()
    (cosignature,) = newest.cosignatures
    line = notes.signature_lines(newest.note)[-1]
    assert (
        notes.verify_cosignature(notes.note_text(newest.note), line, history.witness)
        == (history.stamps[newest.id])
    )
    assert cosignature.line == line
    assert cosignature.received_at == newest.signed_at + timedelta(minutes=1)
    assert newest.to_json()["cosignatures"] == [
        {
            "witness": "witness.example",
            "key_id": history.witness.key_id.hex(),
            "cosigned_at": "2026-09-21T14:13:24+00:00",
            "received_at": "2026-11-24T14:03:00+00:00",
        }
    ]


def test_the_checkpoint_history_refuses_a_page_size_or_cursor_out_of_range(node: Node) -> None:
    log = node.log
    for limit in (0, 101):
        with pytest.raises(InvalidInputError) as refused:
            log.checkpoint_history(None, limit)
        assert refused.value.problems[0].location == "limit"
    with pytest.raises(InvalidInputError):
        log.checkpoint_history(0)
    assert log.checkpoint_history(1).checkpoints == ()


def _count_statements(engine: object) -> list[str]:
    """Every SQL statement ``engine`` runs from now on, in order."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    return seen


def test_the_auditor_verifies_witnesses_and_reports_an_unreachable_node(
    server: LiveServer, region: Region, tmp_path: Path
) -> None:
    key = server.client().get("/log/key").text.strip()
    result = CliRunner().invoke(app, ["audit", "--node", server.url, "--key", key])
    assert result.exit_code == 0, result.output
    wrong = CliRunner().invoke(app, ["audit", "--node", "http://127.0.0.1:9", "--key", key])
    assert wrong.exit_code == 2
    other = notes.format_verifier_key(
        "test-node",
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )
    forged = CliRunner().invoke(app, ["audit", "--node", server.url, "--key", other])
    assert forged.exit_code == 1
    assert "BAD_CHECKPOINT" in forged.output
    state = tmp_path / "state"
    state.mkdir()
    (state / "checkpoint").write_text("not a signed note\n")
    spoiled = CliRunner().invoke(
        app, ["audit", "--node", server.url, "--key", key, "--state", str(state)]
    )
    assert spoiled.exit_code == 1
    assert "BAD_STATE" in spoiled.output


def test_records_written_before_signing_are_signed_and_logged_by_the_migration(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(database)
    _write_revision_0001_node(engine)
    node = build(Settings(data_dir=tmp_path, database_url=database, node_name="old"))
    with node.engine.connect() as connection:
        row = connection.execute(
            select(records.c.entry, records.c.log_index, records.c.record_id).where(
                records.c.kind == "cap.alert"
            )
        ).one()
        alert_id = connection.execute(select(alerts.c.record_id)).scalar_one()
    assert row.log_index == 0  # logged ahead of the key registration that follows it
    assert alert_id == row.record_id != "aa" * 32
    record = open_entry(row.entry)
    (ee_key,) = [k for k in node.keys.published()["participants"] if k["participant"] == "EE"]
    verify_record(record, verify, base64.b64decode(ee_key["public_key"]))
    assert (record.envelope.seq, record.envelope.kind) == (1, "cap.alert")
    assert record.envelope.body_digest == body_digest({"identifier": "OLD-1"})
    walker = EntryAudit()
    for item in node.log.entries(Reader(Role.ADMIN), 0, None)["entries"]:
        walker.check(
            ServedEntry(
                item["index"],
                base64.b64decode(item["leaf_hash"]),
                base64.b64decode(item["entry"]),
                item["body"],
            )
        )
    assert walker.finish() == []
    node.close()


def _write_revision_0001_node(engine: object) -> None:
    """A database as issue 2's node left it: one participant, one unsigned alert record."""
    from alembic import command

    from accord.adapters.sql.migrate import alembic_config

    with engine.begin() as connection:  # type: ignore[attr-defined]
        config = alembic_config(engine)  # type: ignore[arg-type]
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        now = datetime(2026, 11, 1, tzinfo=UTC)
        connection.execute(
            insert(participants).values(
                id=1, code="EE", name="Estonia", kind="state", record_seq=1, created_at=now
            )
        )
        body = json.dumps({"identifier": "OLD-1"})
        envelope = json.dumps(
            {
                "v": 1,
                "kind": "cap.alert",
                "author": "EE",
                "seq": 1,
                "created_at": now.isoformat(),
                "scope": {"tlp": "CLEAR", "audience": []},
                "body_sha256": body_digest(json.loads(body)),
            }
        )
        connection.execute(
            insert(records).values(
                position=1,
                record_id="aa" * 32,
                kind="cap.alert",
                author_id=1,
                author_seq=1,
                created_at=now,
                received_at=now,
                tlp="CLEAR",
                audience=[],
                envelope=envelope,
                content_type="application/cap+xml",
                original=alert_xml("OLD-1"),
                body=body,
            )
        )
        connection.execute(
            insert(alerts).values(
                position=1,
                record_id="aa" * 32,
                sender="s",
                identifier="OLD-1",
                sent="2026-11-01T00:00:00+00:00",
                sent_at=now,
                status="Actual",
                msg_type="Alert",
                cap_scope="Public",
                tlp="CLEAR",
                audience_codes="",
                author_code="EE",
                thread_id=1,
                received_at=now,
                signature_status="unsigned",
                signature_detail="",
                content_digest="00" * 32,
            )
        )
