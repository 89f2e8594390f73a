"""The password rule, the sign-in throttle's back-off, and session and CSRF tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.domain import signin
from accord.domain.signin import Failures, ThrottlePolicy
from accord.errors import InvalidInputError

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(3, timedelta(seconds=10), timedelta(minutes=1), timedelta(hours=1))


def test_a_password_of_twelve_characters_is_accepted() -> None:
    signin.check_password("a" * 12)


def test_a_short_password_is_refused_with_its_problem() -> None:
    with pytest.raises(InvalidInputError) as raised:
        signin.check_password("short")
    assert [p.code for p in raised.value.problems] == ["TOO_SHORT"]


def test_a_password_with_surrounding_space_is_refused() -> None:
    with pytest.raises(InvalidInputError) as raised:
        signin.check_password(" twelve chars long ")
    assert [p.code for p in raised.value.problems] == ["SURROUNDING_SPACE"]


def test_an_enormous_password_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        signin.check_password("x" * (signin.MAX_PASSWORD_LENGTH + 1))


def test_failures_below_the_free_allowance_lock_nothing() -> None:
    assert signin.locked_until(None, POLICY) is None
    assert signin.locked_until(Failures(2, NOW), POLICY) is None


def test_the_lock_doubles_with_each_failure_up_to_the_cap() -> None:
    waits = [signin.locked_until(Failures(n, NOW), POLICY) for n in range(3, 8)]
    assert [w - NOW for w in waits if w is not None] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(minutes=1),
        timedelta(minutes=1),
    ]


def test_a_huge_failure_count_still_waits_only_the_cap() -> None:
    assert signin.locked_until(Failures(10_000, NOW), POLICY) == NOW + POLICY.cap


def test_old_failures_are_forgotten() -> None:
    old = Failures(50, NOW - timedelta(hours=2))
    assert signin.current(old, POLICY, NOW) is None
    recent = Failures(50, NOW - timedelta(minutes=5))
    assert signin.current(recent, POLICY, NOW) == recent


def test_session_tokens_are_random_and_only_their_hash_is_kept() -> None:
    token, stored = signin.new_session_token()
    other, _ = signin.new_session_token()
    assert token != other
    assert len(token) >= 43
    assert stored == signin.hash_session_token(token)
    assert token not in stored


def test_csrf_tokens_match_only_themselves() -> None:
    token = signin.new_csrf_token()
    assert signin.same_token(token, token)
    assert not signin.same_token(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not signin.same_token(token, "")
    assert not signin.same_token(token, None)
