"""Ingest benchmark: CAP 1.2 parsing and validation, and alerts/s through the HTTP API.

Run from the repository root, with ../shared/reference beside it:

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/ingest.py            # full run
    .venv/bin/python benchmarks/ingest.py --quick    # smoke run

Part 1 times, over every real CAP 1.2 alert in the reference corpus, in one process:
bare ``lxml`` parsing (the floor), ``lxml`` + the official XSD, Accord's ``read_cap_xml``
(safe parse, structure, model, CAP rules, XML-DSig check) and the PyPI peers ``cap-tools``
and ``capparselib`` where they install (capparselib pins lxml 4.6.3, which does not build
on Python 3.11; ``pip install --no-deps capparselib python-dateutil`` lets it run on a
current lxml). Part 2 starts ``accord serve`` as its own process on SQLite (and on
PostgreSQL when reachable) and sends alerts one per request and in batches.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "cap"
POSTGRES = os.environ.get(
    "ACCORD_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IDENTIFIER = re.compile(rb"(<(?:cap:)?identifier>)([^<]*)(</(?:cap:)?identifier>)")


def corpus() -> list[bytes]:
    files = [
        *sorted((REFERENCE / "real").rglob("*.*")),
        *sorted((REFERENCE / "oasis" / "examples").glob("*.xml")),
    ]
    return [path.read_bytes() for path in files]


def best_rate(work: Callable[[bytes], object], documents: list[bytes], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for document in documents:
            work(document)
        best = min(best, time.perf_counter() - start)
    return len(documents) / best


def peers() -> dict[str, Callable[[bytes], object] | str]:
    found: dict[str, Callable[[bytes], object] | str] = {}
    try:
        models = importlib.import_module("cap_tools.models")
        parsers = importlib.import_module("xsdata.formats.dataclass.parsers")
        xml_parser = parsers.XmlParser()
        found["cap-tools 3 (xsdata)"] = lambda data: xml_parser.from_bytes(data, models.Alert)
    except ImportError:
        found["cap-tools 3 (xsdata)"] = "not installed: pip install -e '.[bench]'"
    try:
        capparser = importlib.import_module("capparselib.parsers")
        parser_class = capparser.CAPParser  # type: ignore[attr-defined]
        found["capparselib"] = lambda data: parser_class(data.decode("utf-8", "replace")).as_dict()
    except ImportError:
        found["capparselib"] = (
            "not installed (pins lxml==4.6.3): pip install --no-deps capparselib python-dateutil"
        )
    return found


TYPICAL_BYTES = 100_000


def parse_benchmark(rounds: int) -> None:
    everything = corpus()
    typical = [d for d in everything if len(d) < TYPICAL_BYTES]
    parse_table(everything, "every real alert", rounds)
    parse_table(typical, f"the real alerts under {TYPICAL_BYTES // 1000} KB", rounds)


def parse_table(documents: list[bytes], label: str, rounds: int) -> None:
    from accord.adapters.cap_xml import read_cap_xml

    schema = etree.XMLSchema(etree.parse(str(REFERENCE / "oasis" / "CAP-v1.2.xsd")))

    def with_xsd(data: bytes) -> object:
        return schema.validate(etree.fromstring(data))

    def accord(data: bytes) -> object:
        return read_cap_xml(data, max_bytes=10**7)

    print(
        f"\n## Parse + validate: {label}, {len(documents)} alerts "
        f"({sum(map(len, documents)) / 1e6:.2f} MB), best of {rounds}"
    )
    print("| implementation | alerts | messages/s | MB/s | Accord full ÷ this |")
    print("|---|---:|---:|---:|---:|")
    accord_rate = best_rate(accord, documents, rounds)
    table = [
        ("lxml parse (the floor)", etree.fromstring),
        ("lxml parse + official XSD", with_xsd),
        ("Accord without XML-DSig checks", accord_without_signatures),
    ]
    _row("Accord read_cap_xml (full)", documents, accord_rate, accord_rate)
    for name, work in table:
        _row(name, documents, best_rate(work, documents, rounds), accord_rate)
    for name, peer in peers().items():
        if isinstance(peer, str):
            print(f"| {name} | | {peer} | | |")
            continue
        subset = [d for d in documents if _parses(peer, d)]
        _row(name, subset, best_rate(peer, subset, rounds), best_rate(accord, subset, rounds))


def accord_without_signatures(data: bytes) -> object:
    """Accord's validation pipeline minus XML-DSig: what a schema-only parser compares with."""
    from accord.adapters.cap_xml import element_to_alert, parse_xml, unwrap_alerts
    from accord.adapters.cap_xml.schema import check_structure
    from accord.domain.alerts.rules import check_rules

    alerts = []
    for item in unwrap_alerts(parse_xml(data, max_bytes=10**7)):
        if not check_structure(item.element):
            alert = element_to_alert(item.element)
            alerts.append((alert, check_rules(alert)))
    return alerts


def _row(name: str, documents: list[bytes], rate: float, accord_rate: float) -> None:
    megabytes = sum(map(len, documents)) / 1e6
    ratio = accord_rate / rate
    print(
        f"| {name} | {len(documents)} | {rate:,.0f} | {rate * megabytes / len(documents):.1f} "
        f"| {ratio:.2f} |"
    )


def _parses(work: Callable[[bytes], object], document: bytes) -> bool:
    try:
        work(document)
    except Exception:  # noqa: BLE001 - a peer that cannot read a document skips it
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(database_url: str, data_dir: Path) -> Iterator[tuple[str, str]]:
    """A real `accord serve` process with one focal point; yields (url, token)."""
    from accord.bootstrap import build
    from accord.config import Settings

    settings = Settings(data_dir=data_dir, database_url=database_url)
    node = build(settings)
    node.identity.add_participant("EE", "Estonia", "state")
    node.identity.add_user("ee-focal", "focal-point", "EE")
    token = node.identity.issue_token("ee-focal")["token"]
    node.close()
    port = free_port()
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_PORT": str(port),
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_LOG_LEVEL": "warning",
    }
    accord = Path(sys.executable).with_name("accord")
    process = subprocess.Popen([str(accord), "serve"], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url)
        yield url, token
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("accord serve did not start")


def alert_stream(count: int) -> list[bytes]:
    """``count`` distinct alerts: small real ones with fresh identifiers."""
    templates = [d for d in corpus() if len(d) < 20_000 and IDENTIFIER.search(d)]
    run = uuid.uuid4().hex[:8]
    return [
        IDENTIFIER.sub(
            lambda m, n=n: m.group(1) + f"bench-{run}-{n}".encode() + m.group(3),
            templates[n % len(templates)],
            count=1,
        )
        for n in range(count)
    ]


def http_benchmark(database_url: str, label: str, singles: int, batched: int) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        serving(database_url, Path(folder)) as (url, token),
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as client,
    ):
        one = alert_stream(singles)
        start = time.perf_counter()
        created = sum(
            client.post(
                "/api/v1/alerts", content=doc, headers={"Content-Type": "application/cap+xml"}
            ).status_code
            == 201
            for doc in one
        )
        single_rate = created / (time.perf_counter() - start)
        many = alert_stream(batched)
        start = time.perf_counter()
        accepted = 0
        for offset in range(0, batched, 250):
            items = [{"xml": doc.decode("utf-8", "replace")} for doc in many[offset : offset + 250]]
            accepted += client.post("/api/v1/alerts:batch", json={"items": items}).json()[
                "accepted"
            ]
        batch_rate = accepted / (time.perf_counter() - start)
    print(f"| {label} | single | {created}/{singles} | {single_rate:,.0f} |")
    print(f"| {label} | batch of 250 | {accepted}/{batched} | {batch_rate:,.0f} |")


def postgres_schema() -> str | None:
    """A fresh schema on the benchmark PostgreSQL, or None when it is not reachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except OperationalError:
        return None
    return schema


def drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", choices=["parse", "http"])
    options = parser.parse_args()
    if not REFERENCE.is_dir():
        sys.exit(f"the reference corpus is not at {REFERENCE}; put shared/ beside the clone")
    print(
        f"# Accord ingest benchmark — {platform.python_version()}, lxml {etree.__version__}, "
        f"{os.cpu_count()} cores"
    )
    if options.only in (None, "parse"):
        parse_benchmark(rounds=2 if options.quick else 5)
    if options.only in (None, "http"):
        singles, batched = (100, 1000) if options.quick else (500, 5000)
        print(
            "\n## HTTP API, one `accord serve` process, one client\n"
            "| database | mode | accepted | alerts/s |\n|---|---|---:|---:|"
        )
        with tempfile.TemporaryDirectory() as folder:
            http_benchmark(f"sqlite:///{folder}/bench.db", "SQLite", singles, batched)
        schema = postgres_schema()
        if schema is None:
            print("| PostgreSQL | not reachable | | |")
            return
        try:
            http_benchmark(
                f"{POSTGRES}?options=-csearch_path%3D{schema}", "PostgreSQL", singles, batched
            )
        finally:
            drop_schema(schema)


if __name__ == "__main__":
    main()
