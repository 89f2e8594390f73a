"""Replication benchmark: one node pulls another's log over loopback HTTP, beside a floor.

    .venv/bin/python benchmarks/federation.py [--records 100000]
    .venv/bin/python benchmarks/federation.py --lag [--rate 100] [--seconds 20]

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
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
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


def _serve(
    settings: Settings, port: int, code: str = "LV", interval: int = 0
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_PORT": str(port),
        "ACCORD_AUTHORS": code,
        "ACCORD_WORKER": "off",
        "ACCORD_FEDERATION_INTERVAL": str(interval),
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


def lag(rate: int, seconds: int) -> None:
    """Replication lag under a sustained load: alerts sent to the origin at ``rate`` per
    second (batches of a tenth of a second), the replica pulling every second, arrival
    timed by a listener on the replica's own stream (replicated alerts reach it as local
    ones do)."""
    with tempfile.TemporaryDirectory() as tmp:
        origin, replica = _node(Path(tmp) / "lv", "LV"), _node(Path(tmp) / "ee", "EE")
        nodes = [build(origin), build(replica)]
        for node in nodes:
            for code, name in PARTICIPANTS:
                node.identity.add_participant(code, name, "state")
        nodes[0].identity.add_user("lv", "focal-point", "LV")
        nodes[1].identity.add_user("ee", "focal-point", "EE")
        sender = nodes[0].identity.issue_token("lv")["token"]
        reader = nodes[1].identity.issue_token("ee")["token"]
        ports = free_port(), free_port()
        keys = [node.log.verifier_key for node in nodes]
        nodes[0].federation.add_peer(_admin(), f"http://127.0.0.1:{ports[1]}", keys[1], "EE")
        nodes[1].federation.add_peer(_admin(), f"http://127.0.0.1:{ports[0]}", keys[0], "LV")
        for node in nodes:
            node.close()
        servers = [_serve(origin, ports[0]), _serve(replica, ports[1], "EE", interval=1)]
        arrived: dict[str, float] = {}
        stop = threading.Event()

        def listen() -> None:
            with (
                contextlib.suppress(httpx.HTTPError),  # the servers stop under it at the end
                httpx.Client(timeout=httpx.Timeout(10, read=None)) as client,
                client.stream(
                    "GET",
                    f"http://127.0.0.1:{ports[1]}/api/v1/stream",
                    headers={"Authorization": f"Bearer {reader}"},
                ) as response,
            ):
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        arrived[json.loads(line[5:])["alert"]["identifier"]] = time.perf_counter()
                    if stop.is_set():
                        return

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1)
        sent: dict[str, float] = {}
        per_batch = max(1, rate // 10)
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{ports[0]}",
                headers={"Authorization": f"Bearer {sender}"},
                timeout=30,
            ) as client:
                started = time.perf_counter()
                for batch in range(seconds * 10):
                    due = started + batch / 10
                    time.sleep(max(0.0, due - time.perf_counter()))
                    ids = [f"lag-{batch}-{k}" for k in range(per_batch)]
                    body = {"items": [{"xml": alert_xml(i).decode()} for i in ids]}
                    now = time.perf_counter()
                    client.post("/api/v1/alerts:batch", json=body).raise_for_status()
                    sent.update(dict.fromkeys(ids, now))
                achieved = len(sent) / (time.perf_counter() - started)
            deadline = time.monotonic() + 30
            while len(arrived) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop.set()
            for server in servers:
                server.terminate()
                server.wait()
    lags = sorted((arrived[i] - sent[i]) * 1000 for i in sent if i in arrived)
    print(
        f"lag at {achieved:.0f} alerts/s for {seconds} s ({len(lags)}/{len(sent)} arrived): "
        f"p50 {lags[len(lags) // 2]:.0f} ms, p99 {lags[int(len(lags) * 0.99)]:.0f} ms, "
        f"max {lags[-1]:.0f} ms (replica pulls every 1 s); target p99 < 2 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--lag", action="store_true", help="Measure lag under load instead.")
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    if args.lag:
        lag(args.rate, args.seconds)
        return
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
