"""The bounds on what one request may ask of the node, declared once (docs/api.md, Bounds).

A parameter that drives work (a time to judge at, a span of periods, a page, a cursor) is
checked against these before any work starts, and an out-of-range value is bad input that
names the parameter, never a long computation or a server error:

- every time a participant sends (a CAP ``sent``, ``expires`` or reference; a filing's
  start; a query's ``since``) lies within ``EARLIEST_INSTANT`` and ``LATEST_INSTANT`` once
  read as UTC: far enough inside what Python's ``datetime`` (years 1 to 9999), PostgreSQL
  and SQLite hold that adding any deadline, notice or period Accord computes to it stays
  representable;
- compliance is judged at a time within the agreement's life and at most ``AT_HORIZON``
  beyond now (judging further ahead enumerates periods nobody has reached);
- a report enumerates at most ``MAX_PERIODS`` periods (the newest ones);
- a cursor names a position a log can hold (``MAX_POSITION``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from accord.errors import Problem

EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)  # exclusive
AT_HORIZON = timedelta(days=366)
MAX_PERIODS = 600  # fifty years of months
MAX_POSITION = 2**63 - 1  # positions and ids are signed 64-bit columns
INSTANT_RANGE = f"{EARLIEST_INSTANT:%Y-%m-%d} to {LATEST_INSTANT:%Y-%m-%d} UTC"


def as_utc(moment: datetime) -> datetime | None:
    """``moment`` (aware) in UTC; None when that falls outside the instants Accord keeps,
    including where the conversion itself would leave ``datetime``'s range (year 1 with a
    positive offset, year 9999 with a negative one)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return None
    return utc if EARLIEST_INSTANT <= utc < LATEST_INSTANT else None


def instant_problem(moment: datetime, location: str) -> Problem | None:
    """A problem naming ``location`` when the aware ``moment`` is outside the range."""
    if as_utc(moment) is not None:
        return None
    return Problem(location, "DATE_OUT_OF_RANGE", f"{location} must fall within {INSTANT_RANGE}")


def judging_time_problem(at: datetime, starts: date, now: datetime) -> Problem | None:
    """A problem naming ``at`` unless it lies from the agreement's start to
    ``AT_HORIZON`` past ``now``: the window in which a verdict can differ from today's."""
    earliest = datetime(starts.year, starts.month, starts.day, tzinfo=UTC)
    latest = now + AT_HORIZON
    utc = as_utc(at)
    if utc is not None and earliest <= utc <= latest:
        return None
    message = (
        f"at must fall from the agreement's start ({starts.isoformat()}) to "
        f"{AT_HORIZON.days} days from now ({latest:%Y-%m-%dT%H:%M:%S+00:00})"
    )
    return Problem("at", "OUT_OF_RANGE", message)
