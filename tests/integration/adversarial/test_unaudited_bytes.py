"""What readers receive as "the record" is covered by the signed log: a changed original
byte is never served and the audit names it; a changed projection (scope, author, thread)
is named by the self-audit and repaired by a rebuild (issue 14, class 3)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from accord.adapters.sql.append_only import allow_changes, forbid_changes
from accord.bootstrap import Node
from accord.ledger import audit as checks
from accord.ledger.records import open_entry
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region

XML = {"Content-Type": "application/cap+xml"}


def _issue(server: LiveServer, region: Region, identifier: str, **params: str) -> str:
    scope = "Public" if params.get("tlp", "CLEAR") == "CLEAR" else "Restricted"
    response = httpx.post(
        f"{server.url}/api/v1/alerts",
        content=alert_xml(identifier, scope=scope, severity="Extreme", headline="Real"),
        headers={**XML, "Authorization": f"Bearer {region.tokens['EE:focal-point']}"},
        params=params,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def _tamper(node: Node, statement: str, **params: object) -> None:
    with node.engine.begin() as connection:
        allow_changes(connection)
        connection.execute(text(statement), params)
        forbid_changes(connection, create_function=False)


def _codes(node: Node) -> list[str]:
    return [finding.code for finding in node.log_audit.run().findings]


def test_new_records_sign_the_bytes_they_were_received_as(
    node: Node, server: LiveServer, region: Region
) -> None:
    record_id = _issue(server, region, "SIGNED-BYTES")
    entries = httpx.get(f"{server.url}/log/entries", params={"start": 0}).json()["entries"]
    (served,) = [e for e in entries if e.get("record_id") == record_id]
    record = open_entry(base64.b64decode(served["entry"]))
    assert record.envelope.version == 3
    assert record.envelope.original_digest is not None  # the XML as sent, not the JSON body
    assert "original" in served


def test_an_original_rewritten_in_the_database_is_never_served_and_the_audit_names_it(
    node: Node, server: LiveServer, region: Region
) -> None:
    record_id = _issue(server, region, "REWRITTEN")
    stored = httpx.get(
        f"{server.url}/api/v1/alerts/{record_id}", headers={"Accept": "application/cap+xml"}
    ).content
    assert b"Extreme" in stored
    forged = stored.replace(b"Extreme", b"Minor").replace(b"Real", b"Nothing to see")
    _tamper(node, "UPDATE records SET original = :o WHERE record_id = :r", o=forged, r=record_id)

    served = httpx.get(
        f"{server.url}/api/v1/alerts/{record_id}", headers={"Accept": "application/cap+xml"}
    ).content
    assert b"Extreme" in served  # rendered from the signed body
    assert b"Minor" not in served
    assert "ORIGINAL_ALTERED" in _codes(node)
    # An auditor outside reads the same entries and names it too.
    walker = checks.EntryAudit()
    for item in httpx.get(f"{server.url}/log/entries", params={"start": 0}).json()["entries"]:
        entry = base64.b64decode(item["entry"])
        original = base64.b64decode(item["original"]) if "original" in item else None
        leaf = base64.b64decode(item["leaf_hash"])
        walker.check(checks.ServedEntry(item["index"], leaf, entry, item["body"], original))
    assert "ORIGINAL_ALTERED" in [finding.code for finding in walker.finish()]


def test_a_scope_loosened_in_the_projection_is_named_and_a_rebuild_repairs_it(
    node: Node, server: LiveServer, region: Region
) -> None:
    record_id = _issue(server, region, "AMBER-ONE", tlp="AMBER")
    _tamper(node, "UPDATE alerts SET tlp = 'CLEAR' WHERE record_id = :r", r=record_id)
    assert "PROJECTION_SCOPE" in _codes(node)

    node.alerts.rebuild(lambda _original: ("unsigned", ""))

    assert httpx.get(f"{server.url}/api/v1/alerts/{record_id}").status_code == 404
    assert node.log_audit.run().is_clean


def test_a_scope_column_of_a_record_changed_is_named_and_a_rebuild_reads_the_signed_one(
    node: Node, server: LiveServer, region: Region
) -> None:
    record_id = _issue(server, region, "AMBER-TWO", tlp="AMBER")
    _tamper(node, "UPDATE records SET tlp = 'CLEAR' WHERE record_id = :r", r=record_id)
    _tamper(node, "UPDATE alerts SET tlp = 'CLEAR' WHERE record_id = :r", r=record_id)
    assert {"RECORD_SCOPE", "PROJECTION_SCOPE"} <= set(_codes(node))
    node.alerts.rebuild(lambda _original: ("unsigned", ""))
    assert httpx.get(f"{server.url}/api/v1/alerts/{record_id}").status_code == 404


def test_an_author_or_thread_changed_in_the_projection_is_named(
    node: Node, server: LiveServer, region: Region
) -> None:
    first = _issue(server, region, "FIRST")
    second = _issue(server, region, "SECOND")
    _tamper(node, "UPDATE alerts SET author_code = 'LV' WHERE record_id = :r", r=first)
    _tamper(
        node,
        "UPDATE alerts SET thread_id = (SELECT position FROM alerts WHERE record_id = :f) "
        "WHERE record_id = :s",
        f=first,
        s=second,
    )
    codes = _codes(node)
    assert "PROJECTION_AUTHOR" in codes
    assert "PROJECTION_THREAD" in codes
    node.alerts.rebuild(lambda _original: ("unsigned", ""))
    assert node.log_audit.run().is_clean


def test_a_message_type_status_or_expiry_changed_in_the_projection_is_named(
    node: Node, server: LiveServer, region: Region
) -> None:
    first = _issue(server, region, "TYPE")
    second = _issue(server, region, "STATUS")
    _tamper(node, "UPDATE alerts SET msg_type = 'Cancel' WHERE record_id = :r", r=first)
    _tamper(
        node,
        "UPDATE alerts SET status = 'Exercise', expires_at = :t WHERE record_id = :r",
        t=datetime(2000, 1, 1, tzinfo=UTC),
        r=second,
    )
    codes = _codes(node)
    assert codes.count("PROJECTION_MESSAGE") == 2
    node.alerts.rebuild(lambda _original: ("unsigned", ""))
    assert node.log_audit.run().is_clean


def test_a_scope_column_of_any_record_kind_is_checked(
    node: Node, server: LiveServer, region: Region
) -> None:
    _issue(server, region, "ANY-KIND")
    _tamper(
        node,
        "UPDATE records SET tlp = 'CLEAR' WHERE kind = 'key.registration' AND tlp <> 'CLEAR'",
    )
    _tamper(node, "UPDATE records SET tlp = 'RED' WHERE kind = 'key.registration'")
    assert "RECORD_SCOPE" in _codes(node)
    node.alerts.rebuild(lambda _original: ("unsigned", ""))
    assert node.log_audit.run().is_clean
