"""The situation's timeline: each thread the user may read as a bar from when its newest
message was sent to when it expires, coloured by severity, drawn on the server as SVG.

A map says where; the timeline says since when and until when, and what overlaps. It is
drawn from the same summaries as the list (so it holds nothing the list does not), newest
message of each thread only, as on the map.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accord.entrypoints.web.summaries import AlertSummary

WIDTH = 1000
MARGIN = 24  # on each side, so the first and last day labels fit
ROW = 16
AXIS = 24
MOST_ROWS = 40
_SPAN_BEFORE = timedelta(days=30)  # how far back the axis may reach
_SPAN_AFTER = timedelta(days=2)  # how far ahead of now


@dataclass(frozen=True, slots=True)
class Bar:
    record_id: str
    title: str
    severity_class: str
    x: float
    y: float
    width: float
    open_ended: bool  # no expiry, or beyond the axis: drawn to the edge


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: int
    now_x: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    start: datetime
    end: datetime
    left_out: int  # threads beyond MOST_ROWS, still in the list below


def timeline(alerts: Sequence[AlertSummary], now: datetime) -> Timeline:
    """The threads of ``alerts`` (newest first, as the list holds them) on one time axis
    from the earliest shown sending (at most 30 days back) to two days past ``now``."""
    newest: dict[int, AlertSummary] = {}
    for alert in alerts:
        newest.setdefault(alert.thread_id, alert)
    dated = [(alert, _instant(alert.sent)) for alert in newest.values()]
    shown = sorted(
        ((alert, sent) for alert, sent in dated if sent is not None),
        key=lambda item: item[1],
    )
    left_out = max(0, len(shown) - MOST_ROWS)
    shown = shown[-MOST_ROWS:]
    end = now + _SPAN_AFTER
    earliest = min((sent for _, sent in shown), default=now - timedelta(days=1))
    start = max(earliest, now - _SPAN_BEFORE) - timedelta(hours=6)
    scale = (WIDTH - 2 * MARGIN) / (end - start).total_seconds()

    def x_of(moment: datetime) -> float:
        clipped = min(max(moment, start), end)
        return round(MARGIN + (clipped - start).total_seconds() * scale, 1)

    bars = []
    for row, (alert, sent) in enumerate(shown):
        expires = _instant(alert.expires)
        until = expires if expires is not None and expires <= end else end
        left = x_of(sent)
        bars.append(
            Bar(
                alert.record_id,
                f"{alert.headline} ({alert.severity}): sent {alert.sent}"
                + (f", expires {alert.expires}" if alert.expires else ", no expiry"),
                alert.severity_class,
                left,
                AXIS + row * ROW,
                max(3.0, x_of(until) - left),
                expires is None or expires > end,
            )
        )
    return Timeline(
        width=WIDTH,
        height=AXIS + max(1, len(bars)) * ROW + 4,
        now_x=x_of(now),
        bars=tuple(bars),
        ticks=_ticks(start, end, x_of),
        start=start,
        end=end,
        left_out=left_out,
    )


def _ticks(start: datetime, end: datetime, x_of: Callable[[datetime], float]) -> tuple[Tick, ...]:
    """Midnights (UTC) along the axis, about ten of them."""
    days = (end - start).days + 1
    step = max(1, days // 10)
    first = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)
    ticks = []
    moment = first
    while moment < end:
        ticks.append(Tick(x_of(moment), moment.strftime("%d %b")))
        moment += timedelta(days=step)
    return tuple(ticks)


def _instant(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
