"""Facts and agreements for the agreement tests: every argument has a sensible default,
so a test names only what it is about. Record ids are unique within a test run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from accord.domain.agreements.facts import (
    Acceleration,
    Acknowledged,
    AlertIssued,
    Exchange,
    Forces,
    Notification,
    Observed,
    Participation,
    Renewal,
    Reply,
    Request,
    Share,
)
from accord.domain.agreements.model import Agreement, parse_agreement

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
_ids = count(1)
TROOPS = Forces(personnel=10_000)  # above the Vienna Document's notification threshold


def at(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def rid(prefix: str = "rec") -> str:
    return f"{prefix}-{next(_ids)}"


def notification(
    author: str,
    *,
    filed: datetime,
    start: datetime,
    days: int = 5,
    activity_id: str | None = None,
    kind: str = "exercise",
    forces: Forces = TROOPS,
    area: str = "training area",
    to: tuple[str, ...] = (),
    participants: tuple[str, ...] = (),
    record_id: str | None = None,
) -> Notification:
    return Notification(
        record_id or rid("notice"),
        author,
        filed,
        activity_id or rid("activity"),
        kind,
        start,
        start + days * DAY,
        area,
        forces,
        to,
        participants,
    )


def observed(
    author: str,
    conductor: str,
    *,
    start: datetime,
    days: int = 3,
    filed: datetime | None = None,
    kind: str = "exercise",
    forces: Forces = TROOPS,
) -> Observed:
    return Observed(
        rid("observed"),
        author,
        filed or start + days * DAY,
        conductor,
        kind,
        start,
        start + days * DAY,
        "border area",
        forces,
    )


def request(author: str, to: str, kind: str, filed: datetime, about: str = "") -> Request:
    return Request(rid("request"), author, filed, kind, to, about)


def reply(of: Request, filed: datetime, *, accepted: bool = True, reason: str = "") -> Reply:
    return Reply(rid("reply"), of.to, filed, of.record_id, accepted, reason)


def exchange(author: str, kind: str, period: int, filed: datetime) -> Exchange:
    return Exchange(rid("exchange"), author, filed, kind, period)


def share(author: str, kind: str, filed: datetime, to: tuple[str, ...] = ()) -> Share:
    return Share(rid("share"), author, filed, kind, to)


def alert(
    author: str, filed: datetime, severity: str = "Severe", audience: tuple[str, ...] = ()
) -> AlertIssued:
    return AlertIssued(rid("alert"), author, filed, "Immediate", severity, audience)


def ack(author: str, of: AlertIssued, filed: datetime) -> Acknowledged:
    return Acknowledged(rid("ack"), author, filed, of.record_id)


def participation(author: str, of: Notification, filed: datetime) -> Participation:
    return Participation(rid("took-part"), author, filed, of.activity_id, of.author)


def renewal(author: str, agreement: str, filed: datetime, until: date) -> Renewal:
    return Renewal(rid("renewal"), author, filed, agreement, until)


def acceleration(
    author: str, agreement: str, tier: int, filed: datetime, until: datetime
) -> Acceleration:
    return Acceleration(rid("acceleration"), author, filed, agreement, tier, until)


def obligation(key: str, rule: str, params: dict[str, Any], tier: int = 1) -> dict[str, Any]:
    return {
        "id": key,
        "tier": tier,
        "rule": rule,
        "description": f"the {key} obligation",
        "source": "test",
        "params": params,
    }


def agreement_data(*obligations: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An agreement's file form: three parties from 2026, tier 1, no sunset; ``fields``
    override any top-level field."""
    data: dict[str, Any] = {
        "name": "test-agreement",
        "title": "Test agreement",
        "version": 1,
        "parties": ["AA", "BB", "CC"],
        "mandate": "Tests.",
        "tier": 1,
        "starts": "2026-01-01",
        "sunset": None,
        "review": None,
        "emergency": None,
        "advance": None,
        "obligations": list(obligations),
    }
    data.update(fields)
    return data


def agreement(*obligations: dict[str, Any], **fields: Any) -> Agreement:
    return parse_agreement(agreement_data(*obligations, **fields))
