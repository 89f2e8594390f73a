"""Routing and delivery benchmark: matching, webhooks and the live stream, each beside a floor.

    .venv/bin/python benchmarks/delivery.py [--subscriptions 10000] [--deliveries 2000]
        [--listeners 1000] [--only matching|webhooks|stream]

- matching: 10,000 subscriptions whose areas are county-sized polygons of 64-256 vertices
  spread over Europe (with random attribute filters and readers); alerts with a typical
  polygon. Accord's ``SubscriptionIndex`` beside the plain rule applied to every
  subscription (what a router without an index does).
- webhooks: a node's worker sending N signed deliveries to 32 loopback receivers (outbox
  claim, render, sign, POST, record each attempt, SQLite) beside a bare loop of the same
  number of unsigned POSTs of the same bodies over one keep-alive client, same concurrency.
- stream: 1,000 listeners on `GET /api/v1/stream` of a real `accord serve` process (each
  authenticated, scope and filter applied); 20 alerts sent one by one; latency from the
  start of the POST that sends an alert to its arrival at each listener. Floor: a bare
  Starlette + sse-starlette fan-out of the same bytes (benchmarks/sse_floor.py) measured
  the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from shapely.geometry import Point

from accord.adapters.cap_xml import read_cap_xml
from accord.bootstrap import build
from accord.config import Settings
from accord.domain.identity import Role
from accord.domain.routing.filters import filter_from_json
from accord.domain.routing.matching import (
    RoutedAlert,
    Subscription,
    SubscriptionIndex,
    matches,
    routed_alert,
)
from accord.domain.sharing import Reader, Scope, Tlp
from accord.services.alerts import IncomingAlert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the hand-written CAP samples
from tests.integration.cap_samples import alert_xml


def _polygon(rng: random.Random, vertices: int) -> dict[str, object]:
    lon, lat = rng.uniform(-10, 30), rng.uniform(36, 68)
    shape = Point(lon, lat).buffer(rng.uniform(0.2, 1.2), quad_segs=max(1, vertices // 4))
    return {"type": "Polygon", "coordinates": [[list(c) for c in shape.exterior.coords]]}


def _subscriptions(rng: random.Random, count: int) -> list[Subscription]:
    readers = [
        Reader(role, code)
        for role in (Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER)
        for code in ("EE", "LV", "LT", "FI", "SE", "PL", "DE", "DK")
    ]
    subs = []
    for i in range(count):
        raw: dict[str, object] = {"area": _polygon(rng, rng.choice((64, 128, 256)))}
        if rng.random() < 0.5:
            raw["categories"] = [rng.choice(["Met", "Env", "Health", "Safety"])]
        if rng.random() < 0.3:
            raw["min_severity"] = rng.choice(["Extreme", "Severe", "Moderate"])
        subs.append(Subscription(i, rng.choice(readers), filter_from_json(raw)))
    return subs


def _alerts(rng: random.Random, count: int) -> list[RoutedAlert]:
    out = []
    for i in range(count):
        lat, lon = rng.uniform(36, 68), rng.uniform(-10, 30)
        ring = " ".join(
            f"{lat + dy:.3f},{lon + dx:.3f}"
            for dx, dy in ((0, 0), (0.5, 0), (0.5, 0.4), (0, 0.4), (0, 0))
        )
        (document,) = read_cap_xml(
            alert_xml(f"bench-{i}", polygon=ring, category=rng.choice(["Met", "Env"]))
        )
        out.append(routed_alert(document.alert, Scope(Tlp.GREEN), "LV"))
    return out


def bench_matching(count: int) -> None:
    rng = random.Random(7)
    subs = _subscriptions(rng, count)
    alerts = _alerts(rng, 300)
    started = time.perf_counter()
    index = SubscriptionIndex(subs)
    built = time.perf_counter() - started
    timings = []
    total = 0
    for routed in alerts:
        t = time.perf_counter()
        total += len(index.match(routed))
        timings.append(time.perf_counter() - t)
    brute = []
    for routed in alerts[:30]:
        t = time.perf_counter()
        [s.id for s in subs if matches(s, routed)]
        brute.append(time.perf_counter() - t)
    p50 = statistics.median(timings) * 1e6
    p99 = sorted(timings)[int(len(timings) * 0.99) - 1] * 1e6
    naive = statistics.median(brute) * 1e6
    print(f"matching, {count:,} subscriptions (index built in {built * 1000:.0f} ms):")
    print(f"  indexed  p50 {p50:8.0f} µs  p99 {p99:8.0f} µs  ({total / len(alerts):.1f} matches)")
    print(f"  plain rule over all (floor to beat) p50 {naive:8.0f} µs   ratio {naive / p50:.0f}×")


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _receivers(count: int) -> list[str]:
    urls = []
    for _ in range(count):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        urls.append(f"http://127.0.0.1:{httpd.server_address[1]}/hook")
    return urls


def bench_webhooks(deliveries: int, receivers: int = 32) -> None:
    urls = _receivers(receivers)
    with tempfile.TemporaryDirectory() as tmp:
        node = build(Settings(data_dir=Path(tmp), worker="off", outbound_allowlist="127.0.0.0/8"))
        node.identity.add_participant("EE", "EE", "state")
        node.identity.add_participant("LV", "LV", "state")
        node.identity.add_user("ee", "focal-point", "EE")
        node.identity.add_user("lv", "focal-point", "LV")
        ee = node.identity.authenticate(node.identity.issue_token("ee")["token"])
        lv = node.identity.authenticate(node.identity.issue_token("lv")["token"])
        for url in urls:
            node.subscriptions.create(
                ee, {"name": url, "endpoints": [{"kind": "webhook", "url": url}]}
            )
        per_alert = len(urls)
        alerts = max(1, deliveries // per_alert)
        items = []
        for i in range(alerts):
            (document,) = read_cap_xml(alert_xml(f"hook-{i}"))
            items.append(IncomingAlert(document.alert, document.xml, "application/cap+xml"))
        node.alerts.issue(lv, items, tlp=[None] * alerts, audience=[None] * alerts)
        started = time.perf_counter()
        sent = node.worker.drain()
        accord_rate = sent / (time.perf_counter() - started)
        body = b'{"type":"alert"}' + b" " * 2000
        with httpx.Client(limits=httpx.Limits(max_connections=16)) as client:

            def post(i: int) -> None:
                client.post(urls[i % len(urls)], content=body)

            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(post, range(sent)))
            floor = sent / (time.perf_counter() - started)
        node.close()
    print(f"webhooks, {sent:,} deliveries to {receivers} loopback receivers (SQLite outbox):")
    print(f"  accord worker   {accord_rate:8.0f} deliveries/s")
    print(f"  bare POST loop  {floor:8.0f} posts/s (floor)   ratio {accord_rate / floor:.2f}×")


async def _listen(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], log: list[float], ready: Any
) -> None:
    async with client.stream("GET", url, headers=headers) as response:
        ready()
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                log.append(time.perf_counter())


async def _fan_out(
    stream_url: str,
    headers: dict[str, str],
    send: Any,
    listeners: int,
    events: int,
) -> list[float]:
    """Connect ``listeners``, send ``events`` one by one, return every latency (ms)."""
    logs: list[list[float]] = [[] for _ in range(listeners)]
    connected = 0

    def ready() -> None:
        nonlocal connected
        connected += 1

    gc.collect()
    gc.freeze()  # the measuring client must not stall all its streams in one GC pass
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, read=None), limits=limits) as client:
        tasks = [
            asyncio.create_task(_listen(client, stream_url, headers, logs[i], ready))
            for i in range(listeners)
        ]
        while connected < listeners:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)
        sent_at = []
        posts: list[float] = []
        for n in range(events):
            sent_at.append(time.perf_counter())
            await asyncio.to_thread(send, n)
            posts.append((time.perf_counter() - sent_at[-1]) * 1000)
            await asyncio.sleep(0.3)
        await asyncio.sleep(2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = []
    per_event: list[list[float]] = [[] for _ in range(events)]
    for log in logs:
        for n, received in enumerate(log[:events]):
            latencies.append((received - sent_at[n]) * 1000)
            per_event[n].append(latencies[-1])
    if os.environ.get("ACCORD_BENCH_DETAIL"):
        print("  per event (min/max ms):", [f"{min(v):.0f}/{max(v):.0f}" for v in per_event if v])
        print("  sending POSTs (ms):", [f"{t:.0f}" for t in posts])
    missing = listeners * events - len(latencies)
    if missing:
        print(f"  ({missing} events did not arrive)")
    return latencies


def _serve(args: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{args} did not start")


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"


def bench_stream(listeners: int, events: int = 20) -> None:
    root = Path(__file__).resolve().parents[1]
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        node = build(Settings(data_dir=data))
        node.identity.add_participant("EE", "EE", "state")
        node.identity.add_participant("LV", "LV", "state")
        node.identity.add_user("ee", "analyst", "EE")
        node.identity.add_user("lv", "focal-point", "LV")
        reader = node.identity.issue_token("ee")["token"]
        sender = node.identity.issue_token("lv")["token"]
        node.close()
        port = _free_port()
        env = {**os.environ, "ACCORD_DATA_DIR": tmp, "ACCORD_PORT": str(port)}
        env["ACCORD_CONFIG"] = str(data / "none.toml")
        env.update(json.loads(os.environ.get("ACCORD_BENCH_ENV", "{}")))
        url = f"http://127.0.0.1:{port}"
        server = _serve([str(bin_dir / "accord"), "serve"], env, f"{url}/healthz")
        bodies = [alert_xml(f"stream-{n}") for n in range(events)]
        try:
            with httpx.Client(headers={"Authorization": f"Bearer {sender}"}) as poster:

                def send(n: int) -> None:
                    response = poster.post(
                        f"{url}/api/v1/alerts",
                        content=bodies[n],
                        headers={"content-type": "application/cap+xml"},
                    )
                    response.raise_for_status()

                accord = asyncio.run(
                    _fan_out(
                        f"{url}/api/v1/stream",
                        {"Authorization": f"Bearer {reader}"},
                        send,
                        listeners,
                        events,
                    )
                )
                payload = poster.get(
                    f"{url}/api/v1/alerts", headers={"Authorization": f"Bearer {reader}"}
                ).json()["items"][0]
        finally:
            server.terminate()
            server.wait()
    floor_port = _free_port()
    floor_url = f"http://127.0.0.1:{floor_port}"
    floor_server = _serve(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.sse_floor:app",
            "--port",
            str(floor_port),
            "--log-level",
            "warning",
        ],
        {**os.environ, "PYTHONPATH": str(root)},
        f"{floor_url}/listeners",
    )
    data_bytes = json.dumps(payload).encode()
    try:
        with httpx.Client() as poster:
            floor = asyncio.run(
                _fan_out(
                    f"{floor_url}/stream",
                    {},
                    lambda _n: poster.post(f"{floor_url}/publish", content=data_bytes),
                    listeners,
                    events,
                )
            )
    finally:
        floor_server.terminate()
        floor_server.wait()
    print(f"stream, {listeners:,} listeners x {events} alerts (latency from the sending POST):")
    print(f"  accord /api/v1/stream   {_percentiles(accord)}")
    print(f"  bare SSE fan-out floor  {_percentiles(floor)}")
    ratio = sorted(accord)[int(len(accord) * 0.99)] / sorted(floor)[int(len(floor) * 0.99)]
    print(f"  p99 ratio {ratio:.2f}x the floor")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--deliveries", type=int, default=2_000)
    parser.add_argument("--listeners", type=int, default=1_000)
    parser.add_argument("--only", choices=("matching", "webhooks", "stream"))
    args = parser.parse_args()
    if args.only in (None, "matching"):
        bench_matching(args.subscriptions)
    if args.only in (None, "webhooks"):
        bench_webhooks(args.deliveries)
    if args.only in (None, "stream"):
        bench_stream(args.listeners)


if __name__ == "__main__":
    main()
