"""The bounds declared once in ``accord.domain.bounds``: instants, judging times, periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from accord.domain.agreements.periods import periods_between
from accord.domain.bounds import (
    AT_HORIZON,
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    MAX_PERIODS,
    as_utc,
    instant_problem,
    judging_time_problem,
)

AHEAD = timezone(timedelta(hours=14))
BEHIND = timezone(timedelta(hours=-14))
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=BEHIND),  # no datetime in UTC at all
        datetime(1, 1, 1, tzinfo=AHEAD),
        datetime(1, 1, 1, tzinfo=UTC),
        EARLIEST_INSTANT - timedelta(microseconds=1),
        LATEST_INSTANT,
    ],
)
def test_an_instant_outside_the_range_has_no_utc_value_and_is_a_problem_naming_it(
    moment: datetime,
) -> None:
    assert as_utc(moment) is None
    problem = instant_problem(moment, "since")
    assert problem is not None
    assert (problem.location, problem.code) == ("since", "DATE_OUT_OF_RANGE")


def test_an_instant_within_the_range_is_read_as_utc() -> None:
    moment = datetime(2026, 1, 1, 10, tzinfo=AHEAD)
    assert as_utc(moment) == datetime(2025, 12, 31, 20, tzinfo=UTC)
    assert instant_problem(moment, "since") is None
    assert as_utc(EARLIEST_INSTANT) == EARLIEST_INSTANT


@pytest.mark.parametrize(
    "at",
    [
        datetime(2011, 11, 30, 23, 59, tzinfo=UTC),  # before the agreement starts
        NOW + AT_HORIZON + timedelta(seconds=1),
        datetime(7658, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=BEHIND),
    ],
)
def test_judging_outside_the_agreements_life_and_the_horizon_is_a_problem_naming_at(
    at: datetime,
) -> None:
    problem = judging_time_problem(at, date(2011, 12, 1), NOW)
    assert problem is not None
    assert (problem.location, problem.code) == ("at", "OUT_OF_RANGE")


@pytest.mark.parametrize(
    "at", [datetime(2011, 12, 1, tzinfo=UTC), NOW - timedelta(days=400), NOW + AT_HORIZON]
)
def test_judging_from_the_start_to_the_horizon_is_allowed(at: datetime) -> None:
    assert judging_time_problem(at, date(2011, 12, 1), NOW) is None


def test_a_report_over_centuries_enumerates_at_most_the_newest_max_periods() -> None:
    periods = periods_between(datetime(1900, 1, 1, tzinfo=UTC), NOW, "month")
    assert len(periods) == MAX_PERIODS
    assert periods[-1].label == "2026-06"
    assert periods[0].label == "1976-07"


@pytest.mark.parametrize(
    ("kind", "labels"),
    [
        ("month", ["2025-11", "2025-12", "2026-01"]),
        ("quarter", ["2025-Q4", "2026-Q1"]),
        ("year", ["2025", "2026"]),
    ],
)
def test_a_short_report_still_enumerates_every_period_from_first_to_last(
    kind: str, labels: list[str]
) -> None:
    first, last = datetime(2025, 11, 20, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    assert [p.label for p in periods_between(first, last, kind)] == labels
