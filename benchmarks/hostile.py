"""Hostile-request benchmark: each hostile request of issue 14, and its variants, sent to a
real `accord serve` process on loopback, with the time to its answer and how far the server's
resident memory rose for it, beside the floor. It times; it asserts nothing.

    .venv/bin/python benchmarks/hostile.py [--rounds 3]

The cases are those of tests/integration/hostile_cases.py (the resource test asserts their
outcomes and memory; this prints their cost). A fresh data directory (SQLite) is staged
through the services in this process, then `accord serve` serves it. Each case is sent
``--rounds`` times over one keep-alive client; the row shows the median time and the largest
memory rise. Memory is the server's peak resident memory (``VmHWM``) less its resident
memory just before the request, the peak having been reset through
``/proc/<pid>/clear_refs``: it counts libxml2's and SQLite's memory as well as Python's.

The floor of a row is ``GET /healthz`` (a round trip that does no work) plus parsing the
same bytes: ``lxml.etree.fromstring`` for XML, ``json.loads`` for JSON (to its error, for
those that have one), nothing for a GET. ``accord cap validate`` runs as its own process;
its floor is the same command on a small valid alert (the interpreter, the imports), and
its memory is the peak resident size of the process.

Targets: under 1 s and under 100 MB for each request.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import lxml
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test helpers
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.integration.hostile_cases import (
    CLI_CASES,
    HostileCase,
    Stage,
    hostile_cases,
    many_attributes,
    stage,
)
from tests.processes import start_accord

from accord.bootstrap import build
from accord.config import Settings

MB = 1024 * 1024
SECOND_MS = 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, lxml {lxml.__version__}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "node"
        node = build(Settings(data_dir=data_dir, node_name="hostile.bench"))
        staged = stage(node)
        node.close()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "ACCORD_CONFIG": str(Path(tmp) / "none.toml"),
            "ACCORD_DATA_DIR": str(data_dir),
            "ACCORD_NODE_NAME": "hostile.bench",
            "ACCORD_PORT": str(port),
        }
        process = start_accord(["serve"], env, url, timeout=120)
        try:
            bench_api(url, process.pid, staged, args.rounds)
        finally:
            process.terminate()
            process.wait(timeout=30)
        bench_cli(Path(tmp), env, args.rounds)


def bench_api(url: str, pid: int, staged: Stage, rounds: int) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        health = _healthz_ms(client)
        resident = _status_kib(pid, "VmRSS") / 1024
        print(f"\nfloor: GET /healthz {health:.2f} ms (median of 200); ", end="")
        print(f"the server holds {resident:,.0f} MB resident\n")
        print("| request | answer | ms | floor ms | ÷ floor | MB | < 1 s | < 100 MB |")
        print("|---|---|---:|---:|---:|---:|---|---|")
        for case in hostile_cases():
            body = case.body()
            times, rises, status = [], [], 0
            for _ in range(rounds):
                ms, rise, status = _measure(client, pid, staged, case, body)
                times.append(ms)
                rises.append(rise)
            floor = health + _parse_floor_ms(case, body)
            _row(case.name, _answer(case, status), statistics.median(times), floor, max(rises))


def _measure(
    client: httpx.Client, pid: int, staged: Stage, case: HostileCase, body: bytes
) -> tuple[float, float, int]:
    """Milliseconds to the whole answer, the server's memory rise in MB, the status."""
    token = staged.tokens.get(case.role or "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # peak := current resident size
    before = _status_kib(pid, "VmRSS")
    start = time.perf_counter()
    response = client.request(
        case.method, staged.path(case), content=body or None, params=case.params, headers=headers
    )
    elapsed = (time.perf_counter() - start) * 1000
    rise = (_status_kib(pid, "VmHWM") - before) / 1024
    return elapsed, rise, response.status_code


def _status_kib(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    if found is None:
        sys.exit(f"no {field} in /proc/{pid}/status")
    return int(found.group(1))


def _healthz_ms(client: httpx.Client) -> float:
    samples = []
    for _ in range(200):
        start = time.perf_counter()
        client.get("/healthz").raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _parse_floor_ms(case: HostileCase, body: bytes) -> float:
    """The best of three parses of ``body`` as its media type says, errors included."""
    parse: Callable[[bytes], object]
    if not body:
        return 0.0
    if case.content_type == "application/json":
        parse = json.loads
    else:
        parser = etree.XMLParser(huge_tree=True)
        parse = lambda data: etree.fromstring(data, parser)  # noqa: E731
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with contextlib.suppress(ValueError, RecursionError, etree.XMLSyntaxError):
            parse(body)
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def _answer(case: HostileCase, status: int) -> str:
    expected = {"problem": "4xx problem", "rejected": "200, item rejected", "page": "200 page"}
    return f"{status} ({expected[case.outcome]})"


def _row(name: str, answer: str, ms: float, floor: float, mb: float) -> None:
    under_second = "yes" if ms < SECOND_MS else "**no**"
    under_memory = "yes" if mb < 100 else "**no**"
    print(
        f"| {name} | {answer} | {ms:,.1f} | {floor:,.2f} | {ms / floor:,.0f} | {mb:,.1f} "
        f"| {under_second} | {under_memory} |"
    )


def bench_cli(tmp: Path, env: dict[str, str], rounds: int) -> None:
    accord = str(Path(sys.executable).with_name("accord"))
    small = tmp / "small.xml"
    small.write_bytes(alert_xml("SMALL-1"))
    floor_ms, floor_mb = _run_cli([accord, "cap", "validate", str(small)], env, rounds)
    print(f"\nfloor: `accord cap validate` of a small valid alert: {floor_ms:,.0f} ms, ", end="")
    print(f"peak resident {floor_mb:,.1f} MB\n")
    print("| document | ms | ms over floor | peak MB | MB over floor | < 1 s over floor |")
    print("|---|---:|---:|---:|---:|---|")
    for name, count in CLI_CASES.items():
        path = tmp / "hostile.xml"
        path.write_bytes(many_attributes(count))
        ms, mb = _run_cli([accord, "cap", "validate", str(path)], env, rounds)
        under = "yes" if ms - floor_ms < SECOND_MS else "**no**"
        print(
            f"| {name} | {ms:,.0f} | {ms - floor_ms:,.0f} | {mb:,.1f} | {mb - floor_mb:,.1f} "
            f"| {under} |"
        )


# Runs a command and prints the peak resident size of that command alone (KiB): the wrapper
# is small, so the fork that starts the command does not lend it this process's memory.
PEAK_OF = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _run_cli(args: list[str], env: dict[str, str], rounds: int) -> tuple[float, float]:
    """Median milliseconds and largest peak resident MB of ``rounds`` runs of ``args``."""
    times, peaks = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        wrapped = subprocess.run(
            [sys.executable, "-c", PEAK_OF, *args], env=env, capture_output=True, check=True
        )
        times.append((time.perf_counter() - start) * 1000)
        peaks.append(int(wrapped.stdout) / 1024)
    return statistics.median(times), max(peaks)


if __name__ == "__main__":
    main()
