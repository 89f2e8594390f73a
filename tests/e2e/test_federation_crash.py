"""A replica killed with SIGKILL again and again while it pulls a large log: after the last
restart it holds every record exactly once, its alerts projected once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from accord.adapters.cap_xml import read_cap_xml
from accord.bootstrap import build
from accord.config import Settings
from accord.domain.identity import Role
from accord.services.alerts import IncomingAlert
from accord.services.ports import Account
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.processes import start_accord

pytestmark = pytest.mark.slow
ALERTS = 8_000
KILLS = 6
OPERATOR = Account(0, "test", Role.ADMIN, None)


def _settings(data_dir: Path, code: str, port: int) -> Settings:
    return Settings(
        data_dir=data_dir, port=port, node_name=f"{code.lower()}.crash", authors=code, worker="off"
    )


def _start(settings: Settings, code: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_PORT": str(settings.port),
        "ACCORD_NODE_NAME": settings.node_name,
        "ACCORD_AUTHORS": code,
        "ACCORD_WORKER": "off",
        "ACCORD_FEDERATION_INTERVAL": "1",
        "ACCORD_CONFIG": str(settings.data_dir / "none.toml"),
    }
    return start_accord(["serve"], env, f"http://127.0.0.1:{settings.port}")


def _counts(database: Path) -> tuple[int, int, int]:
    with sqlite3.connect(database) as db:
        replicated = db.execute("SELECT count(*) FROM replicated").fetchone()[0]
        distinct = db.execute("SELECT count(DISTINCT origin_index) FROM replicated").fetchone()[0]
        alerts = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    return replicated, distinct, alerts


def test_a_replica_killed_mid_pull_ends_with_every_record_once(tmp_path: Path) -> None:
    lv = _settings(tmp_path / "lv", "LV", free_port())
    ee = _settings(tmp_path / "ee", "EE", free_port())
    origin = build(lv)
    replica = build(ee)
    for node in (origin, replica):
        for code, name in (("EE", "Estonia"), ("LV", "Latvia")):
            node.identity.add_participant(code, name, "state")
    origin.identity.add_user("lv", "focal-point", "LV")
    sender = origin.identity.authenticate(origin.identity.issue_token("lv")["token"])
    for start in range(0, ALERTS, 1000):
        items = []
        for n in range(start, start + 1000):
            (document,) = read_cap_xml(alert_xml(f"bulk-{n}"))
            items.append(IncomingAlert(document.alert, document.xml, "application/cap+xml"))
        origin.alerts.issue(sender, items, tlp=[None] * 1000, audience=[None] * 1000)
    origin.federation.add_peer(
        OPERATOR, f"http://127.0.0.1:{ee.port}", replica.log.verifier_key, "EE"
    )
    replica.federation.add_peer(
        OPERATOR, f"http://127.0.0.1:{lv.port}", origin.log.verifier_key, "LV"
    )
    origin.close()
    replica.close()
    servers = [_start(lv, "LV"), _start(ee, "EE")]
    try:
        rng = random.Random(9)
        at_kill = []
        for _ in range(KILLS):
            deadline = time.monotonic() + 10  # let it apply something first
            while _counts(ee.data_dir / "accord.db")[2] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.05, 0.4))
            at_kill.append(_counts(ee.data_dir / "accord.db")[2])
            servers[1].send_signal(signal.SIGKILL)
            servers[1].wait()
            servers[1] = _start(ee, "EE")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _counts(ee.data_dir / "accord.db")[2] < ALERTS:
            time.sleep(0.5)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    assert any(0 < count < ALERTS for count in at_kill), at_kill  # killed mid-replication
    replicated, distinct, alerts = _counts(ee.data_dir / "accord.db")
    assert alerts == ALERTS
    assert replicated == distinct == ALERTS + 1  # and LV's key registration
