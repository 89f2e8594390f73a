"""The retry schedule: Standard Webhooks' delays, jittered, then a dead letter."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.domain.routing.retries import JITTER, MAX_ATTEMPTS, RETRY_DELAYS, next_attempt

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@given(st.integers(1, MAX_ATTEMPTS - 1), st.integers(0, 2**32))
def test_each_retry_waits_its_delay_within_the_jitter(attempts: int, seed: int) -> None:
    at = next_attempt(attempts, T0, random.Random(seed))
    assert at is not None
    delay = RETRY_DELAYS[attempts - 1]
    assert delay * (1 - JITTER) <= at - T0 <= delay * (1 + JITTER)


def test_the_schedule_spans_about_a_day_then_gives_up() -> None:
    total = sum(RETRY_DELAYS, start=RETRY_DELAYS[0] * 0)
    assert 27 * 3600 < total.total_seconds() < 28 * 3600
    assert next_attempt(MAX_ATTEMPTS, T0, random.Random(1)) is None


def test_a_retry_follows_an_attempt() -> None:
    with pytest.raises(ValueError):
        next_attempt(0, T0, random.Random(1))
