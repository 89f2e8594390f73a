"""Rate limits: token buckets per caller, the middleware's 429s, vouching and peers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from accord.entrypoints.api import problems
from accord.entrypoints.api.rate_limits import (
    Limit,
    RateLimiter,
    RateLimits,
    TokenBucket,
    address_key,
    admit_peer,
    token_key,
    vouch_for_token,
)
from accord.errors import AuthenticationError, RateLimitedError


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(clock: FakeMonotonic, credential: Limit, address: Limit, **kw: int) -> RateLimiter:
    return RateLimiter(credential, address, clock=clock, **kw)


def test_a_bucket_admits_its_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(Limit(rate=2, burst=3), tokens=3, updated_at=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)


def test_a_bucket_refills_at_its_rate_and_never_above_its_burst() -> None:
    bucket = TokenBucket(Limit(rate=2, burst=3), tokens=0, updated_at=0.0)
    assert bucket.take(0.5) == 0.0
    assert bucket.take(0.5) > 0
    assert bucket.is_full(100.0)
    assert [bucket.take(100.0) for _ in range(4)][-1] > 0  # three, not two hundred


def test_a_clock_going_backwards_refills_nothing() -> None:
    bucket = TokenBucket(Limit(rate=1, burst=1), tokens=0, updated_at=10.0)
    assert bucket.take(5.0) > 0
    assert bucket.take(10.5) > 0


def test_the_limiter_keeps_a_bucket_per_caller_and_rounds_waits_up() -> None:
    clock = FakeMonotonic()
    limiter = _limiter(clock, Limit(10, 5), Limit(0.25, 1))
    assert limiter.take("address:192.0.2.1") == 0
    assert limiter.take("address:192.0.2.1") == 4
    assert limiter.take("address:192.0.2.2") == 0
    assert [limiter.take("token:a") for _ in range(6)] == [0, 0, 0, 0, 0, 1]


def test_waiting_counts_nothing() -> None:
    limiter = _limiter(FakeMonotonic(), Limit(1, 1), Limit(1, 1))
    assert limiter.wait("address:192.0.2.1") == 0
    assert limiter.wait("address:192.0.2.1") == 0
    assert limiter.take("address:192.0.2.1") == 0
    assert limiter.wait("address:192.0.2.1") == 1


def test_a_rate_of_zero_limits_nothing() -> None:
    limiter = _limiter(FakeMonotonic(), Limit(0, 1), Limit(0, 1))
    assert all(limiter.take("address:192.0.2.1") == 0 for _ in range(100))


def test_unlimited_tokens_are_still_vouched_for_so_the_address_limit_spares_them() -> None:
    limiter = _limiter(FakeMonotonic(), Limit(0, 1), Limit(1, 1))
    limiter.vouch("token:a")
    assert limiter.is_vouched("token:a")
    assert all(limiter.take("token:a") == 0 for _ in range(100))


def test_a_credential_has_its_own_bucket_only_once_vouched_for() -> None:
    limiter = _limiter(FakeMonotonic(), Limit(1, 1), Limit(1, 1))
    assert not limiter.is_vouched("token:a")
    limiter.vouch("token:a")
    assert limiter.is_vouched("token:a")


def test_when_full_the_limiter_forgets_idle_buckets_before_busy_ones() -> None:
    clock = FakeMonotonic()
    limiter = _limiter(clock, Limit(1, 2), Limit(1, 2), max_callers=2)
    limiter.take("address:192.0.2.1")
    limiter.take("address:192.0.2.1")  # spent
    limiter.vouch("token:idle")  # full
    limiter.take("address:192.0.2.3")
    assert limiter.take("address:192.0.2.1") > 0  # remembered: still spent
    assert not limiter.is_vouched("token:idle")


def test_an_ipv6_client_is_limited_by_its_64_block() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("192.0.2.1") != address_key("192.0.2.2")
    assert address_key("testclient") == "address:testclient"


class Client:
    """The app in process, over httpx's ASGI transport, from 127.0.0.1."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
                return await client.get(path, headers=headers)

        return asyncio.run(fetch())


def _app(limiter: RateLimiter, verify: Callable[[], str] = lambda: "peer-1") -> FastAPI:
    def page(request: Request) -> PlainTextResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token == "good":
            vouch_for_token(request, token)
        return PlainTextResponse("ok")

    def entries(request: Request) -> PlainTextResponse:
        return PlainTextResponse(admit_peer(request, verify))

    app = FastAPI()
    for path, endpoint in (("/", page), ("/healthz", page), ("/federation/v1/entries", entries)):
        app.add_route(path, endpoint)
    problems.install(app)
    app.state.rate_limiter = limiter
    app.add_middleware(
        RateLimits,
        limiter=limiter,
        peer_paths=frozenset({"/federation/v1/entries"}),
        session_cookie=lambda _request: "accord_session",
    )
    return app


def test_a_spent_caller_gets_a_429_problem_with_retry_after() -> None:
    client = Client(_app(_limiter(FakeMonotonic(), Limit(1, 1), Limit(0.5, 2))))
    assert [client.get("/").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["type"] == "/problems/rate-limited"


def test_health_checks_are_never_limited() -> None:
    client = Client(_app(_limiter(FakeMonotonic(), Limit(1, 1), Limit(1, 1))))
    assert {client.get("/healthz").status_code for _ in range(5)} == {200}


def test_made_up_tokens_count_against_the_address() -> None:
    client = Client(_app(_limiter(FakeMonotonic(), Limit(1, 100), Limit(1, 3))))
    answers = [client.get("/", headers={"authorization": f"Bearer x{n}"}) for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_a_vouched_token_counts_against_its_own_bucket_not_the_address() -> None:
    limiter = _limiter(FakeMonotonic(), Limit(1, 3), Limit(1, 2))
    client = Client(_app(limiter))
    good = {"authorization": "Bearer good"}
    statuses = [client.get("/", headers=good).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the first counted against the address
    assert client.get("/").status_code == 200  # the address still has one left
    assert limiter.is_vouched(token_key("good"))


def test_a_peer_is_counted_once_its_signature_verified_not_by_its_address() -> None:
    limiter = _limiter(FakeMonotonic(), Limit(1, 2), Limit(1, 1))
    client = Client(_app(limiter))
    signed = {"signature-input": 'accord=("@method");keyid="peer-1"'}
    statuses = [client.get("/federation/v1/entries", headers=signed) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert client.get("/").status_code == 200  # the address was never counted


def test_a_signature_that_fails_counts_against_the_address_and_then_is_not_checked() -> None:
    checked: list[int] = []

    def forged() -> str:
        checked.append(1)
        raise AuthenticationError("the signature does not verify")

    request = _request(_limiter(FakeMonotonic(), Limit(1, 5), Limit(1, 1)))
    with pytest.raises(AuthenticationError):
        admit_peer(request, forged)
    with pytest.raises(RateLimitedError):
        admit_peer(request, forged)
    assert len(checked) == 1


def _request(limiter: RateLimiter) -> Request:
    app = FastAPI()
    app.state.rate_limiter = limiter
    return Request({"type": "http", "app": app, "client": ("192.0.2.1", 1), "headers": []})
