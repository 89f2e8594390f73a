"""``accord demo --nodes N``: a local federation of N states, one node each, to watch.

Every node writes only for its own state (``ACCORD_AUTHORS``), knows every other node as a
peer pinned by its log key, and pulls every two seconds. Each is seeded with its own
state's share of the demo alerts, so within seconds every node holds what its state may
read of the others' — and a TLP:RED alert only where its audience is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from accord.bootstrap import Node, build
from accord.config import Settings
from accord.demo.region import SECRETARIAT, STATES, demo_alerts
from accord.demo.seed import issue_demo_alert, register_senders, write_demo_json
from accord.domain.identity import Role
from accord.services.ports import Account

PULL_EVERY = 2  # seconds
_OPERATOR = Account(0, "demo", Role.ADMIN, None)


@dataclass(frozen=True, slots=True)
class DemoNode:
    code: str
    name: str
    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            port=self.port,
            node_name=f"{self.code.lower()}.demo",
            authors=self.code,
            federation_interval=PULL_EVERY,
            secretariat=SECRETARIAT[0],
        )

    def environment(self) -> dict[str, str]:
        settings = self.settings()
        return {
            **os.environ,
            "ACCORD_DATA_DIR": str(self.data_dir),
            "ACCORD_PORT": str(self.port),
            "ACCORD_NODE_NAME": settings.node_name,
            "ACCORD_AUTHORS": self.code,
            "ACCORD_FEDERATION_INTERVAL": str(PULL_EVERY),
            "ACCORD_SECRETARIAT": SECRETARIAT[0],
            "ACCORD_CONFIG": str(self.data_dir / "none.toml"),
        }


def plan(count: int, port: int, data_dir: Path) -> list[DemoNode]:
    if not 2 <= count <= len(STATES):
        raise ValueError(f"a demo federation has 2 to {len(STATES)} nodes")
    return [
        DemoNode(code, name, port + index, data_dir / "nodes" / code.lower())
        for index, (code, name, *_rest) in enumerate(STATES[:count])
    ]


def prepare(nodes: list[DemoNode], data_dir: Path) -> dict[str, Any]:
    """Seed each node once (its people, its peers, its alerts); fresh tokens every run."""
    keys: dict[str, str] = {}
    fresh = not (data_dir / "nodes").is_dir()
    built: list[tuple[DemoNode, Node]] = []
    try:
        for demo in nodes:
            node = build(demo.settings())
            built.append((demo, node))
            keys[demo.code] = node.log.verifier_key
            if fresh:
                _people(node, demo, nodes)
        if fresh:
            for demo, node in built:
                for other in nodes:
                    if other.code != demo.code:
                        node.federation.add_peer(_OPERATOR, other.url, keys[other.code], other.code)
                _alerts(node, demo)
        info = {
            "nodes": [
                {
                    "participant": demo.code,
                    "url": demo.url,
                    "key": keys[demo.code],
                    "tokens": {
                        user: node.identity.issue_token(user, "demo")["token"]
                        for user in ("admin", "focal", "analyst")
                    },
                }
                for demo, node in built
            ],
            "demo_json": str((data_dir / "demo.json").resolve()),
        }
    finally:
        for _demo, node in built:
            node.close()
    write_demo_json(data_dir / "demo.json", info)
    return info


def _people(node: Node, demo: DemoNode, nodes: list[DemoNode]) -> None:
    node.identity.add_participant(*SECRETARIAT)
    for other in nodes:
        node.identity.add_participant(other.code, other.name, "state")
    register_senders(node)
    node.identity.add_user("admin", "admin", demo.code)
    node.identity.add_user("focal", "focal-point", demo.code)
    node.identity.add_user("analyst", "analyst", demo.code)


def _alerts(node: Node, demo: DemoNode) -> None:
    """The demo alerts this state sends; audiences keep only states in this federation."""
    token = node.identity.issue_token("focal", "demo seeding")["token"]
    accounts = {demo.code: node.identity.authenticate(token)}
    present = {p["code"] for p in node.identity.list_participants()}
    for message in demo_alerts(node.clock.now()):
        if message.author == demo.code:
            audience = tuple(a for a in message.audience if a in present)
            issue_demo_alert(node, replace(message, audience=audience), accounts)


def serve(nodes: list[DemoNode]) -> list[subprocess.Popen[bytes]]:
    """Start one `accord serve` per node and wait until all answer."""
    accord = Path(sys.executable).with_name("accord")
    processes = []
    for demo in nodes:
        with (demo.data_dir / "serve.log").open("ab") as log:
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own executable, fixed arguments
                    [str(accord), "serve"], env=demo.environment(), stdout=log, stderr=log
                )
            )
    deadline = time.monotonic() + 60
    for demo in nodes:
        while True:
            try:
                if httpx.get(f"{demo.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                stop(processes)
                raise RuntimeError(f"the {demo.code} node did not start; see {demo.data_dir}")
            time.sleep(0.1)
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def describe(info: dict[str, Any]) -> str:
    lines = [f"Accord demo federation of {len(info['nodes'])} nodes:"]
    for node in info["nodes"]:
        lines.append(
            f"  {node['participant']}: {node['url']}  focal point token {node['tokens']['focal']}"
        )
    lines.append(f"Tokens for every node's admin, focal point and analyst: {info['demo_json']}")
    return "\n".join(lines)
