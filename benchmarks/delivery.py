"""Routing and delivery benchmark: matching cost and webhook throughput, each beside a floor.

    .venv/bin/python benchmarks/delivery.py [--subscriptions 10000] [--deliveries 2000]

- matching: 10,000 subscriptions whose areas are county-sized polygons of 64-256 vertices
  spread over Europe (with random attribute filters and readers); alerts with a typical
  polygon. Accord's ``SubscriptionIndex`` beside the plain rule applied to every
  subscription (what a router without an index does).
- webhooks: a node's worker sending N signed deliveries to 32 loopback receivers (outbox
  claim, render, sign, POST, record each attempt, SQLite) beside a bare loop of the same
  number of unsigned POSTs of the same bodies over one keep-alive client, same concurrency.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--deliveries", type=int, default=2_000)
    args = parser.parse_args()
    bench_matching(args.subscriptions)
    bench_webhooks(args.deliveries)


if __name__ == "__main__":
    main()
