"""Writing records: sign each statement with its author's key, sequence it, log it.

Every use case that makes a statement goes through ``RecordWriter`` inside its own unit
of work: ``draft`` prepares a statement, ``write`` numbers the drafts (one block of
sequence numbers per author), signs them, gives them dense log indexes, stores them with
their tree nodes in a few statements, and returns them in order so the caller can update
its projections. The checkpoint covering them is signed by ``LogService`` in
the same transaction, so a receipt's log index is covered the moment it is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.domain.sharing import Scope
from accord.ledger import merkle
from accord.ledger.canonical import canonical_json, sha256_hex
from accord.ledger.records import Envelope, SignedRecord, key_id_of, new_salt, seal
from accord.services.ports import Clock, Keys, NewRecord, StoredRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class Draft:
    """A statement ready to be numbered, signed and written."""

    kind: str
    author: str
    signer: str
    scope: dict[str, Any]
    body: str
    body_digest: str
    content_type: str
    original: bytes
    original_digest: str  # signed in the envelope: served bytes are the signed ones
    received_at: datetime


class RecordWriter:
    def __init__(self, keys: Keys, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock

    def draft(
        self,
        *,
        kind: str,
        author: str,
        scope: Scope,
        body: dict[str, Any],
        content_type: str = "application/json",
        original: bytes | None = None,
        signer: str | None = None,
        canonical_body: bytes | None = None,
    ) -> Draft:
        """A statement by ``author``, to be signed with ``signer``'s key if given (a key
        registration is signed by the new key itself). ``canonical_body`` saves
        canonicalising a body the caller has already canonicalised."""
        text = canonical_body if canonical_body is not None else canonical_json(body)
        kept = original or text
        return Draft(
            kind=kind,
            author=author,
            signer=signer or author,
            scope=scope.to_json(),
            body=text.decode("utf-8"),
            body_digest=sha256_hex(text),
            content_type=content_type,
            original=kept,
            original_digest=sha256_hex(kept),
            received_at=self._clock.now(),
        )

    def write(self, uow: UnitOfWork, drafts: Sequence[Draft]) -> list[StoredRecord]:
        """Number, sign, log and store ``drafts`` in order, in the caller's transaction."""
        if not drafts:
            return []
        sealed = [
            self._seal(draft, seq) for draft, seq in zip(drafts, _numbers(uow, drafts), strict=True)
        ]
        first = uow.log.append([merkle.leaf_hash(record.entry) for record in sealed])
        return uow.records.append_many(
            [
                NewRecord(
                    record,
                    first + offset,
                    draft.received_at,
                    draft.content_type,
                    draft.original,
                    draft.body,
                )
                for offset, (draft, record) in enumerate(zip(drafts, sealed, strict=True))
            ]
        )

    def _seal(self, draft: Draft, seq: int) -> SignedRecord:
        envelope = Envelope(
            kind=draft.kind,
            author=draft.author,
            seq=seq,
            created_at=draft.received_at,
            scope=draft.scope,
            body_digest=draft.body_digest,
            salt=new_salt(),
            key_id=key_id_of(self._keys.public_key(draft.signer)),
            original_digest=draft.original_digest,
        )
        return seal(envelope, lambda message: self._keys.sign(draft.signer, message))


def _numbers(uow: UnitOfWork, drafts: Sequence[Draft]) -> list[int]:
    """Each draft's sequence number: one claim of a block per author, in draft order."""
    counts: dict[str, int] = {}
    for draft in drafts:
        counts[draft.author] = counts.get(draft.author, 0) + 1
    following = {author: uow.records.claim_seqs(author, n) for author, n in counts.items()}
    numbers = []
    for draft in drafts:
        numbers.append(following[draft.author])
        following[draft.author] += 1
    return numbers
