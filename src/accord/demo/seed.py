"""Seeds a node with the demo region and writes ``demo.json`` (URL and tokens).

Seeding runs once per data directory; every run issues a fresh admin token, because tokens
are shown once and never stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from accord.adapters.cap_xml import alert_to_xml, read_cap_xml
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.demo.region import OBSERVERS, SECRETARIAT, STATES, demo_alerts
from accord.errors import AccordError
from accord.services.alerts import IncomingAlert

DEMO_USERS = ("focal", "analyst")


def prepare_demo(settings: Settings) -> dict[str, Any]:
    node = build(settings)
    try:
        if not node.identity.list_participants():
            seed(node)
        tokens = {
            "admin": node.identity.issue_token("admin", "demo")["token"],
            **{
                f"{code.lower()}-{role}": node.identity.issue_token(
                    f"{code.lower()}-{role}", "demo"
                )["token"]
                for code, *_ in STATES
                for role in DEMO_USERS
            },
            "observer": node.identity.issue_token("observer", "demo")["token"],
            "reporter": node.identity.issue_token("reporter", "demo")["token"],
        }
    finally:
        node.close()
    info = {
        "url": settings.resolved_public_url,
        "admin_token": tokens["admin"],
        "tokens": tokens,
        "demo_json": str((settings.data_dir / "demo.json").resolve()),
    }
    _write(settings.data_dir / "demo.json", info)
    return info


def seed(node: Node) -> int:
    """Participants, agencies, users and every demo alert; returns the alerts accepted."""
    identity = node.identity
    for code, name, kind in (SECRETARIAT, OBSERVERS):
        identity.add_participant(code, name, kind)
    identity.add_user("admin", "admin", SECRETARIAT[0])
    identity.add_user("observer", "observer", OBSERVERS[0])
    identity.add_user("reporter", "reporter", SECRETARIAT[0])
    for code, name, (min_lon, min_lat, max_lon, max_lat), agencies in STATES:
        identity.add_participant(code, name, "state")
        outline = {
            "type": "Polygon",
            "coordinates": [
                [
                    [min_lon, min_lat],
                    [max_lon, min_lat],
                    [max_lon, max_lat],
                    [min_lon, max_lat],
                    [min_lon, min_lat],
                ]
            ],
        }
        for agency_name, sector in agencies:
            identity.add_agency(code, agency_name, sector, outline)
        identity.add_user(f"{code.lower()}-focal", "focal-point", code, agencies[0][0])
        identity.add_user(f"{code.lower()}-analyst", "analyst", code)
    return _seed_alerts(node)


def _seed_alerts(node: Node) -> int:
    accounts = {
        code: node.identity.authenticate(
            node.identity.issue_token(f"{code.lower()}-focal", "demo seeding")["token"]
        )
        for code, *_ in STATES
    }
    accepted = 0
    for message in demo_alerts(node.clock.now()):
        (document,) = read_cap_xml(alert_to_xml(message.alert))
        incoming = IncomingAlert(
            document.alert,
            document.xml,
            "application/cap+xml",
            document.signature.status,
            document.signature.detail,
            document.warnings,
        )
        (result,) = node.alerts.issue(
            accounts[message.author],
            [incoming],
            tlp=[message.tlp],
            audience=[list(message.audience)],
        )
        if isinstance(result, AccordError):
            raise result
        accepted += 1
    return accepted


def _write(path: Path, info: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)
