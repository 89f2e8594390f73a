"""Use cases for participants, agencies, users and API tokens; one transaction each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accord.domain import identity, senders
from accord.domain.identity import Role
from accord.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from accord.services.ports import Account, Clock, UnitOfWork, UnitOfWorkFactory


def require_admin(account: Account) -> None:
    if account.role is not Role.ADMIN:
        raise PermissionDeniedError("only a node admin may do this")


class IdentityService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        on_participant_added: Callable[[UnitOfWork, str], object] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._on_participant_added = on_participant_added

    def authenticate(self, token: str) -> Account:
        with self._uow(readonly=True) as uow:
            account = uow.identity.find_account(identity.hash_token(token))
        if account is None:
            raise AuthenticationError("the API token is unknown or revoked")
        return account

    def add_participant(self, code: str, name: str, kind: str) -> dict[str, Any]:
        participant = identity.validate_participant(code, name, kind)
        with self._uow() as uow:
            added = uow.identity.add_participant(participant, self._clock.now())
            if self._on_participant_added is not None:
                self._on_participant_added(uow, participant.code)
            return added

    def list_participants(self) -> list[dict[str, Any]]:
        with self._uow(readonly=True) as uow:
            return uow.identity.list_participants()

    def add_sender(self, participant: str, sender: str) -> dict[str, Any]:
        """Register a CAP sender (address or domain) as ``participant``'s own."""
        cleaned = senders.validate_sender(sender)
        with self._uow() as uow:
            return uow.identity.add_sender(participant.upper(), cleaned, self._clock.now())

    def remove_sender(self, sender: str) -> None:
        with self._uow() as uow:
            if uow.identity.remove_sender(sender.strip().lower(), self._clock.now()) == 0:
                raise NotFoundError(f"no registration of the sender {sender!r}")

    def list_senders(self) -> list[dict[str, str]]:
        with self._uow(readonly=True) as uow:
            held = uow.identity.senders()
        current = [(s, r) for s, r in held if r.removed_at is None]
        return [
            {"sender": s, "participant": r.participant}
            for s, r in sorted(current, key=lambda pair: pair[0])
        ]

    def add_agency(
        self, participant: str, name: str, sector: str, jurisdiction: object
    ) -> dict[str, Any]:
        agency = identity.validate_agency(participant, name, sector, jurisdiction)
        with self._uow() as uow:
            return uow.identity.add_agency(agency, self._clock.now())

    def list_agencies(self, participant: str | None = None) -> list[dict[str, Any]]:
        with self._uow(readonly=True) as uow:
            return uow.identity.list_agencies(participant.upper() if participant else None)

    def add_user(
        self, username: str, role: str, participant: str | None, agency: str | None = None
    ) -> dict[str, Any]:
        user = identity.validate_user(username, role, participant)
        user = identity.NewUser(user.username, user.role, user.participant, agency)
        with self._uow() as uow:
            return uow.identity.add_user(user, self._clock.now())

    def list_users(self) -> list[dict[str, Any]]:
        with self._uow(readonly=True) as uow:
            return uow.identity.list_users()

    def issue_token(self, username: str, label: str = "") -> dict[str, Any]:
        """A new token for ``username``; the only time the token itself is ever returned."""
        token, token_hash = identity.new_token()
        with self._uow() as uow:
            token_id = uow.identity.add_token(username, token_hash, label, self._clock.now())
        return {"id": token_id, "username": username, "label": label, "token": token}

    def list_tokens(self, username: str | None = None) -> list[dict[str, Any]]:
        with self._uow(readonly=True) as uow:
            return uow.identity.list_tokens(username)

    def revoke_token(self, token_id: int) -> None:
        with self._uow() as uow:
            uow.identity.revoke_token(token_id, self._clock.now())
