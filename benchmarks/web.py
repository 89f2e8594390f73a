"""Web console and portal benchmark: each page beside the JSON (or Atom) the API gives for
the same data, and the node's HTTP floor, over loopback HTTP from one real process.

    .venv/bin/python benchmarks/web.py [--alerts 500] [--requests 200]

`accord demo` serves the demo region from a fresh data directory; ``--alerts`` more live
alerts (polygons and circles over the Baltic, TLP:CLEAR, GREEN and AMBER) are added through
``POST /api/v1/alerts:batch`` as Estonia's focal point. One keep-alive client then asks, in
turn, for each page and its machine-readable peer, ``--requests`` times each after a warm-up:

- the public portal ``/`` (anonymous) beside the Atom feed ``/feeds/cap.atom``;
- the console situation ``/console`` (map, timeline and list of what ee-focal may read)
  beside ``GET /api/v1/alerts?limit=200`` with ee-focal's token;
- an alert's console page (thread, board, deliveries, verified inclusion proof) beside the
  three API calls that give the same facts (alert, responses, deliveries);
- ``/healthz``, the floor: routing, middleware and a socket round trip, no work.

The ratio "page ÷ peer" is what rendering HTML costs over serving the same facts as data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test helpers
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.integration.web_pages import sign_in
from tests.processes import start_accord

TLPS = ("CLEAR", "GREEN", "AMBER")
BATCH = 100
Fetch = Callable[[], None]


def _area(rng: random.Random) -> dict[str, str | None]:
    """A polygon or a circle somewhere over the Baltic states and their sea."""
    lat, lon = rng.uniform(54.0, 60.5), rng.uniform(20.0, 28.5)
    if rng.random() < 0.3:
        return {"polygon": None, "circle": f"{lat:.3f},{lon:.3f} {rng.uniform(2, 40):.1f}"}
    half = rng.uniform(0.05, 0.6)
    ring = [(lat - half, lon - half), (lat - half, lon + half), (lat + half, lon + half)]
    ring += [(lat + half, lon - half), ring[0]]
    return {"polygon": " ".join(f"{a:.3f},{b:.3f}" for a, b in ring), "circle": None}


def add_alerts(client: httpx.Client, count: int) -> None:
    """``count`` live alerts from Estonia, in batches; every item must be created."""
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    run = uuid.uuid4().hex[:8]
    for offset in range(0, count, BATCH):
        items = []
        for n in range(offset, min(count, offset + BATCH)):
            document = alert_xml(
                f"web-bench-{run}-{n}",
                sender="focal@ee.example",
                sent=now - timedelta(minutes=count - n),
                expires=now + timedelta(days=7),
                severity=rng.choice(("Extreme", "Severe", "Moderate", "Minor")),
                category=rng.choice(("Met", "Safety", "Security", "Env", "Health")),
                headline=f"Bench alert {n}",
                **_area(rng),
            )
            tlp = rng.choice(TLPS)
            item = {"xml": document.decode(), "tlp": tlp}
            if tlp == "AMBER":
                item["audience"] = ["EE", "LV"]
            items.append(item)
        response = client.post("/api/v1/alerts:batch", json={"items": items})
        response.raise_for_status()
        refused = [r for r in response.json()["results"] if r["status"] != "created"]
        if refused:
            sys.exit(f"alerts refused: {json.dumps(refused[:3])}")


def timed(fetch: Fetch, requests: int) -> list[float]:
    """Milliseconds per call, after a warm-up of a tenth as many."""
    for _ in range(max(3, requests // 10)):
        fetch()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        fetch()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def getter(client: httpx.Client, *paths: str, headers: dict[str, str] | None = None) -> Fetch:
    """Fetch every path in turn (one "view"), failing loudly on anything but 200."""

    def fetch() -> None:
        for path in paths:
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                sys.exit(f"GET {path}: {response.status_code} {response.text[:300]}")

    return fetch


def row(label: str, samples: list[float], peer: list[float] | None, size: int) -> None:
    p50 = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98]
    ratio = f"{p50 / statistics.median(peer):.2f}" if peer else "1.00"
    print(f"| {label} | {p50:.2f} | {p99:.2f} | {1000 / p50:,.0f} | {size / 1024:,.1f} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "demo"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "ACCORD_CONFIG": str(Path(tmp) / "none.toml")}
        demo_args = ["demo", "--port", str(port), "--data-dir", str(data_dir)]
        demo_args += ["--inbox-port", str(free_port())]
        process = start_accord(demo_args, env, url, timeout=180)
        try:
            demo = json.loads((data_dir / "demo.json").read_text())
            run(url, demo, args.alerts, args.requests)
        finally:
            process.terminate()
            process.wait(timeout=30)


def run(url: str, demo: dict[str, object], alerts: int, requests: int) -> None:
    tokens = demo["tokens"]
    passwords = demo["passwords"]
    assert isinstance(tokens, dict)
    assert isinstance(passwords, dict)
    bearer = {"Authorization": f"Bearer {tokens['ee-focal']}"}
    with (
        httpx.Client(base_url=url, headers=bearer, timeout=60) as api,
        httpx.Client(base_url=url, timeout=60) as anonymous,
        httpx.Client(base_url=url, timeout=60) as browser,
    ):
        add_alerts(api, alerts)
        signed = sign_in(browser, "ee-focal", str(passwords["ee-focal"]))
        if signed.status_code != 303:
            sys.exit(f"could not sign in: {signed.status_code}")
        listed = api.get("/api/v1/alerts", params={"limit": 200}).json()["items"]
        record_id = listed[0]["record_id"]
        views = [
            ("public portal `/`", anonymous, ("/",), "Atom feed", ("/feeds/cap.atom",), {}),
            (
                "situation `/console`",
                browser,
                ("/console",),
                "`/api/v1/alerts?limit=200`",
                ("/api/v1/alerts?limit=200",),
                bearer,
            ),
            (
                "alert page `/console/alerts/{id}`",
                browser,
                (f"/console/alerts/{record_id}",),
                "alert + responses + deliveries",
                (
                    f"/api/v1/alerts/{record_id}",
                    f"/api/v1/alerts/{record_id}/responses",
                    f"/api/v1/alerts/{record_id}/deliveries",
                ),
                bearer,
            ),
        ]
        print(f"{alerts} alerts added to the demo region; ee-focal reads {len(listed)} of 200")
        print(f"{requests} requests per view, one keep-alive client, p50/p99 in ms\n")
        print("| view | p50 ms | p99 ms | views/s | KiB | ÷ peer p50 |")
        print("|---|---:|---:|---:|---:|---:|")
        floor = timed(getter(anonymous, "/healthz"), requests)
        row("`/healthz` (the floor)", floor, None, len(anonymous.get("/healthz").content))
        for label, client, paths, peer_label, peer_paths, headers in views:
            page = timed(getter(client, *paths), requests)
            peer_client = anonymous if not headers else api
            peer = timed(getter(peer_client, *peer_paths), requests)
            size = sum(len(client.get(p).content) for p in paths)
            peer_size = sum(len(peer_client.get(p).content) for p in peer_paths)
            row(label, page, peer, size)
            row(f"  peer: {peer_label}", peer, None, peer_size)
            over_floor = statistics.median(page) / statistics.median(floor)
            print(f"|   page ÷ `/healthz` | | | | | {over_floor:.1f} |")


if __name__ == "__main__":
    main()
