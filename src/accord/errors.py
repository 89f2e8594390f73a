"""Accord's one error tree. Entry points map these to HTTP problems and exit codes.

    AccordError
    ├── InvalidInputError      bad data (schema, CAP rules) — carries every problem
    ├── AuthenticationError    no or unknown credentials
    ├── NotFoundError
    ├── ConflictError          illegal transition, duplicate with different content
    ├── PermissionDeniedError
    ├── VerificationError      signature, proof, checkpoint — always fail closed
    │   └── ConsistencyError   a log does not extend what we saw (possible fork)
    ├── PeerError
    ├── RateLimitedError       too many requests from one caller; says when to retry
    └── ConfigurationError

No HTTP status codes live here: the API decides those in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (XPath or JSON pointer), what rule, in words."""

    location: str
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.message} [{self.code}]"


class AccordError(Exception):
    """Root of every error Accord raises on purpose."""


class InvalidInputError(AccordError):
    """The input breaks the schema or a rule; ``problems`` lists every error found."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class AuthenticationError(AccordError):
    """The request carries no credentials, or ones the node does not know."""


class NotFoundError(AccordError):
    """The thing asked for does not exist, or the reader may not know that it does."""


class ConflictError(AccordError):
    """The request contradicts what the node already holds."""


class PermissionDeniedError(AccordError):
    """The caller is known but their role or scope does not allow this; ``problems`` may
    say which part of the input asked for it (a sender, a reference)."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class VerificationError(AccordError):
    """A signature, proof or checkpoint did not verify; callers must fail closed."""


class ConsistencyError(VerificationError):
    """A log did not prove that it extends the tree we saw before: a possible fork."""


class PeerError(AccordError):
    """A peer node misbehaved or could not be reached."""


class RateLimitedError(AccordError):
    """The caller spent its request allowance; ``retry_after_s`` is when one is free again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ConfigurationError(AccordError):
    """Settings are missing, malformed, or unsafe for the chosen mode."""
