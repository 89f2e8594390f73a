"""The situation timeline: one bar per thread, placed by sending and expiry on one axis."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from accord.entrypoints.web.languages import ENGLISH, Words, load_catalogues
from accord.entrypoints.web.summaries import AlertSummary
from accord.entrypoints.web.timeline import MARGIN, MOST_ROWS, WIDTH, Axis, timeline

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _alert(record_id: str, sent: datetime, expires: datetime | None, thread: int) -> AlertSummary:
    return AlertSummary(
        record_id=record_id,
        thread_id=thread,
        identifier="X",
        sender="s@example",
        sender_name="",
        headline=f"Headline {record_id}",
        event="Storm",
        severity="Severe",
        urgency="Expected",
        certainty="Likely",
        categories=("Met",),
        sent=sent.isoformat(),
        expires=expires.isoformat() if expires else "",
        status="Actual",
        msg_type="Alert",
        tlp="GREEN",
        state="active",
        description="",
        instruction="",
        areas=(),
    )


def test_each_thread_is_one_bar_of_its_newest_message_oldest_on_top() -> None:
    update = _alert("u", NOW - timedelta(hours=2), NOW + timedelta(hours=10), thread=1)
    first = _alert("a", NOW - timedelta(days=1), NOW, thread=1)
    other = _alert("b", NOW - timedelta(days=3), NOW - timedelta(days=2), thread=2)
    drawn = timeline([update, first, other], NOW, ENGLISH)  # newest first, as the list holds them
    assert [bar.record_id for bar in drawn.bars] == ["b", "u"]
    older, newer = drawn.bars
    assert older.y < newer.y
    assert older.x < newer.x < drawn.now_x < newer.x + newer.width
    assert older.x + older.width < drawn.now_x  # expired two days ago: ends before now
    assert not older.open_ended


def test_no_expiry_runs_to_the_edge_and_old_alerts_are_clipped_to_thirty_days() -> None:
    endless = _alert("e", NOW - timedelta(days=90), None, thread=1)
    (bar,) = timeline([endless], NOW, ENGLISH).bars
    assert bar.open_ended
    assert bar.x == MARGIN
    assert bar.x + bar.width == WIDTH - MARGIN


def test_beyond_the_most_rows_the_oldest_threads_are_left_to_the_list() -> None:
    many = [
        _alert(f"r{i}", NOW - timedelta(hours=i), NOW + timedelta(hours=1), thread=i)
        for i in range(MOST_ROWS + 5)
    ]
    drawn = timeline(many, NOW, ENGLISH)
    assert len(drawn.bars) == MOST_ROWS
    assert drawn.left_out == 5
    assert "r0" in {bar.record_id for bar in drawn.bars}  # the newest stay
    assert all(tick.label for tick in drawn.ticks)


def test_an_empty_situation_has_an_empty_timeline() -> None:
    drawn = timeline([], NOW, ENGLISH)
    assert drawn.bars == ()
    assert drawn.height > 0


def test_an_axis_goes_to_the_live_feed_and_back_unchanged() -> None:
    drawn = timeline([_alert("a", NOW - timedelta(days=2), None, thread=1)], NOW, ENGLISH)
    assert Axis.parse(drawn.axis.param) == drawn.axis


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-11-24T12:00:00+00:00",
        "2026-11-24T12:00:00/2026-11-25T12:00:00",
        "2026-11-25T12:00:00+00:00/2026-11-24T12:00:00+00:00",
        "yesterday/tomorrow",
    ],
)
def test_an_axis_that_is_not_two_zoned_times_in_order_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Axis.parse(text)


def test_a_bar_that_arrives_live_lands_where_the_page_would_draw_it() -> None:
    older = _alert("a", NOW - timedelta(days=2), NOW - timedelta(days=1), thread=1)
    newer = _alert("b", NOW - timedelta(hours=1), NOW + timedelta(hours=5), thread=2)
    page = timeline([older], NOW, ENGLISH)
    arrived = page.axis.bar(newer, page.next_y, ENGLISH)
    assert arrived is not None
    redrawn = timeline([newer, older], NOW, ENGLISH)
    assert redrawn.axis == page.axis  # the earliest sending, and so the axis, is unchanged
    assert redrawn.bars[-1] == arrived
    assert page.next_y + page.row_height == redrawn.next_y


def test_a_cancelled_threads_bar_is_marked_ended() -> None:
    cancelled = replace(_alert("a", NOW - timedelta(hours=3), None, thread=1), state="cancelled")
    (bar,) = timeline([cancelled], NOW, ENGLISH).bars
    assert not bar.is_live
    (live,) = timeline([replace(cancelled, state="active")], NOW, ENGLISH).bars
    assert live.is_live


def test_an_alert_without_a_readable_sending_time_gets_no_bar() -> None:
    undated = replace(_alert("a", NOW, None, thread=1), sent="not a time")
    assert Axis(NOW - timedelta(days=1), NOW).bar(undated, 0, ENGLISH) is None


def test_bar_titles_and_days_are_in_the_readers_language() -> None:
    alert = _alert("a", NOW - timedelta(days=2), NOW + timedelta(hours=5), thread=1)
    french = Words("fr", load_catalogues()["fr"])
    drawn, english = timeline([alert], NOW, french), timeline([alert], NOW, ENGLISH)
    assert (
        drawn.bars[0].title
        == f"Headline a (Severe) : envoyée le {alert.sent}, expire le {alert.expires}"
    )
    assert (
        english.bars[0].title == f"Headline a (Severe): sent {alert.sent}, expires {alert.expires}"
    )
    assert "23 nov." in [tick.label for tick in drawn.ticks]
    assert "23 Nov" in [tick.label for tick in english.ticks]
    endless = timeline([replace(alert, expires="")], NOW, french).bars[0]
    assert endless.title.endswith(", sans expiration")
