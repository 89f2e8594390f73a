"""The console's log page over real HTTP, on both engines: the checkpoint as
``/log/checkpoint`` serves it with its witness cosignatures, the keys, incidents for every
signed-in user and peers for admins only, as the API allows each; the node's audits of its
log for everyone, and the button that runs one for admins only."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text

from accord.adapters.sql.append_only import allow_changes, forbid_changes
from accord.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.identity import Role
from accord.ledger import notes
from accord.services.log import HISTORY_PAGE
from accord.services.ports import Account
from tests.integration.conftest import LiveServer, Region
from tests.integration.web_pages import PASSWORD, form_token, inline_code, sign_in

WITNESS = "witness.example"
PEER_URL = "https://lv-node.example/<b>peer</b>"
HOSTILE = "<script>alert('incident')</script>"
USERS = ("ee-focal-point", "ee-analyst", "lt-observer", "reporter", "admin")
API_TOKENS = {
    "ee-focal-point": "EE:focal-point",
    "ee-analyst": "EE:analyst",
    "lt-observer": "LT:observer",
}
_KEY = Ed25519PrivateKey.generate()
_PUBLIC = _KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture
def node(settings: Settings) -> Iterator[Node]:
    witness = notes.format_verifier_key(WITNESS, _PUBLIC, notes.COSIGNATURE_V1)
    built = build(replace(settings, witness_keys=witness))
    yield built
    built.close()


@pytest.fixture
def watched(node: Node, region: Region) -> str:
    """A cosigned checkpoint, a peer (its URL hostile text) and an equivocation incident;
    returns the peer's verifier key."""
    body = notes.note_text(node.log.checkpoint_note())
    line = notes.cosign(body, WITNESS, _KEY.sign, _PUBLIC, 1_790_000_000)
    assert node.log.add_cosignature(line) is True
    peer_key = notes.format_verifier_key(
        "lv.node",
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )
    admin = Account(0, "admin", Role.ADMIN, "SEC")
    peer = node.federation.add_peer(admin, PEER_URL, peer_key, "LV")
    with SqlUnitOfWorkFactory(node.engine)() as uow:
        uow.peers.add_incident(
            peer["id"],
            "equivocation",
            f"two roots for one size {HOSTILE}",
            ["note one", "note two"],
            node.clock.now(),
        )
    for user in USERS:
        node.sessions.set_password(user, PASSWORD)
    return peer_key


def _page(server: LiveServer, username: str) -> str:
    with server.client() as client:
        assert sign_in(client, username).status_code == 303
        response = client.get("/console/log")
    assert response.status_code == 200
    assert inline_code(response.text) == []
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    return response.text


def test_the_log_page_shows_the_served_checkpoint_its_cosignature_and_the_keys(
    server: LiveServer, watched: str
) -> None:
    with server.client() as anonymous:
        served = anonymous.get("/log/checkpoint").text
        key = anonymous.get("/log/key").text.strip()
    page = _page(server, "ee-analyst")
    body = notes.Checkpoint.parse(notes.note_text(served))
    assert f'<dd class="log-size">{body.size}</dd>' in page
    assert key in page
    assert WITNESS in page
    assert "witness cosignature" in page
    assert "2026-09-21 14:13 UTC" in page  # the cosignature's time, 1_790_000_000
    assert "the log's own signature" in page
    assert '<th scope="row">EE</th>' in page  # participant keys


@pytest.mark.parametrize("user", USERS)
def test_incidents_are_for_every_user_and_peers_for_admins_only_as_in_the_api(
    server: LiveServer, region: Region, watched: str, user: str
) -> None:
    page = _page(server, user)
    token = region.tokens[API_TOKENS.get(user, user)]
    with server.client(token) as api:
        peers = api.get("/api/v1/peers")
        incidents = api.get("/api/v1/incidents")
    assert incidents.status_code == 200
    assert "equivocation" in page
    assert "note two" in page
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    if user == "admin":
        assert peers.status_code == 200
        assert 'id="peers"' in page
        assert "&lt;b&gt;peer&lt;/b&gt;" in page
        assert "never verified" in page
    else:
        assert peers.status_code == 403
        assert 'id="peers"' not in page
        assert "lv-node.example" not in page
        assert watched not in page


def test_the_log_page_needs_a_session(server: LiveServer) -> None:
    with server.client() as anonymous:
        response = anonymous.get("/console/log", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/console/log"


def test_the_log_page_pages_the_checkpoint_history_with_each_witness_cosignature(
    server: LiveServer, node: Node, watched: str
) -> None:
    cosigned = node.log.checkpoint_history(limit=1).checkpoints[0]
    stamps = {cosigned.id: 1_790_000_000}  # watched's cosignature
    lines = {}
    for n in range(1, HISTORY_PAGE + 2):
        signed = node.log.ensure_checkpoint(max_age_seconds=0)
        if n % 10 == 0:
            stamps[signed.id] = 1_790_000_000 + n * 86_400
            body = notes.note_text(signed.note)
            lines[signed.id] = notes.cosign(body, WITNESS, _KEY.sign, _PUBLIC, stamps[signed.id])
            assert node.log.add_cosignature(lines[signed.id]) is True
    every = [c.id for c in node.log.checkpoint_history(limit=100).checkpoints]
    with server.client() as client:
        assert sign_in(client, "ee-analyst").status_code == 303
        newest = _history(client.get("/console/log"))
        older = _history(client.get(f"/console/log?before={every[HISTORY_PAGE - 1]}"))
        refused = client.get("/console/log?before=<b>1</b>")
    assert [row.id for row in newest.rows] == every[:HISTORY_PAGE]
    assert newest.links == [("Older", f"/console/log?before={every[HISTORY_PAGE - 1]}#history")]
    assert [row.id for row in older.rows] == every[HISTORY_PAGE : 2 * HISTORY_PAGE]
    assert cosigned.id in [row.id for row in older.rows]
    assert older.links[0] == ("Newest", "/console/log#history")
    for row in newest.rows + older.rows:
        assert row.cells["Witness cosignatures"] == (
            f"{WITNESS} {_witness_key_id()} at {_when(stamps[row.id])}"
            if row.id in stamps
            else "none"
        )
    assert newest.rows[0].note == node.log.checkpoint_note()
    notes_of = {row.id: row.note for row in newest.rows}
    assert [notes_of[id_].endswith("\n" + line + "\n") for id_, line in lines.items()] == [
        True,
        True,
    ]
    body = notes.Checkpoint.parse(notes.note_text(newest.rows[0].note))
    assert newest.rows[0].cells["Entries"] == str(body.size)
    root = base64.b64encode(body.root_hash).decode()
    assert (newest.rows[0].cells["Root hash"], newest.rows[0].root_title) == (root[:12] + "…", root)
    assert refused.status_code == 400
    assert "Not a page of the history" in refused.text
    assert "<b>1</b>" not in refused.text


AUDIT_BUTTON = '<form method="post" action="/console/log/audits"'


def _audit_ids(node: Node, at_least: int = 0) -> list[int]:
    """The stored audits' ids, newest first, once there are ``at_least`` (the server
    audits the log when it starts)."""
    deadline = time.monotonic() + 20
    while len(ids := [audit.id for audit in node.log_audit.recent()]) < at_least:
        assert time.monotonic() < deadline, "no audit was stored"
        time.sleep(0.05)
    return ids


def test_an_admin_audits_the_log_from_the_page_and_sees_the_result(
    server: LiveServer, node: Node, watched: str
) -> None:
    before = _audit_ids(node, at_least=1)
    with server.client() as client:
        assert sign_in(client, "admin").status_code == 303
        page = client.get("/console/log")
        assert AUDIT_BUTTON in page.text
        forged = client.post("/console/log/audits", data={"csrf_token": "not the token"})
        assert _audit_ids(node) == before
        posted = client.post("/console/log/audits", data={"csrf_token": form_token(page.text)})
        after = client.get(posted.headers["location"])
    assert forged.status_code == 403
    assert "The form did not come from this site." in forged.text
    assert posted.status_code == 303
    assert posted.headers["location"] == "/console/log#audits"
    (new,) = set(_audit_ids(node)) - set(before)
    assert inline_code(after.text) == []
    assert f'<tr data-audit="{new}">' in after.text
    assert "✓ clean" in after.text
    assert "The log has not been audited yet." not in after.text


def test_every_user_sees_the_audits_and_their_findings_but_only_admins_may_run_one(
    server: LiveServer, node: Node, watched: str
) -> None:
    _audit_ids(node, at_least=1)
    with node.engine.begin() as connection:  # a body changed behind the node's back
        allow_changes(connection)
        connection.execute(
            text(
                'UPDATE records SET body = \'{"note":"x",\' || substr(body, 2) WHERE log_index = 0'
            )
        )
        forbid_changes(connection, create_function=False)
    found = node.log_audit.run()
    before = _audit_ids(node)
    with server.client() as client:
        assert sign_in(client, "ee-analyst").status_code == 303
        page = client.get("/console/log")
        refused = client.post("/console/log/audits", data={"csrf_token": form_token(page.text)})
    assert refused.status_code == 403
    assert "Only a node admin may run an audit of the log." in refused.text
    assert _audit_ids(node) == before
    assert AUDIT_BUTTON not in page.text
    assert inline_code(page.text) == []
    assert f'<tr data-audit="{found.id}">' in page.text
    assert "✗ 1 finding" in page.text
    assert "BODY_ALTERED" in page.text
    assert "entry 0: the body does not match the signed digest" in page.text


def _witness_key_id() -> str:
    return notes.parse_verifier_key(
        notes.format_verifier_key(WITNESS, _PUBLIC, notes.COSIGNATURE_V1)
    ).key_id.hex()


def _when(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class HistoryRow:
    id: int
    cells: dict[str, str] = field(default_factory=dict)
    note: str = ""
    root_title: str = ""


@dataclass
class HistoryPage:
    rows: list[HistoryRow] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


class _HistoryReader(HTMLParser):
    """The rows of the checkpoint history table, each cell's text by its data-label, and
    the links of the pager below it."""

    def __init__(self) -> None:
        super().__init__()
        self.page = HistoryPage()
        self._cell: str | None = None
        self._in_note = False
        self._in_pager = False
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "tr" and named.get("data-checkpoint"):
            self.page.rows.append(HistoryRow(int(named["data-checkpoint"] or 0)))
        elif tag == "td" and self.page.rows and named.get("data-label"):
            self._cell = named["data-label"]
            self.page.rows[-1].cells[self._cell or ""] = ""
        elif tag == "pre" and self._cell == "Signed note":
            self._in_note = True
        elif tag == "code" and self._cell == "Root hash":
            self.page.rows[-1].root_title = named.get("title") or ""
        elif tag == "nav" and named.get("class") == "pager":
            self._in_pager = True
        elif tag == "a" and self._in_pager:
            self._href = named.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            row = self.page.rows[-1]
            row.cells[self._cell or ""] = " ".join(row.cells[self._cell or ""].split())
            self._cell = None
        elif tag == "pre":
            self._in_note = False
        elif tag == "nav":
            self._in_pager = False

    def handle_data(self, data: str) -> None:
        if self._in_note:
            self.page.rows[-1].note += data
        elif self._cell is not None:
            self.page.rows[-1].cells[self._cell] += data
        elif self._in_pager and self._href:
            self.page.links.append((data.strip(), self._href))
            self._href = ""


def _history(response: httpx.Response) -> HistoryPage:
    assert response.status_code == 200
    assert inline_code(response.text) == []
    reader = _HistoryReader()
    reader.feed(response.text)
    return reader.page
