"""Participant signing keys as records: registration and rotation are statements in the log.

A registration (``key.registration``) is signed by the new key itself; a rotation
(``key.rotation``) is signed by the key it replaces, naming its successor. Both are
TLP:CLEAR, so any auditor can rebuild every participant's key history from the log alone
and check each record against the key that was current when it was made.
"""

from __future__ import annotations

import base64
from typing import Any

from accord.domain.sharing import Scope, Tlp
from accord.errors import ConflictError
from accord.ledger.records import key_id_of
from accord.ledger.signing import check_public_key
from accord.services.log import LogService
from accord.services.ports import Clock, Keys, UnitOfWork, UnitOfWorkFactory
from accord.services.records import RecordWriter

KEY_REGISTRATION = "key.registration"
KEY_ROTATION = "key.rotation"
PUBLIC = Scope(Tlp.CLEAR)


class KeyService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        keys: Keys,
        writer: RecordWriter,
        log: LogService,
        authors: frozenset[str] = frozenset(),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._keys = keys
        self._writer = writer
        self._log = log
        self._authors = authors

    def writes_for(self, participant: str) -> bool:
        """Whether this node writes records for ``participant`` (every participant unless
        ACCORD_AUTHORS names some: in a federation each is written for by one node)."""
        return not self._authors or participant in self._authors

    def on_participant_added(self, uow: UnitOfWork, participant: str) -> None:
        if self.writes_for(participant):
            self.register(uow, participant)

    def ensure_log_key(self) -> str:
        if not self._keys.has("log"):
            self._keys.create("log")
        return self._log.verifier_key

    def register(self, uow: UnitOfWork, participant: str) -> dict[str, Any]:
        """Create and register ``participant``'s first key inside the caller's transaction."""
        if uow.keys.current(participant) is not None:
            raise ConflictError(f"{participant} already has a key; rotate it instead")
        public = (
            self._keys.public_key(participant)
            if self._keys.has(participant)
            else self._keys.create(participant)
        )
        check_public_key(public)
        body = {"algorithm": "ed25519", "public_key": _b64(public)}
        draft = self._writer.draft(
            kind=KEY_REGISTRATION, author=participant, scope=PUBLIC, body=body
        )
        (record,) = self._writer.write(uow, [draft])
        uow.keys.add(participant, key_id_of(public), public, self._clock.now())
        self._log.sign_checkpoint(uow)
        return {
            "participant": participant,
            "key_id": key_id_of(public),
            "record_id": record.record_id,
            "log_index": record.log_index,
        }

    def register_missing(self) -> list[dict[str, Any]]:
        """Register a key for every participant that has none (older nodes, new installs)."""
        registered = []
        with self._uow() as uow:
            for code in sorted(uow.identity.participant_codes()):
                if self.writes_for(code) and uow.keys.current(code) is None:
                    registered.append(self.register(uow, code))
        return registered

    def rotate(self, participant: str) -> dict[str, Any]:
        """Replace ``participant``'s key; the rotation record is signed by the old key."""
        if not self.writes_for(participant):
            # Its private key lives on the node that writes for it; a rotation here would be
            # signed by nobody's key, or by a stray one that the federation would reject.
            raise ConflictError(
                f"this node does not write for {participant} (ACCORD_AUTHORS); "
                "rotate its key on the node that does"
            )
        with self._uow() as uow:
            old = uow.keys.current(participant)
            if old is None:
                raise ConflictError(f"{participant} has no key to rotate; generate one")
            staged = self._keys.stage(participant)
            check_public_key(staged)
            body = {
                "algorithm": "ed25519",
                "public_key": _b64(staged),
                "previous_key": key_id_of(old),
            }
            draft = self._writer.draft(
                kind=KEY_ROTATION, author=participant, scope=PUBLIC, body=body
            )
            (record,) = self._writer.write(uow, [draft])
            now = self._clock.now()
            uow.keys.retire(participant, now)
            uow.keys.add(participant, key_id_of(staged), staged, now)
            self._log.sign_checkpoint(uow)
        self._keys.promote(participant)
        return {
            "participant": participant,
            "key_id": key_id_of(staged),
            "previous_key_id": key_id_of(old),
            "record_id": record.record_id,
            "log_index": record.log_index,
        }

    def published(self) -> dict[str, Any]:
        """The node's log verifier key and every participant key, current and retired."""
        with self._uow(readonly=True) as uow:
            keys = uow.keys.all()
        return {"log": self._log.verifier_key, "participants": keys}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
