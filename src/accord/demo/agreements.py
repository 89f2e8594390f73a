"""The demo's agreements and a fortnight of filings under them.

Both shipped agreements are loaded by the secretariat. The regional ladder is loaded as
the demo region would have adopted it two weeks ago (its shipped start date moved, its
parties the demo's states), so its daily duties are a fortnight long, not a year.
Filings follow, dated day by day as they would have come in: most states share weather
and hazard data every day and disease surveillance weekly, Lithuania misses two days,
Sweden shares nothing yet; Estonia notifies a large exercise on time and Latvia one late;
Lithuania asks Latvia for a consultation that is answered after the deadline; the
annual calendars come in, Lithuania's late and Sweden's not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from accord.bootstrap import Node
from accord.domain.agreements.model import agreement_to_json, builtin_agreements
from accord.domain.identity import Role
from accord.services.ports import Account

LADDER = "baltic-confidence-ladder"
VIENNA = "vienna-document-2011"
DAYS = 14
SHARING = ("weather", "hazard")
SKIPPED = {("LT", 3), ("LT", 9)}  # (state, day): days a state shared nothing
SILENT = {"SE"}  # a state that has not begun to share
CALENDARS = (("EE", 1), ("LV", 1), ("FI", 2), ("LT", 8))  # (state, day) of annual calendars

# Moves the seeding node's clock to ``ago`` before its real now.
SetBack = Callable[[timedelta], None]


def seed_agreements(node: Node, secretariat: str, states: list[str], set_back: SetBack) -> None:
    loader = Account(0, "demo", Role.ADMIN, secretariat)
    now = node.clock.now()
    starts = (now - timedelta(days=DAYS)).date()

    def at(day: int, hour: int) -> None:  # the clock to that day's hour (UTC)
        set_back(now - datetime.combine(starts + timedelta(days=day), time(hour), UTC))

    at(0, 6)
    for name in (VIENNA, LADDER):
        node.compliance.load(loader, _adopted(name, starts, states))
    for day in range(DAYS):
        at(day, 10)
        for code in states:
            if code in SILENT or (code, day) in SKIPPED:
                continue
            kinds = (*SHARING, "disease-surveillance") if day % 7 == 0 else SHARING
            for kind in kinds:
                _file(node, code, {"kind": "share", "share": kind, "data": {"day": day}})
        if day == 2:
            _notifications(node, now)
        for code, on in CALENDARS:
            if on == day:  # next year's calendar of activities, due 15 November
                _file(
                    node, code, {"kind": "exchange", "exchange": "annual-calendar", "period": 2027}
                )
        if day == 5:
            request = _file(
                node,
                "LT",
                {
                    "kind": "request",
                    "request": "consultation",
                    "to": "LV",
                    "about": "unusual movement of armour near the border",
                },
            )
        if day == 8:  # three days later: the 48 h to answer had passed
            _file(node, "LV", {"kind": "reply", "request": request, "accepted": True})
    set_back(timedelta(0))


def _adopted(name: str, starts: date, states: list[str]) -> dict[str, Any]:
    """A shipped agreement as the demo region adopted it: from ``starts``, among its states
    (judging years before the node held any record would only list what it cannot know)."""
    (shipped,) = (a for a in builtin_agreements() if a.name == name)
    return {**agreement_to_json(shipped), "starts": starts.isoformat(), "parties": states}


def _notifications(node: Node, now: datetime) -> None:
    exercise = {"activity": "exercise", "forces": {"personnel": 9500, "battle_tanks": 60}}
    _file(
        node,
        "EE",
        {
            "kind": "notification",
            "activity_id": "EE-SPRING-STORM",
            "start": (now + timedelta(days=60)).isoformat(),
            "end": (now + timedelta(days=71)).isoformat(),
            "area": "Central Estonia training areas",
            **exercise,
        },
    )
    _file(
        node,
        "LV",
        {
            "kind": "notification",
            "activity_id": "LV-NORTHERN-SHIELD",
            "start": (now + timedelta(days=20)).isoformat(),
            "end": (now + timedelta(days=27)).isoformat(),
            "area": "Ādaži training area",
            **exercise,
        },
    )


def _file(node: Node, code: str, filing: dict[str, Any]) -> str:
    account = Account(0, "demo", Role.FOCAL_POINT, code)
    return str(node.compliance.file(account, filing)["record_id"])
