"""What the issue-14 checks cost, each beside its floor, in one process on SQLite.

    .venv/bin/python benchmarks/trust.py [--alerts 20000]

A node gets ``--alerts`` messages from three states in threads (an Alert, then Updates,
Acks and Cancels by turns, TLP CLEAR to RED), issued through ``AlertService.issue`` in
batches of 500. Then:

- **threads folded per reader**: ``AlertService.search`` of 200 alerts as a focal point
  (each thread folded from the messages that reader may read) beside the same search with
  the fold's input read but not folded (the floor: the rows a page needs anyway);
- **the projection check** of the self-audit (replaying every alert record with the live
  rules, and every record's scope columns) beside the entry walk the audit already did
  (read and check every entry), and beside reading the records alone;
- **served originals**: ``signed_original`` for every stored original beside SHA-256 of the
  same bytes (the floor it cannot go under).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sqlalchemy import select
from tests.integration.cap_samples import BASE_TIME, alert_xml, cap_time

from accord.adapters.cap_xml import read_cap_xml
from accord.adapters.sql.tables import records
from accord.bootstrap import build
from accord.config import Settings
from accord.ledger.canonical import sha256_hex
from accord.ledger.records import signed_original
from accord.services.alert_projection_audit import check_alert_projection, check_record_scopes
from accord.services.alerts import IncomingAlert
from accord.services.ports import AlertQuery

STATES = ("EE", "LV", "LT")
TLPS = ("CLEAR", "GREEN", "AMBER", "RED")


def _seed(node: object, count: int) -> None:
    build_node = node
    identity = build_node.identity  # type: ignore[attr-defined]
    accounts = {}
    for code in STATES:
        identity.add_participant(code, code, "state")
        identity.add_user(f"{code.lower()}-focal", "focal-point", code)
        token = identity.issue_token(f"{code.lower()}-focal")["token"]
        accounts[code] = identity.authenticate(token)
    pending: dict[str, list[tuple[IncomingAlert, str]]] = {code: [] for code in STATES}
    for n in range(count):
        author = STATES[n % 3]
        sender = f"desk@{author.lower()}.example"
        thread, step = divmod(n // 3, 4)
        sent = BASE_TIME + timedelta(minutes=thread * 10 + step)
        root = f"{sender},T{thread}-{author},{cap_time(BASE_TIME + timedelta(minutes=thread * 10))}"
        msg_type = ("Alert", "Update", "Update", "Cancel")[step]
        tlp = TLPS[thread % 4]
        scope = "Public" if tlp == "CLEAR" else "Restricted"
        identifier = f"T{thread}-{author}" if step == 0 else f"T{thread}-{author}-{step}"
        document = alert_xml(
            identifier,
            sender=sender,
            sent=sent,
            msg_type=msg_type,
            scope=scope,
            references=None if step == 0 else root,
        )
        (parsed,) = read_cap_xml(document)
        pending[author].append(
            (IncomingAlert(parsed.alert, parsed.xml, "application/cap+xml"), tlp)
        )
    for code, items in pending.items():
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            build_node.alerts.issue(  # type: ignore[attr-defined]
                accounts[code],
                [item for item, _ in chunk],
                tlp=[tlp for _, tlp in chunk],
                audience=[None] * len(chunk),
            )


def _median(run: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder), database_url=f"sqlite:///{folder}/accord.db", node_name="b"
        )
        node = build(settings)
        try:
            began = time.perf_counter()
            _seed(node, args.alerts)
            print(f"seeded {args.alerts} messages in {time.perf_counter() - began:.1f} s")
            _report(node)
        finally:
            node.close()


def _report(node: object) -> None:
    alerts = node.alerts  # type: ignore[attr-defined]
    reader = node.identity.authenticate(  # type: ignore[attr-defined]
        node.identity.issue_token("ee-focal")["token"]  # type: ignore[attr-defined]
    ).reader
    query = AlertQuery(limit=200, msg_types=(), statuses=("Actual",))

    def rows_only() -> object:
        with alerts._uow(readonly=True) as uow:
            return uow.alerts.search(reader, query)

    folded = _median(lambda: alerts.search(reader, query), 30)
    floor = _median(rows_only, 30)
    print(f"search 200 with threads folded: {folded * 1e3:.1f} ms")
    print(f"  floor, the rows alone:          {floor * 1e3:.1f} ms   ratio {folded / floor:.2f}x")

    def projection() -> object:
        with alerts._uow(readonly=True) as uow:
            return check_record_scopes(uow) + check_alert_projection(uow)

    def records_only() -> object:
        with alerts._uow(readonly=True) as uow:
            return sum(1 for _ in uow.records.of_kind("cap.alert"))

    checked = _median(projection, 3)
    read = _median(records_only, 3)
    walk = _median(lambda: node.log_audit.run(), 1)  # type: ignore[attr-defined]
    print(f"projection check:                 {checked:.2f} s")
    print(f"  floor, reading the records:     {read:.2f} s   ratio {checked / read:.2f}x")
    print(f"  the whole self-audit with it:   {walk:.2f} s")

    with node.engine.connect() as connection:  # type: ignore[attr-defined]
        found = connection.execute(select(records.c.entry, records.c.original))
        pairs = [(bytes(row[0]), bytes(row[1])) for row in found]
    signed = _median(lambda: [signed_original(e, o) for e, o in pairs], 5)
    hashed = _median(lambda: [sha256_hex(o) for _e, o in pairs], 5)
    print(f"signed_original x{len(pairs)}:         {signed * 1e3:.1f} ms")
    print(
        f"  floor, SHA-256 of the originals: {hashed * 1e3:.1f} ms   ratio {signed / hashed:.2f}x"
    )


if __name__ == "__main__":
    main()
