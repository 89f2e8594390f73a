"""Writing records: sign each statement with its author's key, sequence it, log it.

Every use case that makes a statement goes through ``RecordWriter`` inside its own unit
of work: ``seal`` numbers and signs a statement, ``write`` gives the sealed records dense
log indexes, stores them with their tree nodes, and returns them in order so the caller
can update its projections. The checkpoint covering them is signed by ``LogService`` in
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
from accord.services.ports import Clock, Keys, StoredRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class Draft:
    """A sealed record not yet written."""

    record: SignedRecord
    body: str
    content_type: str
    original: bytes
    received_at: datetime


class RecordWriter:
    def __init__(self, keys: Keys, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock

    def seal(
        self,
        uow: UnitOfWork,
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
        """Number and sign a statement by ``author`` (with ``signer``'s key if given: a key
        registration is signed by the new key itself). ``canonical_body`` saves
        canonicalising a body the caller has already canonicalised."""
        now = self._clock.now()
        key_name = signer or author
        text = canonical_body if canonical_body is not None else canonical_json(body)
        envelope = Envelope(
            kind=kind,
            author=author,
            seq=uow.records.next_seq(author),
            created_at=now,
            scope=scope.to_json(),
            body_digest=sha256_hex(text),
            salt=new_salt(),
            key_id=key_id_of(self._keys.public_key(key_name)),
        )
        record = seal(envelope, lambda message: self._keys.sign(key_name, message))
        return Draft(record, text.decode("utf-8"), content_type, original or text, now)

    def write(self, uow: UnitOfWork, drafts: Sequence[Draft]) -> list[StoredRecord]:
        if not drafts:
            return []
        first = uow.log.append([merkle.leaf_hash(d.record.entry) for d in drafts])
        return [
            uow.records.append(
                draft.record,
                log_index=first + offset,
                received_at=draft.received_at,
                content_type=draft.content_type,
                original=draft.original,
                body=draft.body,
            )
            for offset, draft in enumerate(drafts)
        ]
