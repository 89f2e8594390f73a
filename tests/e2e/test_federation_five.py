"""Five nodes as real ``accord serve`` processes on loopback, each pulling every other each
second, through the faults a federation must survive, all at once:

* LV's node unreachable for everyone pulling it (a partition), then back;
* PL pulling EE through a link that flips a rare bit, then forges checkpoint signatures;
* LT's node killed with SIGKILL while it replicates (and is replicated), then restarted;
* FI's node rewriting its history: it forks, and shows EE and LT one log, LV and PL another;
* clocks off by 0, +5 min, -1 h and +1 h on the honest nodes, -5 min on one fork copy.

After healing, within two minutes, every honest node holds exactly the alerts that an
independent policy oracle entitles its participant to (its own, and what each author's scope
lets its focal point read): none lost, none twice, nothing outside its scope. Every link is
caught up without errors, and every honest node reports FI's rewrite as equivocation.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from accord.adapters.cap_xml import read_cap_xml
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.identity import Role
from accord.services.alerts import IncomingAlert
from accord.services.ports import Account
from tests.faults.forging import ForgingPeer
from tests.faults.proxy import FaultyProxy
from tests.faults.skewed import SKEW_VARIABLE
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import free_port
from tests.integration.test_scope_enforcement import TLPS
from tests.policy_oracle import oracle_may_read
from tests.processes import answers, until

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PARTICIPANTS = {"EE": "Estonia", "LV": "Latvia", "LT": "Lithuania", "PL": "Poland", "FI": "Finland"}
HONEST = ("EE", "LV", "LT", "PL")
FORKED = "FI"
SIDE_A = frozenset({"EE", "LT"})  # pull FI's copy A; LV and PL pull copy B
UNREACHABLE = "LV"
GARBLED = ("PL", "EE")  # (puller, origin)
KILLED = "LT"
# Each signed request is accepted within 2 h 15 min of the receiver's clock either way
# (PEER_CLOCK_SKEW in accord.entrypoints.api.app): LT at -1 h and PL at +1 h pull each other.
SKEW_S = {"EE": 0, "LV": 300, "LT": -3600, "PL": 3600, "FI-A": -300, "FI-B": 0}
BULK = 600  # alerts per honest node before start: seconds of pulling, for the kill to land in
BULK_KILLED = 3000  # more on the node killed: its peers are still reading it when it dies
LIVE = 15  # alerts per honest node sent over HTTP while the faults last
PRE_FORK = 10  # FI's alerts before it forks: every honest node sees the same ones
POST_FORK = 4  # alerts per fork copy: the same count, so both logs have the same size
SETTLE_S = 120
OPERATOR = Account(0, "test", Role.ADMIN, None)


@dataclass(frozen=True)
class Issued:
    """An alert and the scope it was issued under: what the oracle judges."""

    identifier: str
    author: str
    tlp: str
    audience: frozenset[str]

    def may_reach(self, reader: str) -> bool:
        """Whether the node writing for ``reader`` may hold it: a node reads its peers as
        its participant's focal point."""
        return reader == self.author or oracle_may_read(
            "focal-point", reader, self.tlp, self.audience, self.author
        )


@dataclass(eq=False)  # one per process: compared and hashed by identity
class Member:
    """One ``accord serve`` process: an honest node, or one copy of the forked one."""

    name: str
    code: str
    data_dir: Path
    port: int
    admin: str = ""
    focal: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data_dir / "accord.db"


def _scope(rng: random.Random) -> tuple[str, frozenset[str]]:
    """A random TLP and a random audience of zero to three participants (itself included)."""
    return rng.choice(TLPS), frozenset(rng.sample(sorted(PARTICIPANTS), rng.randint(0, 3)))


def _seed(node: Node, author: str, prefix: str, count: int, rng: random.Random) -> list[Issued]:
    """Issue ``count`` alerts in-process, much faster than over HTTP."""
    sender = node.identity.authenticate(node.identity.issue_token("focal")["token"])
    issued, items = [], []
    for n in range(count):
        tlp, audience = _scope(rng)
        issued.append(Issued(f"{prefix}-{n}", author, tlp, audience))
        scope = "Public" if tlp == "CLEAR" else "Restricted"
        (document,) = read_cap_xml(alert_xml(f"{prefix}-{n}", scope=scope))
        items.append(IncomingAlert(document.alert, document.xml, "application/cap+xml"))
    results = node.alerts.issue(
        sender,
        items,
        tlp=[i.tlp for i in issued],
        audience=[sorted(i.audience) for i in issued],
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    return issued


def _send(member: Member, alert: Issued) -> None:
    """Issue one alert over the node's API, as a focal point would."""
    scope = "Public" if alert.tlp == "CLEAR" else "Restricted"
    response = httpx.post(
        f"{member.url}/api/v1/alerts",
        content=alert_xml(alert.identifier, scope=scope),
        headers={"content-type": "application/cap+xml", "Authorization": f"Bearer {member.focal}"},
        params={"tlp": alert.tlp, "audience": ",".join(sorted(alert.audience))},
        timeout=30,
    )
    assert response.status_code == 201, response.text


def _prepare(members: dict[str, Member], url_for: Callable[[str, str], str]) -> list[Issued]:
    """Build the five nodes in-process: participants, users, tokens, a bulk of alerts per
    honest node, FI's alerts before its fork, and a full mesh of peers (replication is
    direct: a node reads each author's records from that author's own node)."""
    rng = random.Random(5)
    nodes: dict[str, Node] = {}
    issued: list[Issued] = []
    try:
        for code in (*HONEST, FORKED):
            member = members[code if code != FORKED else "FI-A"]
            nodes[code] = node = build(
                Settings(
                    data_dir=member.data_dir,
                    port=member.port,
                    node_name=f"{code.lower()}.five",
                    authors=code,
                    worker="off",
                )
            )
            for participant, name in PARTICIPANTS.items():
                node.identity.add_participant(participant, name, "state")
            node.identity.add_user("admin", "admin", code)
            node.identity.add_user("focal", "focal-point", code)
            member.admin = node.identity.issue_token("admin")["token"]
            member.focal = node.identity.issue_token("focal")["token"]
            count = BULK_KILLED if code == KILLED else BULK if code in HONEST else PRE_FORK
            issued += _seed(node, code, f"{code.lower()}-seed", count, rng)
        for puller, node in nodes.items():
            for origin, other in nodes.items():
                if origin != puller:
                    url = url_for(puller, origin)
                    node.federation.add_peer(OPERATOR, url, other.log.verifier_key, origin)
    finally:
        for node in nodes.values():
            node.close()
    return issued


def _launch(member: Member, log: IO[bytes], *, pulls: bool = True) -> None:
    """Start ``accord serve`` for ``member`` with its skewed clock; not waiting for it."""
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(member.data_dir),
        "ACCORD_PORT": str(member.port),
        "ACCORD_NODE_NAME": f"{member.code.lower()}.five",  # both fork copies: one log origin
        "ACCORD_AUTHORS": member.code,
        "ACCORD_WORKER": "off",
        "ACCORD_FEDERATION_INTERVAL": "1" if pulls else "0",
        "ACCORD_DELIVERY_TIMEOUT": "5",  # bounds a pull stuck on a garbled Content-Length
        "ACCORD_LOG_LEVEL": "warning",
        "ACCORD_CONFIG": str(member.data_dir / "none.toml"),
        SKEW_VARIABLE: str(SKEW_S[member.name]),
    }
    member.process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.skewed", "serve"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=log,
    )


def _wait_up(*members: Member) -> None:
    """Wait until every node answers; fail at once if one of them exits instead."""

    def up() -> bool:
        for member in members:
            assert member.process is not None
            code = member.process.poll()
            assert code is None, f"{member.name} exited with {code}: see {member.name}.log"
        return all(answers(m.url) for m in members)

    until(up, timeout=60, every=0.1)


def _db(member: Member) -> sqlite3.Connection:
    return sqlite3.connect(member.database, timeout=10)


def _replicated(member: Member) -> int:
    """Records this node holds from its peers, read from its database."""
    with _db(member) as db:
        return int(db.execute("SELECT count(*) FROM replicated").fetchone()[0])


def _alerts_by(member: Member, author: str) -> int:
    """How many of ``author``'s alerts this node holds, read from its database."""
    with _db(member) as db:
        return int(
            db.execute(
                "SELECT count(*) FROM records r JOIN participants p ON p.id = r.author_id "
                "WHERE p.code = ? AND r.kind = 'cap.alert'",
                (author,),
            ).fetchone()[0]
        )


def _kill_mid_replication(member: Member, log: IO[bytes], pullers: dict[Member, int]) -> int:
    """SIGKILL the node while it is replicating and being replicated: once it has applied
    some records of its peers, and one of ``pullers`` (each with how many of the node's
    alerts it may read) has read some of its alerts but not all. Restart it; how many
    replicated records survived the kill."""
    assert member.process is not None

    def mid_replication() -> bool:
        partly = any(0 < _alerts_by(p, member.code) < n for p, n in pullers.items())
        return partly and _replicated(member) > 0

    until(mid_replication, timeout=60, every=0.02)
    member.process.send_signal(signal.SIGKILL)
    member.process.wait()
    survived = _replicated(member)
    _launch(member, log)
    _wait_up(member)
    return survived


def _api(member: Member, path: str) -> Any:
    response = httpx.get(
        f"{member.url}{path}", headers={"Authorization": f"Bearer {member.admin}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def _peer_read(member: Member, origin: str) -> int:
    """How many entries of ``origin``'s log ``member`` has read and verified."""
    (row,) = [p for p in _api(member, "/api/v1/peers") if p["participant"] == origin]
    return int(row["read"])


def _peer_error(member: Member, origin: str) -> str:
    """The last error of ``member``'s pulls from ``origin``'s node."""
    (row,) = [p for p in _api(member, "/api/v1/peers") if p["participant"] == origin]
    return str(row["last_error"])


def _problems(member: Member, expected: set[str]) -> list[str]:
    """Everything still wrong on one honest node; empty once it has converged."""
    problems: list[str] = []
    name = member.name
    with _db(member) as db:
        bodies = db.execute("SELECT body FROM records WHERE kind = 'cap.alert'").fetchall()
        held = Counter(json.loads(body)["identifier"] for (body,) in bodies)
        projected = Counter(i for (i,) in db.execute("SELECT identifier FROM alerts"))
        foreign = db.execute(
            "SELECT p.code, r.kind, r.tlp, r.audience FROM records r "
            "JOIN participants p ON p.id = r.author_id WHERE p.code != ?",
            (member.code,),
        ).fetchall()
        origins = db.execute(
            "SELECT peer_id, count(*), count(DISTINCT origin_index) FROM replicated "
            "GROUP BY peer_id"
        ).fetchall()
    if missing := expected - set(held):
        problems.append(f"{name} lacks {len(missing)}, e.g. {sorted(missing)[:3]}")
    if extra := set(held) - expected:
        problems.append(f"{name} holds {len(extra)} it may not: {sorted(extra)[:3]}")
    if twice := [i for i, n in held.items() if n > 1]:
        problems.append(f"{name} holds twice: {twice[:3]}")
    if projected != Counter(set(held)):
        problems.append(f"{name} projects {sum(projected.values())} for {len(held)} alerts")
    for author, kind, tlp, audience in foreign:
        scope = frozenset(json.loads(audience))
        if not oracle_may_read("focal-point", member.code, tlp, scope, author):
            problems.append(f"LEAK: {name} holds a {tlp} {kind} of {author} for {sorted(scope)}")
    for peer, count, distinct in origins:
        if count != distinct:
            problems.append(f"{name} holds {count - distinct} entries of peer {peer} twice")
    try:
        peers = _api(member, "/api/v1/peers")
        incidents = _api(member, "/api/v1/incidents")
    except httpx.HTTPError as exc:
        return [*problems, f"{name} does not answer: {exc!r}"]
    for peer in peers:
        if peer["last_error"] or peer["lag_entries"] or peer["verified_size"] != peer["read"]:
            problems.append(
                f"{name} → {peer['participant']}: lag {peer['lag_entries']}, "
                f"error {peer['last_error']!r}"
            )
    problems += _incident_problems(member, peers, incidents)
    return problems


def _incident_problems(
    member: Member, peers: list[dict[str, Any]], incidents: list[dict[str, Any]]
) -> list[str]:
    """FI's rewrite must be reported as equivocation, with both checkpoints as evidence;
    nothing else may be blamed on an honest peer, except garbage on the garbled link."""
    problems = []
    participant = {int(p["id"]): str(p["participant"]) for p in peers}
    equivocations = [
        i for i in incidents if i["code"] == "EQUIVOCATION" and participant[i["peer"]] == FORKED
    ]
    if not equivocations:
        problems.append(f"{member.name} has not reported FI's equivocation")
    problems += [
        f"{member.name}: EQUIVOCATION with {len(i['evidence'])} notes of evidence"
        for i in equivocations
        if len(i["evidence"]) != 2
    ]
    for incident in incidents:
        about = participant[incident["peer"]]
        expected = about == FORKED and incident["code"] == "EQUIVOCATION"
        garbled = (member.code, about) == GARBLED and incident["code"] != "EQUIVOCATION"
        if not (expected or garbled):
            problems.append(f"{member.name} blames {about}: {incident['code']}")
    return problems


def _forge_for_a_while(link: FaultyProxy, puller: Member, origin: Member) -> None:
    """Turn ``link`` from garbage to a forged checkpoint signature until ``puller`` reports
    it, then heal it: back to ``origin`` itself, byte for byte."""
    with ForgingPeer(origin.url) as forger:
        link.heal()
        link.retarget(forger.port)
        link.close_connections()
        # Once a second forgery is asked for, the pull that met the first has been recorded.
        until(
            lambda: forger.forged >= 2 and "not verify" in _peer_error(puller, origin.code),
            timeout=30,
        )
        link.retarget(origin.port)
        link.close_connections()
    assert _blamed(puller, origin.code, "BAD_CHECKPOINT")


def _blamed(member: Member, origin: str, code: str) -> bool:
    """Whether ``member`` holds an incident ``code`` about its peer for ``origin``."""
    peers = {int(p["id"]): p["participant"] for p in _api(member, "/api/v1/peers")}
    incidents = _api(member, "/api/v1/incidents")
    return any(peers[i["peer"]] == origin and i["code"] == code for i in incidents)


@contextmanager
def _processes(members: dict[str, Member]) -> Iterator[None]:
    """Stop every node started, whatever happens."""
    try:
        yield
    finally:
        for member in members.values():
            if member.process is not None and member.process.poll() is None:
                member.process.terminate()
        for member in members.values():
            if member.process is not None:
                try:
                    member.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    member.process.kill()
                    member.process.wait()


def _live_alerts() -> list[tuple[str, Issued]]:
    """The alerts sent over HTTP while the faults last, as (node, alert), round robin over
    the nodes so that sending and replicating overlap; the fork copies send the same count."""
    rng = random.Random(7)
    counts = {**dict.fromkeys(HONEST, LIVE), "FI-A": POST_FORK, "FI-B": POST_FORK}
    return [
        (name, Issued(f"{name.lower()}-live-{n}", name[:2], *_scope(rng)))
        for n in range(max(counts.values()))
        for name, count in counts.items()
        if n < count
    ]


def _entitlements(issued: list[Issued]) -> dict[str, set[str]]:
    """What each honest node must end with: every alert the oracle lets its participant
    read, FI's from before the fork and from the one copy it pulls, not from the other."""
    return {
        code: {
            alert.identifier
            for alert in issued
            if alert.may_reach(code)
            and not alert.identifier.startswith("fi-b-" if code in SIDE_A else "fi-a-")
        }
        for code in HONEST
    }


def _settle(honest: list[Member], expected: dict[str, set[str]]) -> None:
    """Wait until no honest node has anything wrong; fail naming what still is."""
    last: list[str] = []

    def converged() -> bool:
        last[:] = [p for m in honest for p in _problems(m, expected[m.code])]
        return not last

    try:
        until(converged, timeout=SETTLE_S, every=1)
    except AssertionError:
        pytest.fail(f"not converged {SETTLE_S} s after healing:\n" + "\n".join(last))


def test_five_nodes_converge_through_every_fault_with_zero_leaks(tmp_path: Path) -> None:
    """The scenario of the module docstring; the faults overlap, then all heal at once."""
    members = {
        name: Member(name, name[:2], tmp_path / name.lower(), free_port())
        for name in (*HONEST, "FI-A", "FI-B")
    }
    garbled_puller, garbled_origin = members[GARBLED[0]], members[GARBLED[1]]
    with ExitStack() as stack:
        unreachable = stack.enter_context(FaultyProxy(("127.0.0.1", members[UNREACHABLE].port)))
        garbling = stack.enter_context(FaultyProxy(("127.0.0.1", garbled_origin.port), seed=11))
        # Rare flips: most answers pass, some fail to parse, and some parse but are wrong
        # in one entry, one body or one proof hash. None of that may be passed over or
        # taken for equivocation: the puller reads it again.
        garbling.corrupt_rate = 0.0005
        garbling.mode = "corrupt"

        def url_for(puller: str, origin: str) -> str:
            if origin == UNREACHABLE:
                return unreachable.url  # for everyone: the node itself is unreachable
            if (puller, origin) == GARBLED:
                return garbling.url
            if origin == FORKED:
                return members["FI-A" if puller in SIDE_A else "FI-B"].url
            return members[origin].url

        issued = _prepare(members, url_for)
        shutil.copytree(members["FI-A"].data_dir, members["FI-B"].data_dir)  # the fork
        members["FI-B"].admin, members["FI-B"].focal = members["FI-A"].admin, members["FI-A"].focal
        logs = {
            name: stack.enter_context((tmp_path / f"{name}.log").open("wb")) for name in members
        }
        stack.enter_context(_processes(members))
        for name, member in members.items():
            _launch(member, logs[name], pulls=member.code != FORKED)
        _wait_up(*members.values())

        from_peers = sum(alert.may_reach(KILLED) for alert in issued if alert.author != KILLED)
        pullers = {
            members[code]: sum(a.author == KILLED and a.may_reach(code) for a in issued)
            for code in HONEST
            if code != KILLED
        }
        survived = _kill_mid_replication(members[KILLED], logs[KILLED], pullers)
        assert 0 < survived < from_peers, survived  # it had read some of its peers', not all

        until(lambda: _peer_read(members["EE"], UNREACHABLE), timeout=30)
        unreachable.partition()  # its open connections are reset too
        live = _live_alerts()
        for name, alert in live:
            _send(members[name], alert)
        until(lambda: "cannot reach" in _peer_error(members["EE"], UNREACHABLE), timeout=30)
        unreachable.heal()

        until(lambda: _peer_error(garbled_puller, garbled_origin.code), timeout=30)
        assert garbling.stats.bytes_corrupted > 0
        _forge_for_a_while(garbling, garbled_puller, garbled_origin)

        expected = _entitlements([*issued, *(alert for _name, alert in live)])
        _settle([members[code] for code in HONEST], expected)
