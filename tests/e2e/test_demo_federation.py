"""`accord demo --nodes 3` as a new user runs it: three real node processes that replicate
within seconds — and a TLP:RED alert only where its audience is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.processes import answers, until

pytestmark = pytest.mark.slow


def _identifiers(node: dict[str, Any], who: str = "admin") -> set[str]:
    response = httpx.get(
        f"{node['url']}/api/v1/alerts",
        headers={"Authorization": f"Bearer {node['tokens'][who]}"},
        params={"limit": 500, "status": ["Actual", "Exercise", "Test"]},
        timeout=10,
    )
    return {item["alert"]["identifier"] for item in response.json()["items"]}


def test_three_nodes_replicate_and_red_stays_with_its_audience(tmp_path: Path) -> None:
    base = free_port()
    while any(_busy(base + k) for k in range(3)):
        base = free_port()
    accord = Path(sys.executable).with_name("accord")
    process = subprocess.Popen(
        [str(accord), "demo", "--nodes", "3", "--port", str(base), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ACCORD_CONFIG": str(tmp_path / "none.toml")},
    )
    try:
        demo_json = tmp_path / "demo.json"
        until(lambda: demo_json.is_file(), 120)
        nodes = {n["participant"]: n for n in json.loads(demo_json.read_text())["nodes"]}

        until(lambda: all(answers(n["url"]) for n in nodes.values()), 120)
        ee, lv, lt = nodes["EE"], nodes["LV"], nodes["LT"]
        focal = {"Authorization": f"Bearer {ee['tokens']['focal']}"}
        for identifier, params, scope in (
            ("FED-PUBLIC", {}, "Public"),
            ("FED-RED-LV", {"tlp": "RED", "audience": "LV"}, "Private"),
        ):
            response = httpx.post(
                f"{ee['url']}/api/v1/alerts",
                content=alert_xml(identifier, scope=scope),
                headers={**focal, "content-type": "application/cap+xml"},
                params=params,
            )
            assert response.status_code == 201, response.text
        started = time.monotonic()
        until(lambda: {"FED-PUBLIC", "FED-RED-LV"} <= _identifiers(lv, "focal"), 30)
        until(lambda: "FED-PUBLIC" in _identifiers(lt), 30)
        elapsed = time.monotonic() - started
        time.sleep(3)  # another pull round: RED must still not reach LT's node at all
        assert "FED-RED-LV" not in _identifiers(lt)  # not even its admin: it never arrived
        assert "FED-RED-LV" not in _identifiers(lv, "analyst")  # RED: focal points only
        # The seeded alerts of the others are there too, as each state may read them.
        assert any(i.startswith("DEMO-LV") for i in _identifiers(ee))
        assert elapsed < 30
        with httpx.Client(headers={"Authorization": f"Bearer {lt['tokens']['admin']}"}) as client:
            peers = client.get(f"{lt['url']}/api/v1/peers").json()
            incidents = client.get(f"{lt['url']}/api/v1/incidents").json()
        assert {p["participant"] for p in peers} == {"EE", "LV"}
        assert all(p["last_error"] == "" for p in peers), peers
        assert incidents == []
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert "Accord demo federation of 3 nodes" in output
    # Stopping the demo stops its nodes: none is left running without its parent.
    for node in nodes.values():
        until(lambda url=node["url"]: not answers(url), timeout=30)


def _busy(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=0.2)
        return True
    except httpx.TransportError:
        return False
