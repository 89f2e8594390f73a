"""Query parameters of ``GET /api/v1/alerts``: cursors and time bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.entrypoints.api.alert_query import aware, cursor, encode_cursor
from accord.errors import Problem


@pytest.mark.parametrize("position", [0, 1, 12345, 2**63 - 1])
def test_a_cursor_the_api_wrote_reads_back(position: int) -> None:
    problems: list[Problem] = []
    assert cursor(encode_cursor(position), problems) == position
    assert problems == []


@pytest.mark.parametrize(
    "forged",
    [
        encode_cursor(2**63),  # past any 64-bit position: SQLite overflowed
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk",
        "LTE",  # -1
        "XzEwMA",  # "_100", which int() reads as 100
        "KzU",  # "+5"
        "4pGg",  # a digit outside ASCII
        "é",
        "!!!",
    ],
)
def test_a_forged_cursor_is_a_problem_naming_the_cursor(forged: str) -> None:
    problems: list[Problem] = []
    assert cursor(forged, problems) is None
    assert [(p.location, p.code) for p in problems] == [("cursor", "INVALID_CURSOR")]


def test_a_time_bound_beyond_the_range_is_a_problem_naming_the_parameter() -> None:
    problems: list[Problem] = []
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    assert aware(far, "until", problems) is None
    assert [(p.location, p.code) for p in problems] == [("until", "DATE_OUT_OF_RANGE")]
    near = datetime(2026, 1, 1, tzinfo=UTC)
    assert aware(near, "since", problems) == near
