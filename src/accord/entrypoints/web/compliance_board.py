"""The compliance board's shape for the console: what ``node.compliance.compliance`` and
``series`` return (already limited to what the reader may see), arranged as a party ×
obligation board, a list of late and missed items, and a stacked bar chart by month.

Nothing here reads records or decides scope: withheld evidence arrives withheld (no ids,
no dates) and stays so; the chart is drawn from counts only. How late a duty is comes in the
reader's words; statuses stay codes, which the page words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from accord.entrypoints.web.languages import Words

STATUSES = ("met", "late", "missed", "pending", "not-applicable")
SHORT = ("late", "missed")
MAX_ITEMS = 200  # late and missed items listed, newest due first

# The chart's frame, in SVG user units.
LABEL_W, BAR_W, TOTAL_W = 120, 540, 60
ROW_H, ROW_GAP, TOP = 22, 8, 8
MIN_LABELLED = 22  # a segment narrower than this carries no number


@dataclass(frozen=True, slots=True)
class Cell:
    latest: str | None  # the latest decided status (pending when nothing is decided yet)
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class Evidence:
    record_id: str
    is_alert: bool


@dataclass(frozen=True, slots=True)
class Item:
    participant: str
    obligation: str
    subject: str | None  # None: withheld with its evidence
    status: str
    due: str | None
    done_at: str | None
    lateness: str
    evidence: tuple[Evidence, ...]
    withheld: int
    detail: str


@dataclass(frozen=True, slots=True)
class Segment:
    status: str
    count: int
    x: float
    width: float
    labelled: bool


@dataclass(frozen=True, slots=True)
class Bar:
    participant: str
    period: str
    y: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    rows: tuple[tuple[str, str, dict[str, int]], ...]  # the table: party, period, counts
    label_x: int = LABEL_W - 6  # labels end here
    total_x: int = LABEL_W + BAR_W + 6
    row_h: int = ROW_H
    baseline: int = 15  # text baseline within a row


def board(
    verdicts: Sequence[Mapping[str, Any]], parties: Sequence[str], obligations: Sequence[str]
) -> dict[str, dict[str, Cell]]:
    """Per party and obligation: counts by status and the latest decided status."""
    grouped: dict[tuple[str, str], list[tuple[int, Mapping[str, Any]]]] = {}
    for index, verdict in enumerate(verdicts):
        key = (str(verdict["participant"]), str(verdict["obligation"]))
        grouped.setdefault(key, []).append((index, verdict))
    out: dict[str, dict[str, Cell]] = {}
    for party in parties:
        out[party] = {}
        for obligation in obligations:
            rows = grouped.get((party, obligation), [])
            counts = {s: sum(1 for _i, v in rows if v["status"] == s) for s in STATUSES}
            out[party][obligation] = Cell(_latest(rows), counts)
    return out


def _latest(rows: Sequence[tuple[int, Mapping[str, Any]]]) -> str | None:
    decided = [(i, v) for i, v in rows if v["status"] != "pending"]
    if not decided:
        return "pending" if rows else None
    _when, _i, verdict = max((str(v["due"] or v["arose_at"] or ""), i, v) for i, v in decided)
    return str(verdict["status"])


def short_items(
    verdicts: Sequence[Mapping[str, Any]],
    at: datetime,
    is_alert: Callable[[str], bool],
    words: Words,
) -> tuple[list[Item], int]:
    """The late and missed items (newest due first, at most ``MAX_ITEMS``) and how many
    there are in all. ``is_alert`` tells whether a readable evidence record is an alert."""
    short = [v for v in verdicts if v["status"] in SHORT]
    short.sort(key=lambda v: str(v["due"] or ""), reverse=True)
    return [_item(v, at, is_alert, words) for v in short[:MAX_ITEMS]], len(short)


def _item(
    verdict: Mapping[str, Any], at: datetime, is_alert: Callable[[str], bool], words: Words
) -> Item:
    return Item(
        participant=str(verdict["participant"]),
        obligation=str(verdict["obligation"]),
        subject=verdict["period"],
        status=str(verdict["status"]),
        due=verdict["due"],
        done_at=verdict["done_at"],
        lateness=lateness(verdict, at, words),
        evidence=tuple(Evidence(rid, is_alert(rid)) for rid in verdict["evidence"]),
        withheld=int(verdict.get("withheld") or 0),
        detail=str(verdict["detail"]),
    )


def lateness(verdict: Mapping[str, Any], at: datetime, words: Words) -> str:
    """How late, in words: ``late by 9 days`` for a late duty, ``overdue by …`` for a
    missed one with a due time, ``late`` or ``not done`` otherwise (withheld dates)."""
    if verdict["status"] == "late" and verdict["late_by"] is not None:
        span = span_words(timedelta(seconds=float(verdict["late_by"])), words)
        return words.gettext("late by %(span)s") % {"span": span}
    if verdict["status"] == "missed" and verdict["due"]:
        overdue = at - datetime.fromisoformat(str(verdict["due"]))
        if overdue > timedelta(0):
            span = span_words(overdue, words)
            return words.gettext("not done, overdue by %(span)s") % {"span": span}
    if verdict["status"] == "missed":
        return words.gettext("not done")
    return words.pgettext("one duty", "late")


def chart(series: Mapping[str, Sequence[Mapping[str, Any]]]) -> Chart:
    """One stacked bar per party and month, scaled to the largest month's total."""
    rows = tuple(
        (party, str(point["period"]), {s: int(point["counts"].get(s, 0)) for s in STATUSES})
        for party, points in series.items()
        for point in points
    )
    largest = max((sum(counts.values()) for _p, _m, counts in rows), default=0) or 1
    bars = tuple(
        _bar(n, party, period, counts, largest) for n, (party, period, counts) in enumerate(rows)
    )
    height = TOP * 2 + len(rows) * (ROW_H + ROW_GAP)
    return Chart(LABEL_W + BAR_W + TOTAL_W, height, bars, rows)


def _bar(n: int, party: str, period: str, counts: Mapping[str, int], largest: int) -> Bar:
    x = float(LABEL_W)
    segments = []
    for status in STATUSES:
        count = counts[status]
        if not count:
            continue
        width = BAR_W * count / largest
        segments.append(Segment(status, count, round(x, 2), round(width, 2), width >= MIN_LABELLED))
        x += width
    return Bar(party, period, TOP + n * (ROW_H + ROW_GAP), sum(counts.values()), tuple(segments))


def span_words(span: timedelta, words: Words) -> str:
    """A duration as people say lateness: ``9 days 14 h``, ``5 h 20 min``, ``12 min``."""
    minutes = int(abs(span.total_seconds()) // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        counted = words.ngettext("%(num)s day", "%(num)s days", days) % {"num": days}
        return counted + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"
