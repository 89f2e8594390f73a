"""Ports of web sign-in: password hashing, console sessions and the sign-in throttle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from accord.domain.signin import Failures

if TYPE_CHECKING:
    from accord.services.ports import Account


class PasswordHasher(Protocol):
    """Slow, salted password hashes (Argon2id in production)."""

    def hash(self, password: str) -> str: ...
    def verify(self, stored: str, password: str) -> bool: ...
    def needs_rehash(self, stored: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: the same Account the API's tokens resolve to."""

    account: Account
    csrf_token: str
    expires_at: datetime


class SessionRepository(Protocol):
    def add(
        self, token_hash: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None: ...
    def find(self, token_hash: str, now: datetime) -> WebSession | None: ...
    def delete(self, token_hash: str) -> None: ...
    def delete_for_user(self, user_id: int) -> None: ...
    def delete_expired(self, now: datetime) -> None: ...
    def failures(self, keys: Sequence[str]) -> dict[str, Failures]: ...
    def record_failure(self, key: str, failures: Failures) -> None: ...
    def clear_failures(self, key: str) -> None: ...
