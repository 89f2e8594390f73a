"""The node's audit of its own log, on both engines: clean on a clean log, and naming what
was done to its storage behind its back — a body changed, a row deleted, rows swapped, a
cosignature forged, the log replaced by another history signed with the same key. Also
``accord self-audit`` and the audit the server runs when it starts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text
from typer.testing import CliRunner

from accord.adapters.cap_xml import read_cap_xml
from accord.adapters.sql.append_only import allow_changes, forbid_changes
from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.entrypoints.cli.main import app
from accord.ledger import notes
from accord.services import log_audit
from accord.services.alerts import IncomingAlert
from accord.services.log_audit import AuditInterrupted
from accord.services.ports import LogAudit
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import postgres_schema, serving

runner = CliRunner()
NAMED = {"ACCORD_NODE_NAME": "test-node"}  # as the settings fixture names the node


def _seed(node: Node, identifiers: list[str], tlp: str | None = None) -> None:
    """EE (with a focal point) and an alert from EE for each identifier."""
    if "EE" not in {p["code"] for p in node.identity.list_participants()}:
        node.identity.add_participant("EE", "Estonia", "state")
        node.identity.add_user("ee-focal", "focal-point", "EE")
    account = node.identity.authenticate(node.identity.issue_token("ee-focal")["token"])
    items = []
    for identifier in identifiers:
        (document,) = read_cap_xml(alert_xml(identifier))
        items.append(IncomingAlert(document.alert, document.xml, "application/cap+xml"))
    count = len(items)
    node.alerts.issue(account, items, tlp=[tlp] * count, audience=[None] * count)


def _tamper(node: Node, *statements: str) -> None:
    """Change the records behind the node's back, as an admin of its database could (the
    append-only triggers lifted and put back in the same transaction)."""
    with node.engine.begin() as connection:
        allow_changes(connection)
        for statement in statements:
            connection.execute(text(statement))
        forbid_changes(connection, create_function=False)


def _codes(audit: LogAudit) -> list[str]:
    return [finding.code for finding in audit.findings]


@pytest.fixture
def seeded(node: Node) -> Node:
    _seed(node, [f"A-{n}" for n in range(12)])
    _seed(node, ["SECRET-1"], tlp="RED")  # read in full too: the audit reads as an admin
    return node


def test_a_clean_log_audits_clean_and_every_entry_is_read_in_full(seeded: Node) -> None:
    first = seeded.log_audit.run()
    size = seeded.log.ensure_checkpoint().size
    assert first.findings == ()
    assert first.is_clean
    assert (first.checkpoint_size, first.entries_checked) == (size, size)
    assert first.checkpoint_note == seeded.log.checkpoint_note()
    assert first.started_at <= first.finished_at
    _seed(seeded, ["A-later"])
    second = seeded.log_audit.run()  # consistent with the first audit's checkpoint
    assert second.is_clean
    assert second.checkpoint_size == size + 1
    assert [audit.id for audit in seeded.log_audit.recent()] == [second.id, first.id]


def test_a_body_changed_in_the_database_is_caught(seeded: Node) -> None:
    assert seeded.log_audit.run().is_clean
    _tamper(seeded, "UPDATE records SET body = replace(body, 'Storm', 'Calm') WHERE log_index = 5")
    audit = seeded.log_audit.run()
    assert _codes(audit) == ["BODY_ALTERED"]
    assert audit.findings[0].message.startswith("entry 5:")
    assert audit.entries_with_findings == 1
    assert seeded.log_audit.recent()[0] == audit


def test_every_finding_is_counted_but_only_the_first_are_kept(
    seeded: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_audit, "KEPT_FINDINGS", 2)
    _tamper(seeded, "UPDATE records SET body = replace(body, 'Storm', 'Calm')")
    audit = seeded.log_audit.run()
    assert (audit.finding_count, audit.entries_with_findings) == (13, 13)
    assert _codes(audit) == ["BODY_ALTERED", "BODY_ALTERED"]
    assert not audit.is_clean
    assert seeded.log_audit.recent() == [audit]


def test_a_deleted_row_is_caught(seeded: Node) -> None:
    with seeded.engine.connect() as connection:
        position = connection.execute(
            text("SELECT position FROM records WHERE log_index = 7")
        ).scalar_one()
    _tamper(
        seeded,
        *(
            f"DELETE FROM {table} WHERE position = {position}"
            for table in ("alert_categories", "alert_infos", "alerts", "records")
        ),
    )
    audit = seeded.log_audit.run()
    assert _codes(audit) == ["MISSING_ENTRIES", "SEQUENCE_GAP"]  # EE's next record too
    assert audit.findings[0].message == "entry 7 is missing from the stored records"
    assert audit.findings[1].message.startswith("entry 8: EE jumps from")
    assert audit.entries_with_findings == 2
    assert audit.entries_checked == audit.checkpoint_size - 1


def test_rows_swapped_in_the_log_are_caught(seeded: Node) -> None:
    _tamper(
        seeded,
        "UPDATE records SET log_index = -1 WHERE log_index = 3",
        "UPDATE records SET log_index = 3 WHERE log_index = 4",
        "UPDATE records SET log_index = 4 WHERE log_index = -1",
    )
    audit = seeded.log_audit.run()
    # and EE's sequence then seems to jump past the two entries that could not be opened
    assert _codes(audit) == ["LEAF_MISMATCH", "LEAF_MISMATCH", "SEQUENCE_GAP"]
    assert audit.entries_with_findings == 3


def test_a_forged_witness_cosignature_is_caught(settings: Settings) -> None:
    witness_key = Ed25519PrivateKey.generate()
    public = witness_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    witness = notes.format_verifier_key("witness.example", public, notes.COSIGNATURE_V1)
    node = build(replace(settings, witness_keys=witness))
    try:
        _seed(node, ["W-1"])
        body = notes.note_text(node.log.checkpoint_note())
        line = notes.cosign(body, "witness.example", witness_key.sign, public, 1_790_000_000)
        assert node.log.add_cosignature(line)
        assert node.log_audit.run().is_clean
        stranger = Ed25519PrivateKey.generate()
        forged = notes.cosign(body, "witness.example", stranger.sign, public, 1_790_000_000)
        with node.engine.begin() as connection:
            connection.execute(text("UPDATE cosignatures SET line = :line"), {"line": forged})
        audit = node.log_audit.run()
    finally:
        node.close()
    assert _codes(audit) == ["BAD_COSIGNATURE"]


@contextmanager
def _another_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fork.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.mark.parametrize("extra", [0, 3], ids=["same size", "greater size"])
def test_a_log_replaced_by_another_history_is_caught_through_the_last_audit(
    settings: Settings, tmp_path: Path, extra: int
) -> None:
    """The log's tables replaced by another history signed with the same log key (a fork:
    here a second database sharing the key directory) while the audits stayed."""
    honest = build(settings)
    try:
        _seed(honest, [f"A-{n}" for n in range(5)])
        seen = honest.log_audit.run()
    finally:
        honest.close()
    assert seen.is_clean
    with _another_database(settings.database_url, tmp_path) as url:
        forked = build(replace(settings, database_url=url))
        try:
            _seed(forked, [f"B-{n}" for n in range(5 + extra)])
            with SqlUnitOfWorkFactory(forked.engine)() as uow:
                uow.log_audits.add(seen)
            audit = forked.log_audit.run()
            again = forked.log_audit.run()  # still compared with the last clean audit
        finally:
            forked.close()
    assert _codes(audit) == ["EQUIVOCATION"]
    assert audit.findings[0].evidence == (seen.checkpoint_note, audit.checkpoint_note)
    assert audit.checkpoint_size == seen.checkpoint_size + extra
    assert audit.entries_checked == audit.checkpoint_size  # every entry is sound on its own
    assert _codes(again) == ["EQUIVOCATION"]


def test_an_audit_told_to_stop_stores_nothing(seeded: Node) -> None:
    with pytest.raises(AuditInterrupted):
        seeded.log_audit.run(should_stop=lambda: True)
    assert seeded.log_audit.recent() == []


def test_self_audit_exits_0_on_a_clean_log_and_1_naming_each_problem(
    seeded: Node, settings: Settings
) -> None:
    options = ["--data-dir", str(settings.data_dir), "--database-url", settings.database_url]
    clean = runner.invoke(app, ["self-audit", *options], env=NAMED)
    assert clean.exit_code == 0, clean.output
    assert "14 read in full and verified, 0 with findings" in clean.output
    assert "PROBLEM" not in clean.output
    _tamper(seeded, "UPDATE records SET body = replace(body, 'Storm', 'Calm') WHERE log_index = 9")
    found = runner.invoke(app, ["self-audit", *options], env=NAMED)
    assert found.exit_code == 1, found.output
    assert "PROBLEM BODY_ALTERED: entry 9:" in found.output
    assert [audit.is_clean for audit in seeded.log_audit.recent()] == [False, True]


def _wait_for_audits(node: Node, count: int) -> list[LogAudit]:
    deadline = time.monotonic() + 20
    while len(audits := node.log_audit.recent()) < count:
        assert time.monotonic() < deadline, "the server ran no audit"
        time.sleep(0.05)
    return audits


def test_the_server_audits_the_log_when_it_starts(seeded: Node) -> None:
    with serving(seeded):
        (audit,) = _wait_for_audits(seeded, 1)
    assert audit.is_clean
    assert audit.checkpoint_size == audit.entries_checked == 14


def test_the_server_runs_no_audit_when_the_interval_is_0(settings: Settings) -> None:
    node = build(replace(settings, audit_interval=0))
    try:
        with serving(node) as live, live.client() as client:
            assert client.get("/healthz").status_code == 200
            time.sleep(0.3)
        assert node.log_audit.recent() == []
    finally:
        node.close()
