"""Duties: one concrete obligation of one participant, and how its status is judged.

A rule type turns facts into duties; the engine decides whether the agreement applied
when each arose and judges its status against a given ``now``. Keeping ``now`` out of the
duty lets one set of duties answer "how do things stand today" and "how did they stand at
the end of last quarter" alike.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    MET = "met"  # done by its due time
    LATE = "late"  # done, after its due time
    MISSED = "missed"  # not done and its due time passed, or a breach
    PENDING = "pending"  # not done, due in the future
    NOT_APPLICABLE = "not-applicable"  # e.g. an activity below every threshold


class DutyKey(NamedTuple):
    """Names one duty across the engine: ``subject`` is its period ("2027", "2026-03-04")
    or what triggered it ("activity/<id>", "request/<record id>", "alert/<record id>")."""

    agreement: str
    obligation: str
    participant: str
    subject: str


class Duty(NamedTuple):
    """What one participant owes under one obligation, and what it did about it. (A named
    tuple rather than a dataclass: verdicts are judged by the million, and a frozen
    dataclass takes four times as long to build.)"""

    participant: str
    subject: str
    arose_at: datetime  # decides whether the agreement (and the tier) applied to it
    due: datetime | None
    done_at: datetime | None = None
    evidence: tuple[str, ...] = ()  # record ids: what triggered it and what fulfilled it
    detail: str = ""
    # A status the rule decided itself (a breach is missed whatever the clock says; an
    # activity below the thresholds needs nothing); None: judged from due and done_at.
    fixed: Status | None = None
    # Ways the fulfilment fell short without changing its timing (a notification not
    # addressed to every party): flagged on submission, reported in the verdict's detail.
    defects: tuple[str, ...] = ()


def status_of(duty: Duty, now: datetime) -> Status:
    if duty.fixed is not None:
        return duty.fixed
    if duty.done_at is not None:
        return Status.LATE if duty.due is not None and duty.done_at > duty.due else Status.MET
    if duty.due is not None and now > duty.due:
        return Status.MISSED
    return Status.PENDING


def late_by(duty: Duty) -> float | None:
    """Seconds past due when the duty was done late; None otherwise."""
    if duty.fixed is not None or duty.done_at is None or duty.due is None:
        return None
    seconds = (duty.done_at - duty.due).total_seconds()
    return seconds if seconds > 0 else None
