"""Seeds a node with the demo region and writes ``demo.json`` (URL, tokens, passwords).

Seeding runs once per data directory; every run issues fresh tokens and console passwords,
because they are shown once and only their hashes are stored.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from accord.adapters.cap_xml import alert_to_xml, read_cap_xml
from accord.adapters.clock import SystemClock
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.demo.agreements import SetBack, seed_agreements
from accord.demo.region import (
    OBSERVERS,
    SECRETARIAT,
    STATES,
    DemoAlert,
    demo_alerts,
    demo_senders,
    unanswered_alert,
)
from accord.entrypoints.web.composing import sender_of
from accord.errors import AccordError
from accord.services.alerts import IncomingAlert

DEMO_USERS = ("focal", "analyst")
CONSOLE_USER = "ee-focal"  # the account `accord demo` prints for the web console
# Seeding happens "earlier", so the demo's unanswered alert is past its deadlines (15 min
# to acknowledge: re-notified at 15, focal points at 30, secretariat at 45) when the node
# starts: two steps fire at once, the third five minutes later.
SEEDED_AGO = timedelta(minutes=40)
INBOX = "http://127.0.0.1:8025"


class _Earlier:
    def __init__(self, by: timedelta) -> None:
        self.by = by
        self._system = SystemClock()

    def now(self) -> datetime:
        return self._system.now() - self.by


def prepare_demo(settings: Settings, inbox: str = INBOX) -> dict[str, Any]:
    path = settings.data_dir / "demo.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    secrets: dict[str, str] = previous.get("webhook_secrets", {})
    clock = _Earlier(SEEDED_AGO)
    node = build(settings, clock=clock)
    try:
        if not node.identity.list_participants():
            seed(node, lambda ago: setattr(clock, "by", SEEDED_AGO + ago))
            secrets = seed_delivery(node, inbox)
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
        passwords = set_demo_passwords(node)
    finally:
        node.close()
    info = {
        "url": settings.resolved_public_url,
        "admin_token": tokens["admin"],
        "tokens": tokens,
        "console": {
            "url": f"{settings.resolved_public_url.rstrip('/')}/signin",
            "username": CONSOLE_USER,
            "password": passwords[CONSOLE_USER],
        },
        "passwords": passwords,
        "webhook_secrets": secrets,
        "inbox": inbox,
        "demo_json": str(path.resolve()),
    }
    write_demo_json(path, info)
    return info


def set_demo_passwords(node: Node) -> dict[str, str]:
    """A fresh console password for every demo user (like the tokens, new on every run)."""
    passwords = {user["username"]: secrets.token_urlsafe(12) for user in node.identity.list_users()}
    for username, password in passwords.items():
        node.sessions.set_password(username, password)
    return passwords


def seed(node: Node, set_back: SetBack = lambda _ago: None) -> int:
    """Participants, agencies, users, the agreements with a fortnight of filings (dated
    through ``set_back``, which moves the node's clock), and every demo alert; returns
    the alerts accepted."""
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
    register_senders(node)
    seed_agreements(node, SECRETARIAT[0], [code for code, *_ in STATES], set_back)
    return _seed_alerts(node)


def register_senders(node: Node) -> None:
    """Each participant's CAP senders: the demo stories' domains, and the domain the
    console composes under (``user@ee.<node>``), so no state can issue as another. Only
    the participants this node knows (a federation's nodes know fewer than the region)."""
    held = {row["sender"] for row in node.identity.list_senders()}
    present = {row["code"] for row in node.identity.list_participants()}
    wanted = {domain: code for domain, code in demo_senders().items() if code in present}
    for code in present:
        wanted[sender_of("x", code, node.settings.node_name).rpartition("@")[2]] = code
    for domain, code in sorted(wanted.items()):
        if domain not in held:
            node.identity.add_sender(code, domain)


def seed_delivery(node: Node, inbox: str = INBOX) -> dict[str, str]:
    """Estonia's rescue desk subscribed to severe alerts on its territory, and the
    secretariat's watch (where escalations end), both delivering to `accord inbox`; then
    one urgent alert to Estonia that nobody answers. Returns the webhook secrets."""
    identity = node.identity
    desk = identity.authenticate(identity.issue_token("ee-analyst", "demo seeding")["token"])
    watch = identity.authenticate(identity.issue_token("admin", "demo seeding")["token"])
    secrets = {}
    for account, name, body in (
        (
            desk,
            "ee-desk",
            {"filter": {"min_severity": "Severe"}, "agency": "Estonian Rescue Board"},
        ),
        (watch, "secretariat", {"filter": {"senders": ["nobody@bsrc.example"]}}),
    ):
        created = node.subscriptions.create(
            account,
            {
                "name": f"demo: {name}",
                **body,
                "endpoints": [{"kind": "webhook", "url": f"{inbox}/hooks/{name}"}],
            },
        )
        secrets[name] = next(iter(created.secrets.values()))
    issue_demo_alert(node, unanswered_alert(node.clock.now()), _focal_accounts(node))
    return secrets


def _focal_accounts(node: Node) -> dict[str, Any]:
    return {
        code: node.identity.authenticate(
            node.identity.issue_token(f"{code.lower()}-focal", "demo seeding")["token"]
        )
        for code, *_ in STATES
    }


def issue_demo_alert(node: Node, message: DemoAlert, accounts: dict[str, Any]) -> None:
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


def _seed_alerts(node: Node) -> int:
    accounts = _focal_accounts(node)
    messages = demo_alerts(node.clock.now())
    for message in messages:
        issue_demo_alert(node, message, accounts)
    return len(messages)


def write_demo_json(path: Path, info: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)
