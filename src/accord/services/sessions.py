"""Use cases of web sign-in: set a password, sign in (throttled), resume a session, sign out.

A session resolves to the same ``Account`` an API token does, so the console's pages read
through exactly the scope checks the API applies.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from accord.domain import signin
from accord.domain.signin import ADDRESS_THROTTLE, USER_THROTTLE, Failures, ThrottlePolicy
from accord.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from accord.services.session_ports import PasswordHasher, WebSession

WRONG_CREDENTIALS = "The username or password is not right."


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # the cookie's value: shown to the browser once, stored only hashed
    session: WebSession


@dataclass(frozen=True, slots=True)
class Refused:
    message: str
    retry_after_s: int | None = None  # set when the throttle refused without checking


class SessionService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._decoy: str | None = None

    def set_password(self, username: str, password: str) -> None:
        """Set ``username``'s password; their open sessions end."""
        signin.check_password(password)
        hashed = self._hasher.hash(password)
        with self._uow() as uow:
            user_id = uow.identity.set_password_hash(username, hashed)
            uow.sessions.delete_for_user(user_id)

    def sign_in(self, username: str, password: str, address: str) -> SignedIn | Refused:
        now = self._clock.now()
        username = username.strip().lower()[:100]
        keys = {f"user:{username}": USER_THROTTLE, f"address:{address[:100]}": ADDRESS_THROTTLE}
        with self._uow(readonly=True) as uow:
            failures = uow.sessions.failures(list(keys))
            found = uow.identity.find_password(username)
        wait = _wait(failures, keys, now)
        if wait is not None:
            seconds = max(1, math.ceil((wait - now).total_seconds()))
            return Refused(
                f"Too many failed sign-ins from here or for this account. "
                f"Try again in {_duration(seconds)}.",
                seconds,
            )
        stored = found[1] if found is not None else None
        if found is None or stored is None or len(password) > signin.MAX_PASSWORD_LENGTH:
            self._hasher.verify(self._decoy_hash(), password)  # the same time either way
            return self._failed(keys, now)
        if not self._hasher.verify(stored, password):
            return self._failed(keys, now)
        return self._open(found[0].username, found[0].user_id, password, stored, now)

    def resume(self, token: str) -> WebSession | None:
        """The session a cookie names, None when it is unknown, ended or expired."""
        if not token or len(token) > 200:
            return None
        with self._uow(readonly=True) as uow:
            return uow.sessions.find(signin.hash_session_token(token), self._clock.now())

    def sign_out(self, token: str) -> None:
        with self._uow() as uow:
            uow.sessions.delete(signin.hash_session_token(token))

    def _open(
        self, username: str, user_id: int, password: str, stored: str, now: datetime
    ) -> SignedIn:
        token, token_hash = signin.new_session_token()
        csrf = signin.new_csrf_token()
        expires_at = now + signin.SESSION_LIFETIME
        rehashed = self._hasher.hash(password) if self._hasher.needs_rehash(stored) else None
        with self._uow() as uow:
            uow.sessions.clear_failures(f"user:{username}")
            uow.sessions.delete_expired(now)
            uow.sessions.add(token_hash, user_id, csrf, now, expires_at)
            if rehashed is not None:
                uow.identity.set_password_hash(username, rehashed)
            session = uow.sessions.find(token_hash, now)
        assert session is not None
        return SignedIn(token, session)

    def _failed(self, keys: dict[str, ThrottlePolicy], now: datetime) -> Refused:
        with self._uow() as uow:
            _count_failure(uow, keys, now)
        return Refused(WRONG_CREDENTIALS)

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._decoy


def _wait(
    failures: dict[str, Failures], keys: dict[str, ThrottlePolicy], now: datetime
) -> datetime | None:
    """The latest time any key is locked until, if that is still ahead."""
    until = [
        signin.locked_until(signin.current(failures.get(key), policy, now), policy)
        for key, policy in keys.items()
    ]
    latest = max((t for t in until if t is not None), default=None)
    return latest if latest is not None and latest > now else None


def _count_failure(uow: UnitOfWork, keys: dict[str, ThrottlePolicy], now: datetime) -> None:
    failures = uow.sessions.failures(list(keys))
    for key, policy in keys.items():
        previous = signin.current(failures.get(key), policy, now)
        count = previous.count + 1 if previous is not None else 1
        uow.sessions.record_failure(key, Failures(count, now))


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
