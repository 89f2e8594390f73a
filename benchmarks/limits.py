"""Limits benchmark: how fast Accord refuses hostile CAP documents, beside the lxml floor.

Run from the repository root (no reference corpus needed):

    .venv/bin/python benchmarks/limits.py            # best of 5
    .venv/bin/python benchmarks/limits.py --quick    # best of 1

Each hostile document breaks one limit of ``accord.domain.alerts.limits`` (or is as bad as
the limits allow: thousands of schema problems in an alert of bounded shape). It is read
the way the API and ``accord cap validate`` read it: ``read_cap_xml`` for a document,
``read_cap_xml_items`` for an XML batch, ``read_cap_json`` for CAP JSON (after
``json.loads``, timed with it). The floor is ``lxml.etree.fromstring`` on a plain, valid
1 MiB document: an ``<alerts>`` wrapper of small real-shaped alerts. Each row prints the
time to the verdict, the time per MiB of input, and that rate divided by the floor's rate;
the target is a verdict in under one second per MiB. It times; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import lxml
from lxml import etree

from accord.adapters.cap_xml import read_cap_json, read_cap_xml, read_cap_xml_items
from accord.domain.alerts import limits
from accord.errors import InvalidInputError

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
MIB = 1024 * 1024
BATCH = limits.MAX_DOCUMENT_BYTES * limits.BATCH_BYTES_FACTOR


def alert(identifier: str, *, head: str = "", inner: str = "", polygon: str = "") -> str:
    """A small valid alert; ``head`` goes in the start tag, ``inner`` before <info>."""
    area = f"<area><areaDesc>Coast</areaDesc><polygon>{polygon}</polygon></area>" if polygon else ""
    return (
        f'<alert xmlns="{CAP}"{head}><identifier>{identifier}</identifier>'
        "<sender>met@example.org</sender><sent>2026-11-01T12:00:00+00:00</sent>"
        f"<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>{inner}"
        "<info><category>Met</category><event>Storm</event><urgency>Expected</urgency>"
        "<severity>Severe</severity><certainty>Likely</certainty>"
        f"<description>Gale force winds on the coast.</description>{area}</info></alert>"
    )


def ring(points: int) -> str:
    corners = [f"{59 + (i % 1000) / 1000:.4f},{24 + i / points:.5f}" for i in range(points - 1)]
    return " ".join([*corners, corners[0]])


def wrapper(alerts: Iterable[str]) -> bytes:
    return f'<alerts xmlns="{CAP}">{"".join(alerts)}</alerts>'.encode()


def floor_document() -> bytes:
    one = alert("x", polygon=ring(20))
    return wrapper(one for _ in range(MIB // len(one)))


@dataclass(frozen=True)
class Hostile:
    name: str
    data: bytes
    read: Callable[[bytes], str]


def as_document(data: bytes) -> str:
    try:
        read_cap_xml(data)
    except InvalidInputError as error:
        return _codes(error)
    return "accepted"


def as_batch(data: bytes) -> str:
    try:
        outcomes = read_cap_xml_items(data, max_total_bytes=BATCH, max_items=1000)
    except InvalidInputError as error:
        return _codes(error)
    refused = [o for o in outcomes if isinstance(o, InvalidInputError)]
    codes = sorted({code for error in refused for code in _codes(error).split(", ")})
    return f"{len(outcomes) - len(refused)} accepted, {len(refused)} refused ({', '.join(codes)})"


def as_json(data: bytes) -> str:
    try:
        read_cap_json(json.loads(data))
    except InvalidInputError as error:
        return _codes(error)
    return "accepted"


def _codes(error: InvalidInputError) -> str:
    return ", ".join(sorted({problem.code for problem in error.problems}))


def hostile_documents() -> list[Hostile]:
    over = limits.MAX_POLYGON_POINTS + 10_000
    json_alert = json.loads(json.dumps(_json_alert()))
    return [
        Hostile(
            "100,000 attributes on <alert>",
            alert("a", head="".join(f' a{i}="v"' for i in range(100_000))).encode(),
            as_document,
        ),
        Hostile(
            "40,000 attributes on <alert>",
            alert("a", head="".join(f' a{i}="v"' for i in range(40_000))).encode(),
            as_document,
        ),
        Hostile(
            "one attribute of 1.5 MiB",
            alert("a", head=f' a="{"v" * (3 * MIB // 2)}"').encode(),
            as_document,
        ),
        Hostile(
            "50,000 namespace declarations",
            alert("a", head="".join(f' xmlns:p{i}="urn:x:{i}"' for i in range(50_000))).encode(),
            as_document,
        ),
        Hostile(
            "120,000 <code> elements",
            alert("a", inner="<code>c</code>" * 120_000).encode(),
            as_document,
        ),
        Hostile(
            "9,900 unknown elements (schema problems)",
            alert("a", inner="<x/>" * 9_900).encode(),
            as_document,
        ),
        Hostile(
            "9,900 <identifier> elements (schema problems)",
            alert("a", inner="<identifier>i</identifier>" * 9_900).encode(),
            as_document,
        ),
        Hostile(
            "2,400 areas of one small polygon (the rules' work)",
            alert("a", inner="")
            .replace(
                "</info>",
                "<area><areaDesc>a</areaDesc><polygon>1,1 1,2 2,2 2,1 1,1</polygon></area>" * 2_400
                + "</info>",
            )
            .encode(),
            as_document,
        ),
        Hostile(
            "<note> of 1.9 MiB",
            alert("a", inner=f"<note>{'n' * (19 * MIB // 10)}</note>").encode(),
            as_document,
        ),
        Hostile(
            f"polygon of {over:,} points",
            alert("a", polygon=ring(over)).encode(),
            as_document,
        ),
        Hostile(
            "XML batch: 400,000-point alert and 2 good ones",
            (
                f'<alerts xmlns="{CAP}">{alert("g1")}'
                f"{alert('big', polygon=ring(400_000))}{alert('g2')}</alerts>"
            ).encode(),
            as_batch,
        ),
        Hostile(
            "XML batch: 20,000 alerts (limit 1,000)",
            wrapper(alert(f"i{n}") for n in range(20_000)),
            as_batch,
        ),
        Hostile(
            "CAP JSON: 100,000 unknown members",
            json.dumps({**json_alert, **{f"k{i}": "v" for i in range(100_000)}}).encode(),
            as_json,
        ),
        Hostile(
            "CAP JSON: 100,000 codes",
            json.dumps({**json_alert, "code": ["c"] * 100_000}).encode(),
            as_json,
        ),
        Hostile(
            f"CAP JSON: polygon of {over:,} points",
            json.dumps(_json_alert(ring(over))).encode(),
            as_json,
        ),
    ]


def _json_alert(polygon: str = "") -> dict[str, object]:
    info: dict[str, object] = {
        "category": ["Met"],
        "event": "Storm",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
    }
    if polygon:
        info["area"] = [{"areaDesc": "Coast", "polygon": [polygon]}]
    return {
        "identifier": "j",
        "sender": "met@example.org",
        "sent": "2026-11-01T12:00:00+00:00",
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [info],
    }


def best(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of five")
    rounds = 1 if parser.parse_args().quick else 5
    plain = floor_document()
    floor = best(lambda: etree.fromstring(plain), rounds) / (len(plain) / MIB)
    print(f"Python {platform.python_version()}, lxml {'.'.join(map(str, lxml.etree.LXML_VERSION))}")
    size = len(plain) / MIB
    print(f"floor: lxml parse of a plain {size:.2f} MiB document: {floor * 1e3:.2f} ms/MiB\n")
    print("| hostile document | size (MiB) | verdict | ms | ms/MiB | ÷ floor |")
    print("|---|---:|---|---:|---:|---:|")
    for hostile in hostile_documents():
        verdict = hostile.read(hostile.data)
        seconds = best(lambda h=hostile: h.read(h.data), rounds)  # type: ignore[misc]
        size = len(hostile.data) / MIB
        per_mib = seconds / size
        print(
            f"| {hostile.name} | {size:.2f} | {verdict} | {seconds * 1e3:,.1f} "
            f"| {per_mib * 1e3:,.1f} | {per_mib / floor:,.0f} |"
        )


if __name__ == "__main__":
    main()
