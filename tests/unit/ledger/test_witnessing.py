"""A record's signed time against the witness sightings around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from accord.ledger.witnessing import TOLERANCE, Sighting, Timeline

NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)
BEFORE = Sighting(NOON, "lv.node", 10)
AFTER = Sighting(NOON + timedelta(minutes=1), "ee.node", 12)


def test_a_record_written_between_two_sightings_is_consistent() -> None:
    timeline = Timeline(NOON + timedelta(seconds=30), BEFORE, AFTER)
    assert timeline.finding() is None
    assert timeline.to_json()["consistent"] is True


def test_a_record_dated_before_a_tree_seen_without_it_is_back_dated() -> None:
    timeline = Timeline(NOON - timedelta(hours=3), BEFORE, AFTER)
    finding = timeline.finding()
    assert finding is not None
    assert finding.startswith("back-dated")
    assert "lv.node" in finding
    assert "10 entries" in finding


def test_a_record_dated_after_a_tree_seen_with_it_is_dated_in_the_future() -> None:
    finding = Timeline(NOON + timedelta(hours=1), BEFORE, AFTER).finding()
    assert finding is not None
    assert finding.startswith("dated in the future")
    assert "ee.node" in finding


def test_without_sightings_nothing_can_be_said() -> None:
    assert Timeline(NOON - timedelta(days=900), None, None).finding() is None


@given(st.integers(-3600, 3600))
def test_differences_within_the_tolerance_are_never_reported(seconds: int) -> None:
    claimed = NOON + timedelta(seconds=seconds)
    at_claim = Sighting(claimed, "w", 5)
    shifted = Timeline(claimed, at_claim, at_claim)
    inside = abs(seconds) <= TOLERANCE.total_seconds()
    moved = Timeline(claimed, Sighting(NOON, "w", 5), Sighting(NOON, "w", 6))
    assert shifted.finding() is None
    assert (moved.finding() is None) == inside
