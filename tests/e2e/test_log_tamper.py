"""Tampering with a running node's database, as its own administrator could: the auditor,
holding only the log's verifier key, catches every change and names it.

The node is a real `accord serve` process on SQLite; the tampering is done with a plain
sqlite3 connection behind its back (append-only triggers dropped first, as an admin could).
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from accord.bootstrap import build
from accord.config import Settings
from accord.entrypoints.cli.main import app
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port

pytestmark = pytest.mark.slow
runner = CliRunner()
XML = {"Content-Type": "application/cap+xml"}


@dataclass
class RunningNode:
    url: str
    database: Path
    data_dir: Path
    admin: str
    focal: str
    process: subprocess.Popen[str]

    def send(self, identifiers: list[str], **params: str) -> None:
        with httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.focal}"}, timeout=30
        ) as client:
            for identifier in identifiers:
                response = client.post(
                    "/api/v1/alerts", content=alert_xml(identifier), headers=XML, params=params
                )
                assert response.status_code == 201, response.text

    @property
    def key(self) -> str:
        return httpx.get(f"{self.url}/log/key").text.strip()

    def audit(self, state: Path | None = None, token: str | None = "admin") -> tuple[int, str]:
        args = ["audit", "--node", self.url, "--key", self.key]
        if state is not None:
            args += ["--state", str(state)]
        if token == "admin":
            args += ["--token", self.admin]
        result = runner.invoke(app, args)
        return result.exit_code, result.output


def _start(data_dir: Path) -> subprocess.Popen[str]:
    port = int((data_dir / "port").read_text())
    accord = Path(sys.executable).with_name("accord")
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_PORT": str(port),
        "ACCORD_CONFIG": str(data_dir / "none.toml"),
        "ACCORD_NODE_NAME": "tamper.test",
    }
    process = subprocess.Popen(
        [str(accord), "serve"],
        env=env,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("accord serve did not start")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningNode]:
    data_dir = tmp_path / "node"
    settings = Settings(data_dir=data_dir, node_name="tamper.test")
    node = build(settings)
    node.identity.add_participant("EE", "Estonia", "state")
    node.identity.add_participant("SEC", "Secretariat", "organisation")
    node.identity.add_user("admin", "admin", "SEC")
    node.identity.add_user("ee-focal", "focal-point", "EE")
    admin = node.identity.issue_token("admin")["token"]
    focal = node.identity.issue_token("ee-focal")["token"]
    node.close()
    (data_dir / "port").write_text(str(free_port()))
    process = _start(data_dir)
    port = (data_dir / "port").read_text()
    running = RunningNode(
        f"http://127.0.0.1:{port}", data_dir / "accord.db", data_dir, admin, focal, process
    )
    running.send([f"T-{n}" for n in range(30)])
    running.send(["SECRET-1"], tlp="RED")
    yield running
    running.process.terminate()
    running.process.wait(timeout=20)


def _tamper(database: Path, *statements: str) -> None:
    connection = sqlite3.connect(database)
    try:
        connection.execute("DROP TRIGGER IF EXISTS records_no_update")
        connection.execute("DROP TRIGGER IF EXISTS records_no_delete")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_an_untouched_log_audits_clean_for_the_admin_and_the_public(running: RunningNode) -> None:
    code, output = running.audit()
    assert code == 0, output
    public_code, public_output = running.audit(token=None)
    assert public_code == 0, public_output
    assert "1 outside your scope" in public_output


def test_a_changed_body_is_caught(running: RunningNode) -> None:
    _tamper(
        running.database,
        "UPDATE records SET body = replace(body, 'Storm', 'Calm') WHERE log_index = 10",
    )
    code, output = running.audit()
    assert code == 1
    assert "BODY_ALTERED" in output
    assert "entry 10" in output


def test_a_deleted_row_is_caught(running: RunningNode) -> None:
    _tamper(running.database, "DELETE FROM records WHERE log_index = 12")
    code, output = running.audit()
    assert code == 1
    assert "MISSING_ENTRIES" in output


def test_reordered_rows_are_caught(running: RunningNode) -> None:
    _tamper(
        running.database,
        "UPDATE records SET log_index = -1 WHERE log_index = 5",
        "UPDATE records SET log_index = 5 WHERE log_index = 6",
        "UPDATE records SET log_index = 6 WHERE log_index = -1",
    )
    code, output = running.audit()
    assert code == 1
    assert "LEAF_MISMATCH" in output


def test_an_older_copy_restored_and_extended_differently_is_equivocation(
    running: RunningNode, tmp_path: Path
) -> None:
    state = tmp_path / "auditor"
    snapshot = tmp_path / "snapshot.db"
    with sqlite3.connect(running.database) as live, sqlite3.connect(snapshot) as copy:
        live.backup(copy)
    running.send([f"LATER-{n}" for n in range(5)])
    assert running.audit(state)[0] == 0
    running.process.terminate()
    running.process.wait(timeout=20)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{running.database}{suffix}").unlink(missing_ok=True)
    shutil.copy(snapshot, running.database)
    running.process = _start(running.data_dir)
    running.send([f"OTHER-{n}" for n in range(7)])
    code, output = running.audit(state)
    assert code == 1
    assert "EQUIVOCATION" in output
    assert output.count("--- evidence ---") == 2


def test_two_hundred_random_byte_mutations_are_each_caught(running: RunningNode) -> None:
    rng = random.Random(162)
    connection = sqlite3.connect(running.database)
    targets = _mutable_values(connection)
    connection.close()
    missed: list[str] = []
    for _ in range(200):
        table, column, key, original = rng.choice(targets)
        mutated = _mutate(original, rng)
        _write(running.database, table, column, key, mutated)
        code, output = running.audit()
        _write(running.database, table, column, key, original)
        if code != 1:
            missed.append(f"{table}.{column} {key}: exit {code}\n{output[-500:]}")
    assert not missed, "\n".join(missed[:5])
    assert running.audit()[0] == 0


Target = tuple[str, str, tuple[str, object], bytes | str]


def _mutable_values(connection: sqlite3.Connection) -> list[Target]:
    targets: list[Target] = []
    for index, entry, body in connection.execute("SELECT log_index, entry, body FROM records"):
        targets.append(("records", "entry", ("log_index", index), bytes(entry)))
        targets.append(("records", "body", ("log_index", index), body))
    for rowid, digest in connection.execute("SELECT rowid, hash FROM log_nodes"):
        targets.append(("log_nodes", "hash", ("rowid", rowid), bytes(digest)))
    ((rowid, note),) = connection.execute(
        "SELECT id, note FROM checkpoints ORDER BY id DESC LIMIT 1"
    ).fetchall()
    targets.append(("checkpoints", "note", ("id", rowid), note))
    return targets


def _mutate(value: bytes | str, rng: random.Random) -> bytes | str:
    if isinstance(value, bytes):
        position = rng.randrange(len(value))
        flipped = value[position] ^ (1 << rng.randrange(8))
        return value[:position] + bytes([flipped]) + value[position + 1 :]
    position = rng.randrange(len(value))
    choices = [c for c in "abcdefghijklmnopqrstuvwxyz0123456789+/=" if c != value[position]]
    return value[:position] + rng.choice(choices) + value[position + 1 :]


def _write(
    database: Path, table: str, column: str, key: tuple[str, object], value: bytes | str
) -> None:
    _tamper(database, "SELECT 1")
    connection = sqlite3.connect(database)
    try:
        connection.execute(
            f"UPDATE {table} SET {column} = ? WHERE {key[0]} = ?",
            (value, key[1]),
        )
        connection.commit()
    finally:
        connection.close()
