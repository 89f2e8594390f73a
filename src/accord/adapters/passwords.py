"""Argon2id password hashes (RFC 9106) through argon2-cffi, in PHC string format."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2PasswordHasher:
    """By default OWASP's Argon2id profile (19 MiB, 2 passes, 1 lane: about 0.1 s on a
    small server); hashes made with other parameters still verify, and ``needs_rehash``
    tells when to re-hash them at the next sign-in."""

    def __init__(self, *, time_cost: int = 2, memory_cost: int = 19456, lanes: int = 1) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=lanes, type=Type.ID
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
