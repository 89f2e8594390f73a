"""The log mirror: a peer's log read page by page, trusting nothing its key did not sign."""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger import merkle, notes
from accord.ledger.audit import ServedEntry
from accord.ledger.canonical import canonical_json, sha256_hex
from accord.ledger.mirror import Frontier, LogMirror, mirror_from_json, mirror_to_json
from accord.ledger.records import Envelope, key_id_of, new_salt, seal
from accord.ledger.signing import SigningKey

ORIGIN = "peer.example"
PUBLIC = {"tlp": "CLEAR", "audience": []}
SECRET = {"tlp": "RED", "audience": ["LV"]}


@dataclass
class PeerLog:
    """A peer's log built with real keys, signed records and signed checkpoints."""

    log_key: SigningKey = field(default_factory=SigningKey.generate)
    author_keys: dict[str, SigningKey] = field(default_factory=dict)
    entries: list[tuple[bytes, str, dict[str, object]]] = field(default_factory=list)
    seqs: dict[str, int] = field(default_factory=dict)

    @property
    def verifier(self) -> notes.Verifier:
        public = self.log_key.public_key.raw
        return notes.parse_verifier_key(notes.format_verifier_key(ORIGIN, public))

    def add(self, author: str, body: dict[str, object], scope: dict[str, object] = PUBLIC) -> None:
        if author not in self.author_keys:
            key = SigningKey.generate()
            self.author_keys[author] = key
            public = base64.b64encode(key.public_key.raw).decode()
            self._seal("key.registration", author, {"public_key": public}, PUBLIC)
        self._seal("note", author, body, scope)

    def rotate(self, author: str) -> None:
        """A rotation record signed with the old key; later records use the new one."""
        successor = SigningKey.generate()
        public = base64.b64encode(successor.public_key.raw).decode()
        self._seal("key.rotation", author, {"public_key": public}, PUBLIC)
        self.author_keys[author] = successor

    def forge(self, author: str, body: dict[str, object]) -> None:
        """A record naming the author's current key but signed by some other key."""
        self._seal("note", author, body, PUBLIC, signer=SigningKey.generate())

    def _seal(
        self,
        kind: str,
        author: str,
        body: dict[str, object],
        scope: dict[str, object],
        signer: SigningKey | None = None,
    ) -> None:
        self.seqs[author] = self.seqs.get(author, 0) + 1
        key = self.author_keys[author]
        text = canonical_json(body)
        envelope = Envelope(
            kind=kind,
            author=author,
            seq=self.seqs[author],
            created_at=datetime(2026, 11, 24, tzinfo=UTC),
            scope=scope,
            body_digest=sha256_hex(text),
            salt=new_salt(),
            key_id=key_id_of(key.public_key.raw),
        )
        record = seal(envelope, (signer or key).sign)
        self.entries.append((record.entry, text.decode(), scope))

    def checkpoint(self, size: int | None = None) -> str:
        size = len(self.entries) if size is None else size
        root = merkle.root_of_leaves(self.leaves()[:size])
        body = notes.Checkpoint(ORIGIN, size, root).format()
        return notes.sign_note(body, ORIGIN, self.log_key)

    def leaves(self) -> list[bytes]:
        return [merkle.leaf_hash(entry) for entry, _body, _scope in self.entries]

    def served(self, start: int, end: int, reader: str = "LV") -> list[ServedEntry]:
        out = []
        for index in range(start, end):
            entry, body, scope = self.entries[index]
            visible = scope["tlp"] == "CLEAR" or reader in scope["audience"]  # type: ignore[operator]
            leaf = merkle.leaf_hash(entry)
            out.append(
                ServedEntry(index, leaf, entry, body) if visible else ServedEntry(index, leaf)
            )
        return out

    def consistency(self, old: int, new: int) -> list[bytes]:
        leaves = self.leaves()[:new]
        nodes: dict[tuple[int, int], bytes] = {}
        for node_id, value in merkle.nodes_to_store(0, leaves, {}):
            nodes[node_id] = value
        if old == new:
            return []
        return merkle.consistency_proof(old, new, lambda ids: {i: nodes[i] for i in ids})


def _sync(mirror: LogMirror, peer: PeerLog, page: int, reader: str = "LV") -> list[int]:
    """Read everything the checkpoint holds, page by page; returns accepted indexes."""
    assert mirror.checkpoint is not None
    size = mirror.checkpoint.checkpoint.size
    accepted = []
    while mirror.frontier.size < size:
        start = mirror.frontier.size
        end = min(start + page, size)
        result = mirror.read_page(peer.served(start, end, reader), peer.consistency(end, size))
        assert result.findings == [], result.findings
        accepted += [v.index for v in result.accepted]
    return accepted


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40), max_size=70), st.integers(0, 70))
def test_a_frontier_hashes_like_the_whole_tree(entries: list[bytes], split: int) -> None:
    leaves = [merkle.leaf_hash(e) for e in entries]
    split = min(split, len(leaves))
    frontier = Frontier().extend(leaves[:split]).extend(leaves[split:])
    assert frontier.root() == merkle.root_of_leaves(leaves)
    assert Frontier.from_json(json.loads(json.dumps(frontier.to_json()))) == frontier


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 17), st.integers(0, 2**32))
def test_every_entry_within_scope_is_accepted_once_whatever_the_pages(
    count: int, page: int, seed: int
) -> None:
    rng = random.Random(seed)
    peer = PeerLog()
    for n in range(count):
        peer.add(rng.choice(["EE", "LT"]), {"n": n}, rng.choice([PUBLIC, SECRET]))
    mirror = LogMirror(peer.verifier)
    assert mirror.offer_checkpoint(peer.checkpoint(), None) == []
    accepted = _sync(mirror, peer, page)
    assert accepted == list(range(len(peer.entries)))  # LV is in every audience here
    outsider = LogMirror(peer.verifier)
    outsider.offer_checkpoint(peer.checkpoint(), None)
    seen = _sync(outsider, peer, page, reader="FI")
    expected = [i for i, (_e, _b, scope) in enumerate(peer.entries) if scope is PUBLIC]
    assert seen == expected
    assert outsider.frontier.root() == mirror.frontier.root()


def test_it_follows_a_growing_log_checking_consistency() -> None:
    peer = PeerLog()
    mirror = LogMirror(peer.verifier)
    for round_ in range(4):
        for n in range(5):
            peer.add("EE", {"round": round_, "n": n})
        old = mirror.checkpoint.checkpoint.size if mirror.checkpoint else 0
        proof = peer.consistency(old, len(peer.entries)) if old else None
        assert mirror.offer_checkpoint(peer.checkpoint(), proof) == []
        _sync(mirror, peer, 4)
    assert mirror.frontier.size == len(peer.entries)
    assert mirror.behind == 0


def test_a_rewritten_history_is_equivocation_with_both_notes() -> None:
    peer = PeerLog()
    for n in range(6):
        peer.add("EE", {"n": n})
    mirror = LogMirror(peer.verifier)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    _sync(mirror, peer, 3)
    first = peer.checkpoint()
    forked = PeerLog(log_key=peer.log_key, author_keys=dict(peer.author_keys))
    forked.entries = list(peer.entries[:3])
    forked.seqs = {"EE": 2}
    for n in range(5):
        forked.add("EE", {"rewritten": n})
    findings = mirror.offer_checkpoint(forked.checkpoint(), forked.consistency(6, 8))
    assert [f.code for f in findings] == ["EQUIVOCATION"]
    assert first in findings[0].evidence
    assert mirror.checkpoint is not None
    assert mirror.checkpoint.note == first  # the fork was not taken


def test_a_checkpoint_the_pinned_key_did_not_sign_is_refused() -> None:
    peer = PeerLog()
    peer.add("EE", {"n": 1})
    impostor = PeerLog(entries=peer.entries)
    findings = LogMirror(peer.verifier).offer_checkpoint(impostor.checkpoint(), None)
    assert [f.code for f in findings] == ["BAD_CHECKPOINT"]


def test_a_page_that_is_not_in_the_signed_tree_is_not_kept() -> None:
    peer = PeerLog()
    for n in range(8):
        peer.add("EE", {"n": n})
    mirror = LogMirror(peer.verifier)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    page = peer.served(0, 4)
    swapped = [page[0], page[2], page[1], page[3]]
    swapped = [ServedEntry(i, s.leaf_hash, s.entry, s.body) for i, s in enumerate(swapped)]
    result = mirror.read_page(swapped, peer.consistency(4, 9))
    assert [f.code for f in result.findings] == ["NOT_IN_SIGNED_TREE"]
    assert result.accepted == []
    assert mirror.frontier.size == 0


def test_an_altered_body_or_forged_signature_is_found_and_not_accepted() -> None:
    peer = PeerLog()
    for n in range(4):
        peer.add("EE", {"n": n})
    mirror = LogMirror(peer.verifier)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    page = peer.served(0, 5)
    altered = page[2]
    page[2] = ServedEntry(altered.index, altered.leaf_hash, altered.entry, '{"n":99}')
    result = mirror.read_page(page, [])
    # The body may have been garbled on the way: the mirror stops before it, to read it
    # again, rather than pass over a record it could still get whole.
    assert result.retry is not None
    assert result.retry.code == "BODY_ALTERED"
    assert result.findings == []
    assert [v.index for v in result.accepted] == [0, 1]
    assert mirror.frontier.size == 2
    again = mirror.read_page(peer.served(2, 5), [])
    assert again.retry is None
    assert [v.index for v in again.accepted] == [2, 3, 4]


def test_an_entry_garbled_on_the_way_is_read_again_not_passed_over() -> None:
    peer = PeerLog()
    for n in range(4):
        peer.add("EE", {"n": n})
    mirror = LogMirror(peer.verifier)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    page = peer.served(0, 5)
    garbled = page[0]  # the key registration: losing it would strand every later record
    assert garbled.entry is not None
    page[0] = ServedEntry(
        garbled.index, garbled.leaf_hash, garbled.entry[:-2] + b"x}", garbled.body
    )
    first = mirror.read_page(page, [])
    assert first.retry is not None
    assert first.retry.code == "LEAF_MISMATCH"
    assert first.accepted == []
    assert mirror.frontier.size == 0
    again = mirror.read_page(peer.served(0, 5), [])
    assert again.findings == []
    assert [v.index for v in again.accepted] == [0, 1, 2, 3, 4]


def test_an_entry_served_out_of_order_is_refused() -> None:
    peer = PeerLog()
    for n in range(4):
        peer.add("EE", {"n": n})
    mirror = LogMirror(peer.verifier)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    result = mirror.read_page(peer.served(1, 3), peer.consistency(3, 5))
    assert [f.code for f in result.findings] == ["WRONG_RANGE"]


def test_a_mirror_saved_and_restored_goes_on_where_it_stopped() -> None:
    peer = PeerLog()
    for n in range(7):
        peer.add("EE", {"n": n})
    mirror = LogMirror(peer.verifier)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    first = mirror.read_page(peer.served(0, 5), peer.consistency(5, 8))
    restored = mirror_from_json(peer.verifier, json.loads(json.dumps(mirror_to_json(mirror))))
    rest = restored.read_page(peer.served(5, 8), [])
    assert rest.findings == []
    assert [v.index for v in first.accepted + rest.accepted] == list(range(8))
    assert restored.frontier.root() == merkle.root_of_leaves(peer.leaves())


def test_signatures_checked_ahead_in_parallel_still_catch_forgeries_and_follow_rotations() -> None:
    # Pages after the first are verified ahead on several threads with the keys known at
    # the page's start; a forgery must still be found, and after a rotation in mid-page
    # the new key (not the vouched old one) must decide: the retired key signs no more.
    peer = PeerLog()
    peer.add("EE", {"n": 0})
    for n in range(1, 200):
        peer.add("EE", {"n": n})
    forged = len(peer.entries)
    peer.forge("EE", {"n": "forged-before"})
    retired = peer.author_keys["EE"]
    peer.rotate("EE")
    for n in range(200, 400):
        peer.add("EE", {"n": n})
    current = peer.author_keys["EE"]
    peer.author_keys["EE"] = retired  # the key of the page's start, retired by then
    stale = len(peer.entries)
    peer.add("EE", {"n": "signed-with-the-retired-key"})
    peer.author_keys["EE"] = current
    mirror = LogMirror(peer.verifier)
    size = len(peer.entries)
    mirror.offer_checkpoint(peer.checkpoint(), None)
    first = mirror.read_page(peer.served(0, 2), peer.consistency(2, size))
    rest = mirror.read_page(peer.served(2, size), [])
    bad = [f.message for f in rest.findings if f.code == "BAD_SIGNATURE"]
    assert len(bad) == 2, rest.findings
    assert bad[0].startswith(f"entry {forged} ")
    assert bad[1].startswith(f"entry {stale} ")
    accepted = {v.index for v in first.accepted + rest.accepted}
    assert accepted == set(range(size)) - {forged, stale}
