"""Replication benchmark: one node pulls another's log over loopback HTTP, beside a floor.

    .venv/bin/python benchmarks/federation.py [--records 100000]

The origin (writing for LV) is seeded in-process with CAP alerts in batches of 1,000, then
served by a real `accord serve` process. The replica (writing for EE) pins it and pulls
everything LV may show EE: signed requests, checkpoint and consistency checks, every page
proved to be in the signed tree, every entry's signature verified, records stored and the
alerts projected and routed. Floor, same entries, no HTTP: parse each entry, verify its
Ed25519 signature, hash its leaf, and insert the records in batches into SQLite.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from accord.adapters.cap_xml import read_cap_xml
from accord.bootstrap import build
from accord.config import Settings
from accord.domain.identity import Role
from accord.ledger import merkle
from accord.ledger.records import open_entry, verify_record
from accord.ledger.signing import verify
from accord.services.alerts import IncomingAlert
from accord.services.ports import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the hand-written CAP samples
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port

PARTICIPANTS = (("EE", "Estonia"), ("LV", "Latvia"))


def _node(data_dir: Path, code: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        node_name=f"{code.lower()}.bench",
        authors=code,
        worker="off",
        federation_interval=0,
    )


def _seed_origin(settings: Settings, records: int) -> None:
    node = build(settings)
    for code, name in PARTICIPANTS:
        node.identity.add_participant(code, name, "state")
    node.identity.add_user("lv", "focal-point", "LV")
    account = node.identity.authenticate(node.identity.issue_token("lv")["token"])
    for start in range(0, records, 1000):
        items = []
        for n in range(start, min(start + 1000, records)):
            (document,) = read_cap_xml(alert_xml(f"rep-{n}"))
            items.append(IncomingAlert(document.alert, document.xml, "application/cap+xml"))
        node.alerts.issue(account, items, tlp=[None] * len(items), audience=[None] * len(items))
    node.close()


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_PORT": str(port),
        "ACCORD_AUTHORS": "LV",
        "ACCORD_WORKER": "off",
        "ACCORD_FEDERATION_INTERVAL": "0",
        "ACCORD_NODE_NAME": settings.node_name,
        "ACCORD_CONFIG": str(settings.data_dir / "none.toml"),
    }
    accord = Path(sys.executable).with_name("accord")
    process = subprocess.Popen(
        [str(accord), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the origin did not start")


def _floor(origin_db: Path) -> float:
    """Parse + verify + leaf hash + batched insert of the origin's entries, no HTTP."""
    with sqlite3.connect(origin_db) as source:
        rows = source.execute(
            "SELECT entry, body FROM records WHERE entry IS NOT NULL ORDER BY log_index"
        ).fetchall()
    keys: dict[str, bytes] = {}
    target = sqlite3.connect(":memory:")
    target.execute("CREATE TABLE r (id TEXT PRIMARY KEY, entry BLOB, body TEXT, leaf BLOB)")
    started = time.perf_counter()
    batch = []
    for entry, body in rows:
        record = open_entry(entry)
        if record.envelope.kind == "key.registration":
            keys[record.envelope.author] = base64.b64decode(json.loads(body)["public_key"])
        verify_record(record, verify, keys[record.envelope.author])
        batch.append((record.record_id, entry, body, merkle.leaf_hash(entry)))
        if len(batch) == 500:
            target.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", batch)
            target.commit()
            batch = []
    target.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", batch)
    target.commit()
    return len(rows) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        origin = _node(Path(tmp) / "lv", "LV")
        started = time.perf_counter()
        _seed_origin(origin, args.records)
        print(
            f"seeded {args.records:,} alerts on the origin in {time.perf_counter() - started:.0f} s"
        )
        port = free_port()
        server = _serve(origin, port)
        try:
            replica = build(_node(Path(tmp) / "ee", "EE"))
            for code, name in PARTICIPANTS:
                replica.identity.add_participant(code, name, "state")
            replica_key = replica.log.verifier_key
            origin_node = build(origin, migrate_schema=False)
            origin_node.federation.add_peer(_admin(), "http://127.0.0.1:1", replica_key, "EE")
            origin_node.close()
            key = httpx.get(f"http://127.0.0.1:{port}/log/key").text.strip()
            peer = replica.federation.add_peer(_admin(), f"http://127.0.0.1:{port}", key, "LV")
            started = time.perf_counter()
            report = replica.federation.pull(int(peer["id"]))
            elapsed = time.perf_counter() - started
            replica.close()
        finally:
            server.terminate()
            server.wait()
        floor = _floor(origin.data_dir / "accord.db")
    rate = report.applied / elapsed
    print(f"replicated {report.applied:,} records in {elapsed:.1f} s: {rate:,.0f} records/s")
    print(f"floor (parse + Ed25519 verify + SHA-256 + batched insert): {floor:,.0f} records/s")
    print(f"ratio {rate / floor:.2f}x the floor; target >= 5,000 records/s")
    if report.error or report.findings:
        print(f"(the pull reported: {report.error} {report.findings})")


def _admin() -> Account:
    return Account(0, "bench", Role.ADMIN, None)


if __name__ == "__main__":
    main()
