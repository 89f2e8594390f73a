"""Run the ``accord`` command on a machine whose clock is wrong: ``python -m tests.faults.skewed
serve`` is ``accord serve`` with the wall clock moved by ``ACCORD_TEST_CLOCK_SKEW_SECONDS``
(a signed number of seconds; 0 or unset: the true time).

Accord reads the wall clock in one place, ``accord.adapters.clock.SystemClock``, and
``bootstrap.build`` makes a fresh ``SystemClock()`` for each node, so moving
``SystemClock.now`` before the CLI starts moves everything the process dates: its records,
checkpoints, cosignatures, the ``created`` time of its signed requests and its view of
everyone else's. There is deliberately no setting for this in ``src``: only tests skew clocks.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Final

from accord.adapters.clock import SystemClock

SKEW_VARIABLE: Final = "ACCORD_TEST_CLOCK_SKEW_SECONDS"


def skew_clock(seconds: float) -> None:
    """Make every ``SystemClock`` in this process ``seconds`` ahead of the true time."""
    true_now = SystemClock.now
    offset = timedelta(seconds=seconds)

    def skewed_now(self: SystemClock) -> datetime:
        return true_now(self) + offset

    SystemClock.now = skewed_now  # type: ignore[method-assign]


def main() -> None:
    """Skew the clock as the environment says, then hand over to the ``accord`` CLI."""
    skew_clock(float(os.environ.get(SKEW_VARIABLE, "0") or 0))
    from accord.entrypoints.cli.main import app

    app(prog_name="accord")


if __name__ == "__main__":
    main()
