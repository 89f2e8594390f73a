"""Signing in to the web console: the password rule, the throttle's back-off, and the
tokens a session is made of. Pure: the hashing is a port (``PasswordHasher``).

The throttle counts failed sign-ins per key (a username, a client address). The first
``free_failures`` cost nothing; after that each failure locks the key for ``base`` seconds,
doubling with every further failure up to ``cap``. A key's count is forgotten once it has
seen no failure for ``forget_after``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from accord.errors import InvalidInputError, Problem

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # Argon2 takes any length; this bounds the work per attempt
SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int
    base: timedelta
    cap: timedelta
    forget_after: timedelta = timedelta(hours=1)


# Per username: five tries, then 15 s, 30 s, 1 min … up to 15 min between tries.
USER_THROTTLE = ThrottlePolicy(5, timedelta(seconds=15), timedelta(minutes=15))
# Per client address: more room (people share addresses behind NAT), same back-off.
ADDRESS_THROTTLE = ThrottlePolicy(20, timedelta(seconds=15), timedelta(minutes=15))


@dataclass(frozen=True, slots=True)
class Failures:
    count: int
    last_failed_at: datetime


def check_password(password: str) -> None:
    """Raise InvalidInputError unless ``password`` may be set."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            Problem(
                "/password",
                "TOO_SHORT",
                f"a password has at least {MIN_PASSWORD_LENGTH} characters",
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(
            Problem("/password", "TOO_LONG", f"a password has at most {MAX_PASSWORD_LENGTH}")
        )
    if password != password.strip():
        problems.append(
            Problem("/password", "SURROUNDING_SPACE", "a password cannot start or end with space")
        )
    if problems:
        raise InvalidInputError("the password cannot be used", problems)


def current(failures: Failures | None, policy: ThrottlePolicy, now: datetime) -> Failures | None:
    """``failures`` unless they are old enough to be forgotten."""
    if failures is None or now - failures.last_failed_at >= policy.forget_after:
        return None
    return failures


def locked_until(failures: Failures | None, policy: ThrottlePolicy) -> datetime | None:
    """When a key with these failures may try again; None when it may now."""
    if failures is None or failures.count < policy.free_failures:
        return None
    doublings = min(failures.count - policy.free_failures, 30)
    delay = min(policy.base * (1 << doublings), policy.cap)
    return failures.last_failed_at + delay


def new_session_token() -> tuple[str, str]:
    """A session cookie's value and the hash that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_session_token(token)


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token with what a form sent."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
