"""The README's first command, as a real process: `accord demo` serves a seeded region."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from accord.entrypoints.cli.main import app
from tests.integration.conftest import free_port


@pytest.mark.slow
def test_accord_demo_serves_the_demo_region_with_the_printed_token(tmp_path: Path) -> None:
    port = free_port()
    accord = Path(sys.executable).with_name("accord")
    process = subprocess.Popen(
        [str(accord), "demo", "--port", str(port), "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ACCORD_CONFIG": str(tmp_path / "none.toml")},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, process)
        demo = json.loads((tmp_path / "demo" / "demo.json").read_text())
        assert demo["url"] == url
        admin = {"Authorization": f"Bearer {demo['admin_token']}"}
        everything = httpx.get(f"{url}/api/v1/alerts", headers=admin, params={"limit": 500}).json()[
            "items"
        ]
        public = httpx.get(f"{url}/api/v1/alerts", params={"limit": 500}).json()["items"]
        exercise = httpx.get(
            f"{url}/api/v1/alerts", headers=admin, params={"status": "Exercise"}
        ).json()["items"]
        feed = httpx.get(f"{url}/feeds/cap.atom")
        key = httpx.get(f"{url}/log/key").text.strip()
        audit = CliRunner().invoke(
            app, ["audit", "--node", url, "--key", key, "--state", str(tmp_path / "observer")]
        )
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert demo["admin_token"] in output
    assert audit.exit_code == 0, audit.output
    assert "read in full and verified" in audit.output
    categories = {c for item in everything for i in item["alert"]["info"] for c in i["category"]}
    assert len(categories) >= 6
    assert {item["scope"]["tlp"] for item in everything} == {
        "CLEAR",
        "GREEN",
        "AMBER",
        "AMBER+STRICT",
        "RED",
    }
    assert {item["thread"]["state"] for item in everything} >= {"updated", "cancelled"}
    assert 0 < len(public) < len(everything)
    assert exercise
    assert feed.status_code == 200
    assert feed.text.count("<entry>") == len(
        [p for p in public if p["alert"]["status"] == "Actual"]
    )


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"accord demo exited: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("accord demo did not start within 60 s")
