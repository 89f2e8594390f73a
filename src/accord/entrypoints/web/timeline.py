"""The situation's timeline: each thread the user may read as a bar from when its newest
message was sent to when it expires, coloured by severity, drawn on the server as SVG.

A map says where; the timeline says since when and until when, and what overlaps. It is
drawn from the same summaries as the list (so it holds nothing the list does not), newest
message of each thread only, as on the map. The situation page's live feed places a new
alert's bar on the page's own axis (``Axis``) and leaves the row to the page. Bars' titles
and the days under the axis are in the reader's language (``Words``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.dates import format_date

from accord.entrypoints.web.languages import Words
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
    thread_id: int
    title: str
    severity_class: str
    x: float
    y: float
    width: float
    open_ended: bool  # no expiry, or beyond the axis: drawn to the edge
    is_live: bool  # neither cancelled nor expired


@dataclass(frozen=True, slots=True)
class Axis:
    """The time axis: ``start`` at the left margin, ``end`` at the right one."""

    start: datetime
    end: datetime

    @property
    def param(self) -> str:
        """The axis as the situation page hands it to its live feed: ``start/end``."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @classmethod
    def parse(cls, text: str) -> Axis:
        """The axis ``param`` wrote; ValueError unless two zoned times, in order."""
        start, end = (datetime.fromisoformat(part) for part in text.split("/", 1))
        if start.tzinfo is None or end.tzinfo is None or not start < end:
            raise ValueError("an axis is two zoned times, the earlier first")
        return cls(start, end)

    def x_of(self, moment: datetime) -> float:
        scale = (WIDTH - 2 * MARGIN) / (self.end - self.start).total_seconds()
        clipped = min(max(moment, self.start), self.end)
        return round(MARGIN + (clipped - self.start).total_seconds() * scale, 1)

    def bar(self, alert: AlertSummary, y: float, words: Words) -> Bar | None:
        """``alert``'s bar in the row at ``y``; None when it has no readable sending time."""
        sent = _instant(alert.sent)
        if sent is None:
            return None
        expires = _instant(alert.expires)
        until = expires if expires is not None and expires <= self.end else self.end
        left = self.x_of(sent)
        return Bar(
            alert.record_id,
            alert.thread_id,
            bar_title(alert, words),
            alert.severity_class,
            left,
            y,
            max(3.0, self.x_of(until) - left),
            expires is None or expires > self.end,
            alert.is_live,
        )


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

    @property
    def axis(self) -> Axis:
        return Axis(self.start, self.end)

    @property
    def next_y(self) -> int:
        """Where a bar that arrives live goes: the row below the last."""
        return AXIS + len(self.bars) * ROW

    @property
    def row_height(self) -> int:
        return ROW


def bar_title(alert: AlertSummary, words: Words) -> str:
    """What a bar says on hover: headline, severity, sending and expiry (as CAP states them)."""
    values = {"headline": alert.headline, "severity": alert.severity, "sent": alert.sent}
    if alert.expires:
        message = words.gettext("%(headline)s (%(severity)s): sent %(sent)s, expires %(expires)s")
        return message % {**values, "expires": alert.expires}
    return words.gettext("%(headline)s (%(severity)s): sent %(sent)s, no expiry") % values


def timeline(alerts: Sequence[AlertSummary], now: datetime, words: Words) -> Timeline:
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
    axis = Axis(max(earliest, now - _SPAN_BEFORE) - timedelta(hours=6), end)
    placed = (axis.bar(alert, AXIS + row * ROW, words) for row, (alert, _) in enumerate(shown))
    bars = [bar for bar in placed if bar is not None]
    return Timeline(
        width=WIDTH,
        height=AXIS + max(1, len(bars)) * ROW + 4,
        now_x=axis.x_of(now),
        bars=tuple(bars),
        ticks=_ticks(axis, words.lang),
        start=axis.start,
        end=axis.end,
        left_out=left_out,
    )


def _ticks(axis: Axis, lang: str) -> tuple[Tick, ...]:
    """Midnights (UTC) along the axis, about ten of them, named as ``lang`` names days."""
    start, end = axis.start, axis.end
    days = (end - start).days + 1
    step = max(1, days // 10)
    first = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)
    ticks = []
    moment = first
    while moment < end:
        ticks.append(Tick(axis.x_of(moment), format_date(moment, "dd MMM", locale=lang)))
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
