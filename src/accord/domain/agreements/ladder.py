"""Graduated reciprocation: when to recommend the next tier, and when to raise a concern.

Both look at the last ``advance.consecutive`` complete ``advance.period`` periods (month,
quarter or year) before ``now``, counting each duty in the period it arose in.

* A recommendation to move from tier N to N+1 needs every one of those periods to lie
  within the agreement's start and force, to hold at least one met duty of tiers up to N,
  and to hold nothing late, missed or still pending: every party met everything the tier
  asked (or it did not apply). Accelerated duties of higher tiers are not counted: they
  are what the recommendation is about.
* A concern names a party with at least one missed duty (of any tier) in each of those
  periods: sustained non-compliance, for the forum to take up. It is a flag for people to
  discuss, never a sanction: nothing in Accord withholds anything because of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from accord.domain.agreements.duties import DutyKey, Status
from accord.domain.agreements.force import Force
from accord.domain.agreements.model import Advance
from accord.domain.agreements.periods import Period, midnight, period_of, previous
from accord.domain.agreements.reports import PeriodCounts, tally
from accord.domain.agreements.verdicts import Verdict


@dataclass(frozen=True, slots=True)
class Recommendation:
    agreement: str
    from_tier: int
    to_tier: int
    periods: tuple[PeriodCounts, ...]  # the evidence: each period's counts, oldest first
    detail: str


@dataclass(frozen=True, slots=True)
class Concern:
    agreement: str
    participant: str
    periods: tuple[PeriodCounts, ...]  # the participant's counts, oldest first
    missed: tuple[DutyKey, ...]
    detail: str


def last_complete(advance: Advance, starts: datetime, now: datetime) -> list[Period] | None:
    """The last ``consecutive`` periods that ended by ``now``, oldest first; None when
    fewer than that have passed since ``starts``."""
    periods: list[Period] = []
    period = previous(period_of(now, advance.period), advance.period)
    while len(periods) < advance.consecutive.number:
        if period.start < starts:
            return None
        periods.append(period)
        period = previous(period, advance.period)
    return periods[::-1]


def recommend(force: Force, verdicts: Sequence[Verdict], now: datetime) -> Recommendation | None:
    agreement = force.agreement
    advance = agreement.advance
    if advance is None or agreement.tier >= agreement.top_tier:
        return None
    periods = last_complete(advance, midnight(agreement.starts), now)
    if periods is None or not all(force.covers(p.start, p.end) for p in periods):
        return None
    current = [v for v in verdicts if v.tier <= agreement.tier]
    counts = tally(current, periods)
    if not all(_clean(c) for c in counts):
        return None
    labels = ", ".join(c.period for c in counts)
    detail = f"every party met every tier {agreement.tier} obligation in {labels}"
    return Recommendation(agreement.name, agreement.tier, agreement.tier + 1, tuple(counts), detail)


def _clean(counts: PeriodCounts) -> bool:
    return counts.count(Status.MET) > 0 and not counts.count(
        Status.LATE, Status.MISSED, Status.PENDING
    )


def concerns(force: Force, verdicts: Sequence[Verdict], now: datetime) -> list[Concern]:
    agreement = force.agreement
    advance = agreement.advance
    periods = last_complete(advance, midnight(agreement.starts), now) if advance else None
    if advance is None or periods is None:
        return []
    by_party: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        by_party.setdefault(verdict.participant, []).append(verdict)
    found = []
    for party, held in sorted(by_party.items()):
        counts = tally(held, periods)
        if all(c.count(Status.MISSED) for c in counts):
            found.append(_concern(agreement.name, party, held, counts, periods))
    return found


def _concern(
    agreement: str,
    party: str,
    verdicts: list[Verdict],
    counts: list[PeriodCounts],
    periods: list[Period],
) -> Concern:
    first, last = periods[0].start, periods[-1].end
    missed = tuple(
        v.key for v in verdicts if v.status is Status.MISSED and first <= v.arose_at < last
    )
    each = ", ".join(f"{c.period} ({c.count(Status.MISSED)})" for c in counts)
    return Concern(agreement, party, tuple(counts), missed, f"missed duties in {each}")
