"""Ingest benchmark: CAP 1.2 parsing and validation, and alerts/s through the HTTP API.

Run from the repository root, with the reference corpus at ../shared/reference:

    .venv/bin/pip install -e '.[bench]'                 # cap-tools, the peer parser
    .venv/bin/pip install --no-deps capparselib          # optional second peer (see below)
    .venv/bin/python benchmarks/ingest.py                # full run
    .venv/bin/python benchmarks/ingest.py --quick        # smoke run
    .venv/bin/python benchmarks/ingest.py --only parse   # or --only http

Part 1 times, in one process over every real CAP 1.2 alert in the corpus (``cap/real`` and
the OASIS examples), best of several rounds: bare ``lxml.etree.fromstring`` (the floor),
``lxml`` + the official XSD (``lxml.etree.XMLSchema``), Accord's ``read_cap_xml`` (safe
parse, structure, model, CAP rules, XML-DSig check), the same without the XML-DSig check,
and the PyPI peers where they are installed: ``cap-tools`` (xsdata's ``XmlParser`` into its
generated ``Alert`` dataclass, as its README shows) and ``capparselib`` (``CAPParser(text)``:
``lxml.objectify`` against its bundled XSD, then dicts). capparselib pins ``lxml==4.6.3``,
which does not build on Python 3.11; installed with ``--no-deps`` it runs on a current lxml
(it never imports its other pin, python-dateutil). A peer is timed on the documents it can
read, and Accord is timed again on that same subset for the ratio.

Part 2 starts ``accord serve`` as its own process on a free loopback port with a fresh data
directory, on SQLite and, when reachable, on PostgreSQL (``ACCORD_BENCH_DATABASE_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) in a schema of its own that
is dropped afterwards. A participant, a focal point and a token are made with the admin CLI.
Distinct alerts are small real ones (< 20 KB) with a fresh ``<identifier>``. It sends them
one per request over one keep-alive client, then in ``alerts:batch`` requests of 250, counts
the receipts that say "created", and times the two halves of the work in-process (parse and
validate; the ``issue`` use case on SQLite) to show where the time goes.
"""

from __future__ import annotations

import argparse
import importlib
import json
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
from typing import Any

import httpx
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "cap"
POSTGRES = os.environ.get(
    "ACCORD_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IDENTIFIER = re.compile(rb"(<(?:cap:)?identifier>)([^<]*)(</(?:cap:)?identifier>)")
MAX_BYTES = 10**7
TYPICAL_BYTES = 100_000
TEMPLATE_BYTES = 20_000
BATCH = 250

Work = Callable[[bytes], object]


# --- Part 1: parsing --------------------------------------------------------------------


def corpus() -> list[bytes]:
    """Every real CAP 1.2 alert in the reference corpus, as bytes."""
    files = [
        *sorted((REFERENCE / "real").rglob("*.*")),
        *sorted((REFERENCE / "oasis" / "examples").glob("*.xml")),
    ]
    return [path.read_bytes() for path in files]


def best_rate(work: Work, documents: list[bytes], rounds: int) -> float:
    """Messages per second over ``documents``, the best of ``rounds`` passes."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for document in documents:
            work(document)
        best = min(best, time.perf_counter() - start)
    return len(documents) / best


def peers() -> dict[str, Work | str]:
    """The peer parsers that import, or how to install the ones that do not."""
    found: dict[str, Work | str] = {}
    try:
        models = importlib.import_module("cap_tools.models")
        parsers = importlib.import_module("xsdata.formats.dataclass.parsers")
        xml_parser = parsers.XmlParser()
        found["cap-tools (xsdata)"] = lambda data: xml_parser.from_bytes(data, models.Alert)
    except ImportError:
        found["cap-tools (xsdata)"] = "not installed: pip install -e '.[bench]'"
    try:
        parser_class = importlib.import_module("capparselib.parsers").CAPParser
        found["capparselib"] = lambda data: parser_class(data.decode("utf-8", "replace")).as_dict()
    except ImportError:
        found["capparselib"] = "not installed: pip install --no-deps capparselib"
    return found


def read_full(data: bytes) -> list[Any]:
    from accord.adapters.cap_xml import read_cap_xml

    return read_cap_xml(data, max_bytes=MAX_BYTES)


def read_without_signatures(data: bytes) -> object:
    """Accord's pipeline minus XML-DSig: what a parser that checks no signature compares with."""
    from accord.adapters.cap_xml import element_to_alert, parse_xml, unwrap_alerts
    from accord.adapters.cap_xml.schema import check_structure
    from accord.domain.alerts.rules import check_rules

    alerts = []
    for item in unwrap_alerts(parse_xml(data, max_bytes=MAX_BYTES)):
        if not check_structure(item.element):
            alert = element_to_alert(item.element)
            alerts.append((alert, check_rules(alert)))
    return alerts


def parse_benchmark(rounds: int) -> None:
    everything = corpus()
    parse_table(everything, "every real alert", rounds)
    typical = [d for d in everything if len(d) < TYPICAL_BYTES]
    parse_table(typical, f"the real alerts under {TYPICAL_BYTES // 1000} KB", rounds)


def parse_table(documents: list[bytes], label: str, rounds: int) -> None:
    schema = etree.XMLSchema(etree.parse(str(REFERENCE / "oasis" / "CAP-v1.2.xsd")))

    def with_xsd(data: bytes) -> object:
        return schema.validate(etree.fromstring(data))

    print(
        f"\n## Parse + validate: {label}, {len(documents)} alerts "
        f"({megabytes(documents):.2f} MB), best of {rounds}\n"
    )
    print("| implementation | alerts | messages/s | MB/s | Accord full ÷ this |")
    print("|---|---:|---:|---:|---:|")
    accord_rate = best_rate(read_full, documents, rounds)
    floor = best_rate(etree.fromstring, documents, rounds)
    row("Accord `read_cap_xml` (full)", documents, accord_rate, accord_rate)
    row(
        "Accord without the XML-DSig check",
        documents,
        best_rate(read_without_signatures, documents, rounds),
        accord_rate,
    )
    row("lxml parse (the floor)", documents, floor, accord_rate)
    row("lxml parse + official XSD", documents, best_rate(with_xsd, documents, rounds), accord_rate)
    ratios = [f"Accord ÷ lxml floor {accord_rate / floor:.3f}×"]
    for name, peer in peers().items():
        if isinstance(peer, str):
            print(f"| {name} | | {peer} | | |")
            continue
        subset = [d for d in documents if reads(peer, d)]
        peer_rate = best_rate(peer, subset, rounds)
        accord_on_subset = best_rate(read_full, subset, rounds)
        row(name, subset, peer_rate, accord_on_subset)
        ratios.append(f"Accord ÷ {name} {accord_on_subset / peer_rate:.2f}× (target ≥ 3×)")
    print("\n" + "; ".join(ratios) + ".")


def row(name: str, documents: list[bytes], rate: float, accord_rate: float) -> None:
    mb_per_s = rate * megabytes(documents) / len(documents)
    print(
        f"| {name} | {len(documents)} | {rate:,.0f} | {mb_per_s:,.1f} | {accord_rate / rate:.2f} |"
    )


def megabytes(documents: list[bytes]) -> float:
    return sum(map(len, documents)) / 1e6


def reads(work: Work, document: bytes) -> bool:
    try:
        work(document)
    except Exception:  # noqa: BLE001 - a peer that cannot read a document skips it
        return False
    return True


# --- Part 2: HTTP ingest ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accord_command(*arguments: str, env: dict[str, str]) -> str:
    """Run the ``accord`` CLI of this environment; its standard output."""
    accord = Path(sys.executable).with_name("accord")
    done = subprocess.run(
        [str(accord), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"accord {' '.join(arguments)} failed:\n{done.stderr}")
    return done.stdout


def node_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ACCORD_CONFIG": str(data_dir / "no-accord.toml"),
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_LOG_LEVEL": "warning",
    }


def seed(env: dict[str, str]) -> str:
    """A participant, its focal point and a token for it, made with the admin CLI."""
    accord_command("participant", "add", "EE", "Estonia", "--kind", "state", env=env)
    accord_command(
        "user", "add", "ee-focal", "--role", "focal-point", "--participant", "EE", env=env
    )
    issued = json.loads(accord_command("token", "issue", "ee-focal", env=env))
    return str(issued["token"])


@contextmanager
def serving(database_url: str, data_dir: Path) -> Iterator[tuple[str, str]]:
    """A real ``accord serve`` process with one focal point; yields (url, token)."""
    env = node_env(database_url, data_dir)
    token = seed(env)
    port = free_port()
    accord = Path(sys.executable).with_name("accord")
    process = subprocess.Popen(
        [str(accord), "serve"],
        env={**env, "ACCORD_HOST": "127.0.0.1", "ACCORD_PORT": str(port)},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, token
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"accord serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    sys.exit("accord serve did not answer /healthz within 60 s")


def alert_stream(count: int) -> list[bytes]:
    """``count`` distinct alerts: small real ones, each with a fresh identifier.

    The new identifier breaks the XML-DSig signature of a signed template, so the node still
    does the whole signature check and records the alert as badly signed.
    """
    templates = [d for d in corpus() if len(d) < TEMPLATE_BYTES and is_template(d)]
    run = uuid.uuid4().hex[:8]
    return [
        with_identifier(templates[n % len(templates)], f"bench-{run}-{n}") for n in range(count)
    ]


def is_template(document: bytes) -> bool:
    """UTF-8 (a batch item carries its XML as a JSON string) with an ``<identifier>``."""
    try:
        document.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return IDENTIFIER.search(document) is not None


def with_identifier(document: bytes, identifier: str) -> bytes:
    """The document with its (first) ``<identifier>`` text replaced; everything else kept."""
    found = IDENTIFIER.search(document)
    if found is None:
        raise ValueError("the document has no <identifier>")
    start, end = found.span(2)
    return document[:start] + identifier.encode() + document[end:]


def send_singly(client: httpx.Client, documents: list[bytes]) -> tuple[int, float]:
    """(created, seconds) for one ``POST /api/v1/alerts`` per alert."""
    created = 0
    start = time.perf_counter()
    for document in documents:
        response = client.post(
            "/api/v1/alerts", content=document, headers={"Content-Type": "application/cap+xml"}
        )
        if response.status_code == 201 and response.json()["status"] == "created":
            created += 1
        else:
            print(f"  refused ({response.status_code}): {response.text[:300]}")
    return created, time.perf_counter() - start


def send_batched(client: httpx.Client, documents: list[bytes]) -> tuple[int, float]:
    """(created, seconds) for ``POST /api/v1/alerts:batch`` in batches of ``BATCH``."""
    created = 0
    start = time.perf_counter()
    for offset in range(0, len(documents), BATCH):
        items = [{"xml": d.decode("utf-8")} for d in documents[offset : offset + BATCH]]
        response = client.post("/api/v1/alerts:batch", json={"items": items})
        if response.status_code != 200:
            print(f"  batch refused ({response.status_code}): {response.text[:300]}")
            continue
        for result in response.json()["results"]:
            if result["status"] == "created":
                created += 1
            else:
                print(f"  item {offset + result['index']}: {json.dumps(result)[:300]}")
    return created, time.perf_counter() - start


def http_benchmark(
    database_url: str, label: str, singles: int, batched: int, *, signed: bool = True
) -> None:
    one, many = alert_stream(singles), alert_stream(batched)
    with (
        tempfile.TemporaryDirectory() as folder,
        serving(database_url, Path(folder)) as (url, token),
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300
        ) as client,
    ):
        created_one, seconds_one = send_singly(client, one)
        created_many, seconds_many = send_batched(client, many)
    rate_one = created_one / seconds_one
    print(f"| {label} | one per request | {created_one}/{singles} | {rate_one:,.0f} |")
    print(
        f"| {label} | batches of {BATCH} | {created_many}/{batched} "
        f"| {created_many / seconds_many:,.0f} |"
    )


def pieces_benchmark(count: int) -> None:
    """The two halves of a batch, in-process on SQLite: parse + validate, then ``issue``."""
    from accord.bootstrap import build
    from accord.config import Settings
    from accord.services.alerts import IncomingAlert

    documents = alert_stream(count)
    start = time.perf_counter()
    parsed = [read_full(d)[0] for d in documents]
    parse_seconds = time.perf_counter() - start
    items = [
        IncomingAlert(
            p.alert,
            p.xml,
            "application/cap+xml",
            p.signature.status,
            p.signature.detail,
            p.warnings,
        )
        for p in parsed
    ]
    with tempfile.TemporaryDirectory() as folder:
        node = build(Settings(data_dir=Path(folder), database_url=f"sqlite:///{folder}/b.db"))
        try:
            node.identity.add_participant("EE", "Estonia", "state")
            node.identity.add_user("ee-focal", "focal-point", "EE")
            account = node.identity.authenticate(node.identity.issue_token("ee-focal")["token"])
            start = time.perf_counter()
            for offset in range(0, count, BATCH):
                chunk = items[offset : offset + BATCH]
                node.alerts.issue(
                    account, chunk, tlp=[None] * len(chunk), audience=[None] * len(chunk)
                )
            issue_seconds = time.perf_counter() - start
        finally:
            node.close()
    print(f"| in-process | `read_cap_xml` only | {count} | {count / parse_seconds:,.0f} |")
    issue_rate = count / issue_seconds
    print(
        f"| in-process, SQLite | `alerts.issue`, batches of {BATCH} | {count} | {issue_rate:,.0f} |"
    )


def postgres_schema() -> str | None:
    """A fresh schema on the benchmark PostgreSQL, or None when it is not reachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except (SQLAlchemyError, ImportError):
        return None
    return schema


def drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def http_section(singles: int, batched: int) -> None:
    print(
        "\n## HTTP API: one `accord serve` process, one keep-alive client\n\n"
        "| database | mode | created | alerts/s |\n|---|---|---:|---:|"
    )
    with tempfile.TemporaryDirectory() as folder:
        http_benchmark(f"sqlite:///{folder}/bench.db", "SQLite", singles, batched)
    schema = postgres_schema()
    if schema is None:
        print(f"| PostgreSQL | not reachable at {POSTGRES} | | |")
    else:
        separator = "&" if "?" in POSTGRES else "?"
        try:
            url = f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
            http_benchmark(url, "PostgreSQL", singles, batched)
        finally:
            drop_schema(schema)
    pieces_benchmark(batched)
    print("\nTarget: batches ≥ 2,000 alerts/s on SQLite.")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=["parse", "http"], help="run one part only")
    options = parser.parse_args()
    if not (REFERENCE / "real").is_dir() or not (REFERENCE / "oasis" / "CAP-v1.2.xsd").is_file():
        sys.exit(
            f"the CAP reference corpus is not at {REFERENCE}: this benchmark needs "
            "shared/reference (cap/real, cap/oasis) beside the repository"
        )
    print(
        f"# Accord ingest benchmark: Python {platform.python_version()}, "
        f"lxml {etree.__version__}, {os.cpu_count()} CPUs"
    )
    if options.only in (None, "parse"):
        parse_benchmark(rounds=2 if options.quick else 5)
    if options.only in (None, "http"):
        singles, batched = (100, 1000) if options.quick else (500, 5000)
        http_section(singles, batched)


if __name__ == "__main__":
    main()
