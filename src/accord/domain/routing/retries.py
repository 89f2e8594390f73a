"""When to try a failed delivery again: the Standard Webhooks schedule, with jitter.

The specification's guidance retries after 5 seconds, 5 minutes, 30 minutes, 2 hours,
5 hours, 10 hours and 10 hours — eight attempts over about 27.6 hours — so a receiver that
is down for a day still gets everything. Each delay is stretched or shrunk by up to 10 %
so that a receiver coming back is not hit by every queued delivery in the same second.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1


def next_attempt(attempts_made: int, now: datetime, rng: random.Random) -> datetime | None:
    """When to try again after ``attempts_made`` failed attempts; None when none are left."""
    if attempts_made < 1:
        raise ValueError("a retry follows at least one attempt")
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[attempts_made - 1]
    return now + delay * rng.uniform(1 - JITTER, 1 + JITTER)
