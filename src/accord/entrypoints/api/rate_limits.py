"""Rate limits: a token bucket per caller, kept in this process's memory.

A caller is the API token, console session or federation peer a request proves, else its
client address (``proxies.client_address``; an IPv6 client by its /64, the block one
machine is usually given). Each bucket holds up to a burst of requests and refills at a
steady rate; a request that finds it empty is answered 429 with ``Retry-After``. Only
``/healthz`` is exempt, so load balancers' probes never see 429.

Credentials are not checked here, since that would cost a database read before any route
runs. A credential's own bucket is used only once a route has checked the credential and
vouched for it (``vouch_for_token``, ``vouch_for_session``); until then, and for every
made-up token, the request counts against its address, so inventing tokens does not escape
the address limit. A peer's key id is public, so a peer's signed request is counted only
after its signature verified (``admit_peer``), never on the key id alone.

Several worker processes each keep their own buckets: behind N processes a caller gets up
to N times the configured rate.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.config import Settings
from accord.entrypoints.api.problems import error_response
from accord.entrypoints.api.proxies import client_address
from accord.errors import AccordError, RateLimitedError

EXEMPT_PATHS = frozenset({"/healthz"})
MAX_CALLERS = 100_000  # buckets kept; past that, full (idle) ones and then the oldest go
_ADDRESS = "address:"
Monotonic = Callable[[], float]
CookieName = Callable[[Request], str]  # the session cookie's name for a request


@dataclass(frozen=True, slots=True)
class Limit:
    """``rate`` requests per second sustained, ``burst`` at once; a rate of 0: no limit."""

    rate: float
    burst: int


@dataclass(slots=True)
class TokenBucket:
    """Up to ``limit.burst`` tokens, refilled at ``limit.rate`` a second; a request takes one."""

    limit: Limit
    tokens: float
    updated_at: float

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0.0: one is), refilling up to ``now`` first."""
        if self.limit.rate <= 0:
            return 0.0
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(float(self.limit.burst), self.tokens + elapsed * self.limit.rate)
        self.updated_at = max(now, self.updated_at)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.limit.rate

    def take(self, now: float) -> float:
        """Take a token; 0.0 when one was taken, else the seconds until one is free."""
        wait = self.wait(now)
        if wait == 0.0 and self.limit.rate > 0:
            self.tokens -= 1
        return wait

    def is_full(self, now: float) -> bool:
        return self.wait(now) == 0.0 and self.tokens >= self.limit.burst


class RateLimiter:
    """Buckets by caller key (``address:…``, ``token:…``, ``session:…``, ``peer:…``);
    safe to share between the event loop and the thread pool."""

    def __init__(
        self,
        per_credential: Limit,
        per_address: Limit,
        *,
        clock: Monotonic = time.monotonic,
        max_callers: int = MAX_CALLERS,
    ) -> None:
        self._limits = (per_credential, per_address)
        self._clock = clock
        self._max_callers = max_callers
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> int:
        """Count a request of ``caller``: 0 when admitted, else whole seconds to wait."""
        with self._lock:
            return _seconds(self._bucket(caller).take(self._clock()))

    def wait(self, caller: str) -> int:
        """Whole seconds before ``caller`` may make a request (0: now); counts nothing."""
        with self._lock:
            return _seconds(self._bucket(caller).wait(self._clock()))

    def vouch(self, caller: str) -> None:
        """A route checked this credential: its requests now count against its own bucket."""
        with self._lock:
            self._bucket(caller)

    def is_vouched(self, caller: str) -> bool:
        with self._lock:
            return caller in self._buckets

    def _bucket(self, caller: str) -> TokenBucket:
        """The caller's bucket, a full one if it had none (an unlimited one stays full)."""
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= self._max_callers:
                self._forget_some()
            per_credential, per_address = self._limits
            limit = per_address if caller.startswith(_ADDRESS) else per_credential
            bucket = TokenBucket(limit, float(limit.burst), self._clock())
            self._buckets[caller] = bucket
        return bucket

    def _forget_some(self) -> None:
        """Forget full buckets (forgetting them changes nothing), then the oldest quarter."""
        now = self._clock()
        for caller in [c for c, b in self._buckets.items() if b.is_full(now)]:
            del self._buckets[caller]
        if len(self._buckets) >= self._max_callers:
            for caller in list(self._buckets)[: max(1, self._max_callers // 4)]:
                del self._buckets[caller]


def _seconds(wait: float) -> int:
    return 0 if wait <= 0 else max(1, math.ceil(wait))


def limiter_for(settings: Settings) -> RateLimiter:
    return RateLimiter(
        Limit(settings.rate_limit_token, settings.rate_limit_token_burst),
        Limit(settings.rate_limit_address, settings.rate_limit_address_burst),
    )


def address_key(address: str) -> str:
    """The bucket of a client address: an IPv6 address by its /64, anything else as is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _ADDRESS + address
    if ip.version == 6:
        return _ADDRESS + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return _ADDRESS + str(ip)


def token_key(token: str) -> str:
    return "token:" + hashlib.sha256(token.encode()).hexdigest()


def session_key(token: str) -> str:
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def caller_of(request: Request, limiter: RateLimiter, session_cookie: CookieName) -> str:
    """The bucket a request counts against: its credential's, if a route vouched for it,
    else its address's."""
    for credential in _credentials(request, session_cookie):
        if limiter.is_vouched(credential):
            return credential
    return address_key(client_address(request))


def _credentials(request: Request, session_cookie: CookieName) -> list[str]:
    found: list[str] = []
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        found.append(token_key(token.strip()))
    session = request.cookies.get(session_cookie(request))
    if session:
        found.append(session_key(session))
    return found


def refusal(wait_s: int) -> RateLimitedError:
    return RateLimitedError(f"too many requests; try again in {wait_s} s", wait_s)


class RateLimits:
    """ASGI middleware: every HTTP request but ``EXEMPT_PATHS`` counts against its caller's
    bucket before any route runs; signed requests to ``peer_paths`` are left to
    ``admit_peer``, which counts them once their signature has verified."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        *,
        peer_paths: frozenset[str],
        session_cookie: CookieName,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.peer_paths = peer_paths
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if scope["path"] in self.peer_paths and "signature-input" in request.headers:
            await self.app(scope, receive, send)
            return
        wait = self.limiter.take(caller_of(request, self.limiter, self.session_cookie))
        if wait:
            await error_response(refusal(wait))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _limiter(request: HTTPConnection) -> RateLimiter | None:
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    return limiter


def vouch_for_token(request: HTTPConnection, token: str) -> None:
    """The API token authenticated: its later requests count against its own bucket."""
    if (limiter := _limiter(request)) is not None:
        limiter.vouch(token_key(token))


def vouch_for_session(request: HTTPConnection, token: str) -> None:
    """The session cookie resumed a live session: as ``vouch_for_token``."""
    if (limiter := _limiter(request)) is not None:
        limiter.vouch(session_key(token))


def admit_peer(request: HTTPConnection, verify: Callable[[], str]) -> str:
    """The key id ``verify`` returns, this request counted against that peer's bucket. A
    request that does not verify counts against its address, and one from an address
    that is out of requests is refused before its signature is even checked."""
    limiter = _limiter(request)
    if limiter is None:
        return verify()
    address = address_key(client_address(request))
    if wait := limiter.wait(address):
        raise refusal(wait)
    try:
        key_id = verify()
    except AccordError:
        limiter.take(address)
        raise
    if wait := limiter.take(f"peer:{key_id}"):
        raise refusal(wait)
    return key_id
