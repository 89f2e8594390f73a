"""Compliance benchmark: a year of records judged against ten agreements, in full and one
new record at a time, each beside a floor measured in the same run.

Run from the repository root:

    .venv/bin/python benchmarks/compliance.py            # 1,000,000 records, 10,000 new ones
    .venv/bin/python benchmarks/compliance.py --quick    # smoke run: 50,000 and 1,000
    .venv/bin/python benchmarks/compliance.py --records 200000 --incremental 2000
    .venv/bin/python benchmarks/compliance.py --profile  # cProfile the full evaluation

The workload is generated from a fixed seed, and its generation is not timed:

* ten agreements: the two shipped ones (``vienna-document-2011``, ``baltic-confidence-ladder``)
  and eight variants made from their file form (``agreement_to_json``) — other names,
  parties among 12 states, thresholds, lead times, sharing periods, quotas and deadlines
  varied, sunsets (one renewed in time, one revived after it lapsed, one left to lapse), an
  emergency clause invoked — which between them use all eight rule types;
* a year (2026) of records, as the service's catch-up reads them (``LoggedRecord``, the body
  JSON text): shares under daily and weekly duties (about 94 %), notifications (some
  amended, some late, a few above the constraint thresholds), observations (some of
  activities nobody notified), requests and their replies (late, refused, unanswered),
  participations in joint drills, annual exchanges (some late or missing), renewals,
  accelerations, and CAP alerts with their acknowledgements. Shares skip days and some
  states never share some kinds, so verdicts are met, late, missed, pending or not
  applicable.

It prints, in one run:

1. ``full``: the Accord figure. Every record read as the service reads it
   (``compliance_facts.facts_of``: ``json.loads`` + ``parse_filing`` for filings; the CAP
   JSON or response body for alerts and acknowledgements), a page of 10,000 at a time, and
   each page given to ``ComplianceEngine.load`` with the collector paused, then one
   collection and ``gc.freeze`` (``paused_collector``), as ``ComplianceService._catch_up``
   does when it builds the engine from the whole log; then
   every verdict (``verdicts(now)``), the verdicts of each agreement for each of its
   parties (what each party's compliance page asks), and the reports (recommendations,
   concerns, reciprocity). Split: read, add, verdicts, reports; total and records/s.
   Floor, measured first: the least any evaluator must do — read the same records into the
   same facts, and group them in one pass by (participant, kind), each group sorted by
   time. Ratio: Accord total ÷ floor.
2. ``incremental``: after the full load, N new records (drawn like the rest, dated after
   the last), each judged as a filing is on submission: read + ``add`` + ``check(fact,
   now)``; then, timed apart, the verdicts of the duties ``add`` said it touched
   (``verdict(key, now)``). Mean, p50, p99 and max per record, beside the floor per record
   (reading the same record into its fact) and the ratio.

The generated records stand in for the database, which the service reads a page at a time
and never holds whole: they are moved out of the garbage collector's sight (``gc.freeze``)
before anything is timed. The collector is paused during the load for Accord and the
floor alike (the floor is what the least evaluator must do, and it would pause it too);
each phase also prints the seconds spent in the collector and its full collections
(``gc.callbacks``).

Targets (issue 6): full run < 30 s; incremental < 5 ms per record, judged on the p99 of
read + add + check + verdicts. It is a benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import resource
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from accord.domain.agreements.duties import DutyKey
from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.facts import Fact
from accord.domain.agreements.filings import FILING_RECORD_PREFIX
from accord.domain.agreements.model import (
    Agreement,
    agreement_to_json,
    builtin_agreements,
    parse_agreement,
)
from accord.domain.agreements.rules import known_rule_types
from accord.domain.alerts.cap import MessageKey
from accord.domain.sharing import Scope, Tlp
from accord.services.alerts import ALERT_RECORD_KIND
from accord.services.compliance import CATCH_UP_PAGE, paused_collector
from accord.services.compliance_facts import facts_of
from accord.services.ports import LoggedRecord
from accord.services.responses import RESPONSE_RECORD_KIND

SEED = 20260601
STATES = ("BE", "DE", "DK", "EE", "FI", "IS", "LT", "LV", "NL", "NO", "PL", "SE")
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
NOW = YEAR_END  # the full evaluation's "now": just after the last record
GREEN = Scope(Tlp.GREEN)
DAY = timedelta(days=1)
FULL_TARGET_S = 30.0
INCREMENTAL_TARGET_MS = 5.0


@dataclass(frozen=True, slots=True)
class Plan:
    records: int  # the year's records, evaluated in full
    incremental: int  # new records after them, judged one at a time


FULL = Plan(records=1_000_000, incremental=10_000)
QUICK = Plan(records=50_000, incremental=1_000)


# --- printing --------------------------------------------------------------------------------


def heading(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<52} {value:>14}  {note}")


def ratio(numerator: float, denominator: float) -> str:
    return f"×{numerator / denominator:,.2f}" if denominator else ""


def machine_facts() -> None:
    heading("Machine")
    row("CPU", _cpu_model())
    row("cores (nproc)", str(os.cpu_count()))
    row("Python", platform.python_version())
    row("load average (1, 5, 15 min)", " ".join(f"{x:.2f}" for x in os.getloadavg()))


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the ten agreements ----------------------------------------------------------------------

# name, base ("vienna", "ladder", "both": the ladder with the Vienna Document's consultation
# and constraints, "sharing": the ladder's first tier only), and what is fixed rather than
# drawn: parties ("all" or how many states), tier, start, sunset.
VARIANTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("nordic-ladder", "ladder", {"parties": 5, "tier": 3, "sunset": "2026-10-01"}),
    (
        "central-european-ladder",
        "ladder",
        {"parties": 6, "tier": 2, "starts": "2025-07-01", "sunset": "2026-07-01"},
    ),
    ("baltic-ladder-plus", "both", {"parties": 7, "tier": 1}),
    ("north-sea-data-sharing", "sharing", {"parties": 8, "tier": 1}),
    ("sub-regional-ladder", "ladder", {"parties": 4, "tier": 3, "starts": "2026-03-01"}),
    ("vienna-regional", "vienna", {"parties": 8, "starts": "2026-01-01"}),
    ("vienna-strict", "vienna", {"parties": "all", "starts": "2024-01-01"}),
    ("vienna-lenient", "vienna", {"parties": 10, "starts": "2025-01-01", "sunset": "2026-12-01"}),
)
# Obligations of the Vienna Document added to the ladder in the "both" variant.
_ADDED_TO_LADDER = (
    "consultation-on-unusual-activities",
    "constraint-large-activities-per-year",
    "constraint-simultaneous-activities",
)


def make_agreements(rng: random.Random) -> list[Agreement]:
    """The two shipped agreements as shipped, and eight variants of their file form."""
    shipped = {a.name: a for a in builtin_agreements()}
    vienna: dict[str, Any] = agreement_to_json(shipped["vienna-document-2011"])
    ladder: dict[str, Any] = agreement_to_json(shipped["baltic-confidence-ladder"])
    made: list[Agreement] = []
    for name, base, fixed in VARIANTS:
        data = copy.deepcopy(vienna if base == "vienna" else ladder)
        obligations: list[dict[str, Any]] = data["obligations"]
        if base == "both":
            obligations += [
                copy.deepcopy(o) for o in vienna["obligations"] if o["id"] in _ADDED_TO_LADDER
            ]
        if base == "sharing":
            data["obligations"] = [o for o in obligations if o["tier"] == 1]
            data["emergency"] = None
        parties = fixed["parties"]
        data.update(
            name=name,
            title=f"{name.replace('-', ' ').capitalize()} (benchmark variant)",
            parties=parties if parties == "all" else sorted(rng.sample(STATES, parties)),
            tier=fixed.get("tier", data["tier"]),
            starts=fixed.get("starts", "2026-01-01"),
            sunset=fixed.get("sunset"),
        )
        starts = date.fromisoformat(data["starts"])
        data["review"]["every_months"]["value"] = rng.choice((3, 6, 12))
        data["review"]["first"] = date(starts.year, starts.month + rng.randrange(3), 1).isoformat()
        if data["advance"] is not None and base != "vienna":
            data["advance"]["period"] = rng.choice(("month", "quarter"))
            data["advance"]["consecutive"]["value"] = rng.randint(1, 3)
        for obligation in data["obligations"]:
            _vary(rng, obligation["rule"], obligation["params"])
        made.append(parse_agreement(data))
    return [*shipped.values(), *made]


def _vary(rng: random.Random, rule: str, params: dict[str, Any]) -> None:
    """Draw new figures for one obligation's params (every figure is {value, source, ...})."""
    if "thresholds" in params:
        factor = rng.uniform(0.4, 1.6)
        for figure in params["thresholds"].values():
            figure["value"] = max(1, round(figure["value"] * factor))
    if rule == "prior-notification":
        params["lead_days"]["value"] = rng.choice((14, 21, 28, 42, 60))
    elif rule == "activity-limit":
        params["max_count"]["value"] = max(1, params["max_count"]["value"] + rng.randint(-1, 2))
    elif rule == "periodic-sharing":
        every = {"weather": (1, 1, 2), "hazard": (1, 2, 3), "disease-surveillance": (7, 7, 14)}
        params["every_days"]["value"] = rng.choice(every[params["kind"]])
    elif rule == "request-quota":
        params["accept_per_year"]["value"] = rng.randint(1, 4)
        params["per_requester_per_year"]["value"] = rng.randint(1, 2)
        params["answer_within_hours"]["value"] = rng.choice((24, 48, 72))
    elif rule == "consultation":
        params["answer_within_hours"]["value"] = rng.choice((24, 48, 72))
    elif rule == "alert-acknowledgement":
        params["acknowledge_within_minutes"]["value"] = rng.choice((30, 60, 120))
        params["minimum_severity"] = rng.choice(("Moderate", "Severe"))
    elif rule == "joint-exercise":
        params["per_year"]["value"] = rng.randint(1, 2)
    elif rule == "periodic-exchange":
        params["due"]["value"] = rng.choice(("11-15", "12-01", "12-15"))


# --- the records -----------------------------------------------------------------------------

SHARE_KINDS = ("weather", "hazard", "air-quality", "disease-surveillance")
SHARE_WEIGHTS = (55, 25, 12, 8)
SILENT = {("IS", "disease-surveillance"), ("NL", "hazard"), ("LT", "air-quality")}
ACTIVITY_WEIGHTS = {
    "exercise": 50,
    "concentration": 10,
    "air-activity": 12,
    "alert-activity": 5,
    "amphibious-landing": 5,
    "parachute-assault": 3,
    "disaster-response-drill": 15,
}
REQUEST_WEIGHTS = {"consultation": 35, "inspection": 30, "evaluation-visit": 20}
REQUEST_WEIGHTS["observation-visit"] = 15
REFUSALS = ("quota-filled", "force-majeure", "busy")
EXCHANGE_KINDS = ("military-information", "annual-calendar", "defence-planning")
SEVERITY_WEIGHTS = {"Extreme": 10, "Severe": 35, "Moderate": 35, "Minor": 20}
# Shares of the records by what they are; shares of data fill the rest.
MIX = {"notification": 0.015, "observation": 0.005, "request": 0.010, "participation": 0.010}
MIX["alert"] = 0.0015  # each is acknowledged by up to 11 states


@dataclass(slots=True)
class Draft:
    at: datetime
    kind: str  # the record kind
    author: str
    record_id: str
    body: dict[str, Any]
    scope: Scope = GREEN


@dataclass(slots=True)
class Activity:
    conductor: str
    activity_id: str
    filed: datetime
    body: dict[str, Any]
    start: datetime
    end: datetime


@dataclass
class Generator:
    """Records filed in [start, end) by the 12 states; ``tag`` keeps activity ids of
    different windows apart."""

    rng: random.Random
    start: datetime
    end: datetime
    tag: str
    drafts: list[Draft] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)

    def instant(self, low: datetime | None = None, high: datetime | None = None) -> datetime:
        """A time in [low, high) within the window; anywhere in the window when that range
        falls outside it."""
        low, high = max(low or self.start, self.start), min(high or self.end, self.end)
        if high <= low:
            low, high = self.start, self.end
        return low + timedelta(seconds=self.rng.uniform(0, (high - low).total_seconds()))

    def inside(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"  # as a record id: a SHA-256 in hex

    def file(self, at: datetime, author: str, body: dict[str, Any]) -> Draft:
        draft = Draft(at, FILING_RECORD_PREFIX + body["kind"], author, self.new_id(), body)
        self.drafts.append(draft)
        return draft

    def others(self, party: str, low: int, high: int) -> list[str]:
        return sorted(
            self.rng.sample([s for s in STATES if s != party], self.rng.randint(low, high))
        )

    # --- each kind of record

    def notifications(self, count: int) -> None:
        rng = self.rng
        for n in range(count):
            if self.activities and rng.random() < 0.15 and self._amend(rng.choice(self.activities)):
                continue
            conductor = rng.choice(STATES)
            (kind,) = rng.choices(list(ACTIVITY_WEIGHTS), list(ACTIVITY_WEIGHTS.values()))
            filed = self.instant()
            start = filed + _lead(rng, kind)
            days = rng.uniform(1, 3) if kind == "disaster-response-drill" else rng.uniform(1, 10)
            end = start + timedelta(days=days)
            body: dict[str, Any] = {
                "kind": "notification",
                "activity_id": f"{conductor}-{self.tag}{n:06d}",
                "activity": kind,
                "start": start.isoformat(),
                "forces": _forces(rng, kind),
            }
            if rng.random() < 0.98:
                body["end"] = end.isoformat()
            if rng.random() < 0.97:
                body["area"] = f"{conductor} training area {rng.randint(1, 40)}"
            if rng.random() < 0.05:
                body["to"] = self.others(conductor, 2, 6)
            if kind == "disaster-response-drill":
                body["participants"] = self.others(conductor, 2, 5)
            elif rng.random() < 0.10:
                body["participants"] = self.others(conductor, 1, 3)
            self.file(filed, conductor, body)
            self.activities.append(
                Activity(conductor, body["activity_id"], filed, body, start, end)
            )

    def _amend(self, activity: Activity) -> bool:
        """A later notice for the same activity: dates moved, forces revised."""
        rng = self.rng
        filed = activity.filed + timedelta(days=rng.uniform(1, 15))
        if not self.inside(filed):
            return False
        shift = timedelta(days=rng.uniform(-3, 5))
        forces = {
            k: max(0, round(v * rng.uniform(0.8, 1.25))) for k, v in activity.body["forces"].items()
        }
        body = {
            **activity.body,
            "start": (activity.start + shift).isoformat(),
            "forces": forces,
        }
        if "end" in body:
            body["end"] = (activity.end + shift).isoformat()
        self.file(filed, activity.conductor, body)
        return True

    def observations(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            seen = rng.choice(self.activities) if self.activities and rng.random() < 0.6 else None
            if seen is not None and self.inside(seen.end + DAY):
                conductor, kind = seen.conductor, str(seen.body["activity"])
                start, end = seen.start, seen.end
                scale = rng.uniform(0.7, 1.3)
                forces = {k: round(v * scale) for k, v in seen.body["forces"].items()}
            else:  # an activity its conductor never notified
                conductor = rng.choice(STATES)
                kind = rng.choice(("exercise", "concentration", "air-activity"))
                start = self.instant() - timedelta(days=5)
                end = start + timedelta(days=rng.uniform(1, 5))
                small = rng.random() < 0.5
                personnel = rng.randint(200, 2_900) if small else rng.randint(3_000, 20_000)
                forces = {"personnel": personnel, "battle_tanks": personnel // 80}
            observer = rng.choice([s for s in STATES if s != conductor])
            body = {
                "kind": "observation",
                "conducted_by": conductor,
                "activity": kind,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "area": f"near the {observer} border",
                "forces": forces,
            }
            self.file(self.instant(end + timedelta(hours=12), end + 4 * DAY), observer, body)

    def requests(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            requester = rng.choice(STATES)
            addressee = rng.choice([s for s in STATES if s != requester])
            (kind,) = rng.choices(list(REQUEST_WEIGHTS), list(REQUEST_WEIGHTS.values()))
            body = {"kind": "request", "request": kind, "to": addressee}
            if kind == "consultation":
                body["about"] = "unusual movement of forces near the border"
            asked = self.file(self.instant(), requester, body)
            if rng.random() < 0.12:
                continue  # never answered
            draw = rng.random()  # most within the day, some late, a few very late
            low, high = (1, 20) if draw < 0.85 else (21, 60) if draw < 0.95 else (61, 200)
            hours = rng.uniform(low, high)
            answered = asked.at + timedelta(hours=hours)
            if not self.inside(answered):
                continue
            reply: dict[str, Any] = {"kind": "reply", "request": asked.record_id}
            reply["accepted"] = rng.random() < 0.8
            if not reply["accepted"]:
                (reply["reason"],) = rng.choices(REFUSALS, (5, 2, 3))
            self.file(answered, addressee, reply)

    def participations(self, count: int) -> None:
        rng = self.rng
        joint = [a for a in self.activities if a.body.get("participants")]
        for _ in range(count):
            if joint:
                activity = rng.choice(joint)
                author = rng.choice(activity.body["participants"])
                at = self.instant(activity.start, activity.end)
                conductor, activity_id = activity.conductor, activity.activity_id
            else:  # an activity nobody notified (in a short window)
                conductor = rng.choice(STATES)
                author = rng.choice([s for s in STATES if s != conductor])
                at, activity_id = self.instant(), f"{conductor}-{self.tag}unnotified"
            body = {"kind": "participation", "activity_id": activity_id, "conducted_by": conductor}
            self.file(at, author, body)

    def alerts(self, count: int) -> None:
        rng = self.rng
        for n in range(count):
            author = rng.choice(STATES)
            audience = frozenset(self.others(author, 3, 6)) if rng.random() < 0.2 else frozenset()
            (severity,) = rng.choices(list(SEVERITY_WEIGHTS), list(SEVERITY_WEIGHTS.values()))
            sent = self.instant()
            body = _cap_alert(f"{author}-{self.tag}{n:06d}", author, sent, severity)
            scope = Scope(Tlp.AMBER, audience) if audience else GREEN
            alert = Draft(sent, ALERT_RECORD_KIND, author, self.new_id(), body, scope)
            self.drafts.append(alert)
            for party in sorted(audience) or [s for s in STATES if s != author]:
                draw = rng.random()
                if draw < 0.08:
                    continue  # never acknowledged
                minutes = rng.uniform(2, 55) if draw < 0.9 else rng.uniform(61, 240)
                acknowledged = sent + timedelta(minutes=minutes)
                if self.inside(acknowledged):
                    ack = {
                        "alert": alert.record_id,
                        "kind": "acknowledge",
                        "decision": None,
                        "detail": {"note": ""},
                        "by": f"desk-{party.lower()}",
                    }
                    self.drafts.append(
                        Draft(acknowledged, RESPONSE_RECORD_KIND, party, self.new_id(), ack, scope)
                    )

    def exchanges(self) -> None:
        """Each state's annual exchanges, filed between October and the new year (some
        after their due day, some never; some filed twice)."""
        rng = self.rng
        for year in range(self.start.year, self.end.year + 1):
            season = (datetime(year, 10, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))
            if season[1] <= self.start or self.end <= season[0]:
                continue
            for party in STATES:
                for kind in EXCHANGE_KINDS:
                    if rng.random() < 0.15:
                        continue
                    body = {"kind": "exchange", "exchange": kind, "period": year + 1}
                    for _ in range(2 if rng.random() < 0.1 else 1):
                        self.file(self.instant(*season), party, body)

    def scope_events(self, agreements: Sequence[Agreement]) -> None:
        """Renewals and accelerations: a sunset renewed in time, a lapsed agreement revived,
        an emergency clause invoked twice (the second time beyond its cap)."""
        parties = {a.name: a.parties or STATES for a in agreements}
        events: list[tuple[datetime, str, dict[str, Any]]] = []
        for n, party in enumerate(parties["nordic-ladder"]):
            renewal = {"kind": "renewal", "agreement": "nordic-ladder", "until": "2029-01-01"}
            events.append((datetime(2026, 9, 1 + 3 * n, 9, tzinfo=UTC), party, renewal))
        revived = {"kind": "renewal", "agreement": "central-european-ladder", "until": "2028-01-01"}
        events.append(
            (datetime(2026, 8, 15, 9, tzinfo=UTC), parties["central-european-ladder"][0], revived)
        )
        plus = parties["baltic-ladder-plus"]
        invocations = (
            (datetime(2026, 5, 4, 6, tzinfo=UTC), datetime(2026, 5, 24, tzinfo=UTC), 2),
            (datetime(2026, 9, 1, 6, tzinfo=UTC), datetime(2026, 10, 15, tzinfo=UTC), 3),
        )
        for (invoked, until, tier), party in zip(invocations, plus, strict=False):
            acceleration = {
                "kind": "acceleration",
                "agreement": "baltic-ladder-plus",
                "tier": tier,
                "until": until.isoformat(),
                "reason": "flooding across the border region",
            }
            events.append((invoked, party, acceleration))
        for at, party, body in events:
            if self.inside(at):
                self.file(at, party, body)

    def shares(self, count: int) -> None:
        rng, days = self.rng, (self.end - self.start).days
        allowed = {
            (party, kind): [d for d in range(days) if rng.random() >= 0.02] or [0]
            for party in STATES
            for kind in SHARE_KINDS
            if (party, kind) not in SILENT
        }
        pairs = list(allowed)
        weights = [SHARE_WEIGHTS[SHARE_KINDS.index(kind)] for _, kind in pairs]
        for party, kind in rng.choices(pairs, weights, k=count):
            day = self.start + rng.choice(allowed[(party, kind)]) * DAY
            at = day + timedelta(seconds=rng.uniform(0, 86_399))
            body: dict[str, Any] = {
                "kind": "share",
                "share": kind,
                "data": {
                    "station": f"{party}-{rng.randrange(1, 200):03d}",
                    "observed": at.isoformat(),
                    "value": round(rng.uniform(-20, 35), 1),
                },
            }
            if rng.random() < 0.08:
                body["to"] = self.others(party, 2, 4)
            self.file(at, party, body)


def _lead(rng: random.Random, kind: str) -> timedelta:
    """How long before its start an activity is notified: mostly well ahead, some late;
    alert activities once under way, or just before."""
    if kind == "alert-activity":
        return timedelta(hours=rng.uniform(-6, 2))
    draw = rng.random()
    days = (
        rng.uniform(45, 120)
        if draw < 0.8
        else rng.uniform(22, 44)
        if draw < 0.92
        else rng.uniform(1, 21)
    )
    return timedelta(days=days)


def _forces(rng: random.Random, kind: str) -> dict[str, int]:
    """Mostly small; about 10 % above the Vienna Document's notification thresholds, 3 %
    above its constraint thresholds."""
    if kind == "disaster-response-drill":
        return {"personnel": rng.randint(100, 2_000)}
    draw = rng.random()
    if draw < 0.70:
        personnel = rng.randint(200, 2_900)
    elif draw < 0.88:
        personnel = rng.randint(3_000, 8_999)
    elif draw < 0.97:
        personnel = rng.randint(9_000, 13_000)
    elif draw < 0.995:
        personnel = rng.randint(13_001, 25_000)
    else:
        personnel = rng.randint(25_001, 50_000)
    forces = {
        "personnel": personnel,
        "battle_tanks": personnel // rng.randint(40, 120),
        "armoured_combat_vehicles": personnel // rng.randint(15, 40),
        "artillery": personnel // rng.randint(50, 150),
    }
    if kind == "air-activity":
        forces["aircraft_sorties"] = rng.randint(10, 300)
    return forces


def _cap_alert(identifier: str, author: str, sent: datetime, severity: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "sender": f"warnings@{author.lower()}.example",
        "sent": sent.isoformat(timespec="seconds"),
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [
            {
                "category": ["Met"],
                "event": "storm surge",
                "urgency": "Immediate",
                "severity": severity,
                "certainty": "Likely",
                "headline": "Storm surge along the coast",
                "area": [{"areaDesc": f"{author} coastal districts"}],
            }
        ],
    }


def make_records(
    rng: random.Random,
    agreements: Sequence[Agreement],
    count: int,
    start: datetime,
    end: datetime,
    tag: str,
    first_position: int = 1,
) -> list[LoggedRecord]:
    """``count`` records filed in [start, end), in signed-time order, as stored records."""
    made = Generator(rng, start, end, tag)
    made.exchanges()
    made.scope_events(agreements)
    made.notifications(round(count * MIX["notification"]))
    made.observations(round(count * MIX["observation"]))
    made.requests(round(count * MIX["request"]))
    made.participations(round(count * MIX["participation"]))
    made.alerts(round(count * MIX["alert"]))
    made.shares(max(0, count - len(made.drafts)))
    drafts = sorted(made.drafts, key=lambda d: (d.at, d.record_id))[:count]
    return [
        LoggedRecord(
            position=first_position + n,
            record_id=d.record_id,
            kind=d.kind,
            author=d.author,
            created_at=d.at,
            scope=d.scope,
            body=json.dumps(d.body, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
        )
        for n, d in enumerate(drafts)
    ]


def _no_alert_lookup(_key: MessageKey) -> str | None:
    return None  # only CAP Acks look alerts up; these acknowledgements come through the API


def read(record: LoggedRecord) -> list[Fact]:
    return facts_of(record, _no_alert_lookup)


# --- 1. full evaluation ----------------------------------------------------------------------


class CollectorClock:
    """Seconds spent in the garbage collector, and full (generation 2) collections, while
    installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self)


@dataclass(slots=True)
class Phase:
    seconds: float = 0.0
    collector_s: float = 0.0  # of which in the garbage collector
    full_collections: int = 0


class Stopwatch:
    """Wall time by phase, with the collector's share of each."""

    def __init__(self, collector: CollectorClock) -> None:
        self.collector = collector
        self.phases: dict[str, Phase] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        held = self.phases.setdefault(name, Phase())
        collected, full = self.collector.seconds, self.collector.full
        started = time.perf_counter()
        yield
        held.seconds += time.perf_counter() - started
        held.collector_s += self.collector.seconds - collected
        held.full_collections += self.collector.full - full

    @property
    def total(self) -> Phase:
        every = self.phases.values()
        return Phase(
            sum(p.seconds for p in every),
            sum(p.collector_s for p in every),
            sum(p.full_collections for p in every),
        )


@dataclass
class FullRun:
    engine: ComplianceEngine
    phases: dict[str, Phase]
    total: Phase
    facts: int
    verdicts: Counter[tuple[str, str]]  # (agreement, status)
    each_calls: int
    each_verdicts: int
    recommendations: int
    concerns: int
    reciprocity_rows: int


def full_evaluation(records: Sequence[LoggedRecord], agreements: Sequence[Agreement]) -> FullRun:
    """Catch up with every record, a page at a time, then ask for every verdict and report."""
    with CollectorClock() as collector:
        watch = Stopwatch(collector)
        engine = ComplianceEngine(agreements, STATES)
        facts = 0
        started = time.perf_counter()
        with paused_collector(True) as pages:  # as the service's catch-up from nothing
            for first in range(0, len(records), CATCH_UP_PAGE):
                with watch.phase("read"):
                    read_facts = [
                        fact
                        for record in records[first : first + CATCH_UP_PAGE]
                        for fact in read(record)
                    ]
                with watch.phase("add"):
                    engine.load(read_facts)
                facts += len(read_facts)
                pages.append(min(CATCH_UP_PAGE, len(records) - first))
        loading = time.perf_counter() - started
        # What paused_collector does on leaving: gc.freeze.
        settle = loading - watch.phases["read"].seconds - watch.phases["add"].seconds
        watch.phases["settle"] = Phase(settle, 0.0, 0)

        with watch.phase("verdicts"):
            every = engine.verdicts(NOW)

        each_calls = each_verdicts = 0
        with watch.phase("each"):
            for agreement in agreements:
                for party in agreement.parties or STATES:
                    found = engine.verdicts(NOW, agreement=agreement.name, participant=party)
                    each_calls, each_verdicts = each_calls + 1, each_verdicts + len(found)

        with watch.phase("reports"):
            recommendations = engine.recommendations(NOW)
            concerns = engine.concerns(NOW)
            reciprocity = engine.reciprocity(NOW)
    return FullRun(
        engine,
        watch.phases,
        watch.total,
        facts,
        Counter((v.agreement, str(v.status)) for v in every),
        each_calls,
        each_verdicts,
        len(recommendations),
        len(concerns),
        len(reciprocity),
    )


def floor_evaluation(records: Sequence[LoggedRecord]) -> tuple[dict[str, Phase], int]:
    """Read every record into its facts, then group them by (participant, kind), each
    group sorted by time; the phases, and how many groups."""
    with CollectorClock() as collector, paused_collector(True):  # as Accord's load is
        watch = Stopwatch(collector)
        with watch.phase("read"):
            facts = [fact for record in records for fact in read(record)]
        with watch.phase("group"):
            groups: dict[tuple[str, type[Fact], str | None], list[Fact]] = {}
            for fact in facts:
                key = (fact.author, type(fact), getattr(fact, "kind", None))
                groups.setdefault(key, []).append(fact)
            for held in groups.values():
                held.sort(key=_signed_at)
    return watch.phases, len(groups)


def _signed_at(fact: Fact) -> datetime:
    return fact.at


ACCORD_PHASES = {
    "read": "Accord read (facts_of: json.loads + parse_filing)",
    "add": "Accord ComplianceEngine.load",
    "settle": "Accord gc.freeze after the load",
    "verdicts": "Accord verdicts(now), every agreement",
    "each": "Accord verdicts by agreement × party",
    "reports": "Accord recommendations + concerns + reciprocity",
}
FLOOR_PHASES = {
    "read": "floor: read the same records into facts",
    "group": "floor: group by (participant, kind), sort by time",
}


def phase_row(label: str, phase: Phase, records: int, total: float) -> None:
    collector = f"{phase.collector_s:.2f} ({phase.full_collections})"
    print(
        f"  {label:<52} {phase.seconds:>8.2f} {phase.seconds / records * 1e6:>10.1f}"
        f" {phase.seconds / total:>6.0%}  {collector:>12}"
    )


def full_benchmark(
    records: Sequence[LoggedRecord], agreements: Sequence[Agreement], profile: bool
) -> FullRun:
    heading(f"1. Full evaluation: {len(records):,} records, {len(agreements)} agreements")
    floor_phases, groups = floor_evaluation(records)
    gc.collect()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    run = full_evaluation(records, agreements)
    if profiler is not None:
        profiler.disable()
    n, total = len(records), run.total.seconds
    floor = sum(p.seconds for p in floor_phases.values())
    print(f"  {'':<52} {'seconds':>8} {'µs/record':>10} {'share':>6}  {'in gc (full)':>12}")
    for name, label in ACCORD_PHASES.items():
        phase_row(label, run.phases[name], n, total)
    phase_row("Accord total", run.total, n, total)
    for name, label in FLOOR_PHASES.items():
        phase_row(label, floor_phases[name], n, floor)
    print()
    row("Accord total", f"{total:.2f} s", f"{n / total:,.0f} records/s")
    row("floor total", f"{floor:.2f} s", f"{n / floor:,.0f} records/s ({groups} groups)")
    row("Accord total ÷ floor", ratio(total, floor))
    met = "met" if total < FULL_TARGET_S else "MISSED"
    row(f"target: full run < {FULL_TARGET_S:.0f} s", met, ratio(total, FULL_TARGET_S) + " of it")
    row("facts read", f"{run.facts:,}")
    by_status: Counter[str] = Counter()
    for (_agreement, status), count in run.verdicts.items():
        by_status[status] += count
    statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(by_status.items()))
    row("verdicts", f"{by_status.total():,}", statuses)
    for agreement in agreements:
        counts = {s: c for (a, s), c in run.verdicts.items() if a == agreement.name}
        shown = ", ".join(f"{s} {c:,}" for s, c in sorted(counts.items()))
        row(f"  {agreement.name}", f"{sum(counts.values()):,}", shown)
    row(f"verdicts by agreement × party ({run.each_calls} calls)", f"{run.each_verdicts:,}")
    row(
        "recommendations, concerns, reciprocity rows",
        f"{run.recommendations}, {run.concerns}, {run.reciprocity_rows}",
    )
    if profiler is not None:
        print("\n  cProfile of the full evaluation (timings above include its overhead):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return run


# --- 2. incremental --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spread:
    mean: float
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        ordered = sorted(seconds)

        def pick(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return cls(sum(ordered) / len(ordered), pick(0.5), pick(0.99), ordered[-1])

    def ms(self) -> str:
        return " / ".join(f"{s * 1e3:.3f}" for s in (self.mean, self.p50, self.p99, self.max))


def incremental_benchmark(engine: ComplianceEngine, records: Sequence[LoggedRecord]) -> None:
    heading(f"2. Incremental: {len(records):,} new records after the full load, one at a time")
    clock = time.perf_counter
    floor: list[float] = []
    for record in records:
        started = clock()
        read(record)
        floor.append(clock() - started)

    filed: list[float] = []
    reread: list[float] = []
    by_kind: dict[str, list[float]] = {}
    keys = flags = 0
    with CollectorClock() as collector:
        for record in records:
            now = record.created_at
            started = clock()
            touched: set[DutyKey] = set()
            raised = 0
            for fact in read(record):
                touched |= engine.add(fact)
                raised += len(engine.check(fact, now))
            checked = clock()
            for key in touched:
                engine.verdict(key, now)
            done = clock()
            filed.append(checked - started)
            reread.append(done - checked)
            by_kind.setdefault(record.kind, []).append(checked - started)
            keys, flags = keys + len(touched), flags + raised

    accord, floor_spread = Spread.of(filed), Spread.of(floor)
    both = Spread.of([a + b for a, b in zip(filed, reread, strict=True)])
    print(f"  {'per record, ms':<52} {'mean / p50 / p99 / max':>32}")
    print(f"  {'Accord read + add + check(fact, now)':<52} {accord.ms():>32}")
    print(f"  {'Accord verdict(key, now) of the touched duties':<52} {Spread.of(reread).ms():>32}")
    print(f"  {'Accord both':<52} {both.ms():>32}")
    print(f"  {'floor: read the record into its fact':<52} {floor_spread.ms():>32}")
    row("Accord read + add + check ÷ floor (means)", ratio(accord.mean, floor_spread.mean))
    row("Accord both ÷ floor (means)", ratio(both.mean, floor_spread.mean))
    met = "met" if both.p99 * 1e3 < INCREMENTAL_TARGET_MS else "MISSED"
    note = f"p99 of both {ratio(both.p99 * 1e3, INCREMENTAL_TARGET_MS)} of it"
    row(f"target: incremental < {INCREMENTAL_TARGET_MS:.0f} ms per record", met, note)
    row("duties touched per record (mean)", f"{keys / len(records):.1f}")
    row("flags raised", f"{flags:,}")
    row(
        "in the garbage collector (full collections)",
        f"{collector.seconds:.3f} s ({collector.full})",
    )
    print(f"\n  {'by record kind: count, mean ms, p99 ms (read + add + check)':<60}")
    for kind, seconds in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        spread = Spread.of(seconds)
        print(
            f"    {kind:<30} {len(seconds):>7,} {spread.mean * 1e3:>9.3f} {spread.p99 * 1e3:>9.3f}"
        )


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--records", type=int, help="records in the year (default 1,000,000)")
    parser.add_argument("--incremental", type=int, help="new records judged one at a time")
    parser.add_argument("--profile", action="store_true", help="cProfile the full evaluation")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    records_n = args.records or plan.records
    incremental_n = args.incremental or plan.incremental
    machine_facts()
    started = time.perf_counter()

    rng = random.Random(SEED)
    agreements = make_agreements(rng)
    year = make_records(rng, agreements, records_n, YEAR_START, YEAR_END, "y")
    days = max(1, round(365 * incremental_n / records_n))
    new = make_records(
        rng, agreements, incremental_n, YEAR_END, YEAR_END + days * DAY, "n", len(year) + 1
    )
    heading("Workload")
    rules = sorted({o.rule for a in agreements for o in a.obligations})
    row("agreements", str(len(agreements)), ", ".join(a.name for a in agreements))
    row("obligations", str(sum(len(a.obligations) for a in agreements)))
    row("rule types used", f"{len(rules)} of {len(known_rule_types())}")
    kinds = Counter(r.kind for r in year)
    mix = ", ".join(f"{k.removeprefix(FILING_RECORD_PREFIX)} {n:,}" for k, n in kinds.most_common())
    row("records in 2026", f"{len(year):,}", mix)
    row("body bytes (mean)", f"{sum(len(r.body) for r in year) / len(year):.0f}")
    row(f"new records (from 2027-01-01, {days} days)", f"{len(new):,}")
    row("generated in", f"{time.perf_counter() - started:.1f} s", "(not measured)")
    gc.collect()
    gc.freeze()  # the records stand in for the database: see the module docstring

    run = full_benchmark(year, agreements, args.profile)
    incremental_benchmark(run.engine, new)
    print(
        f"\npeak memory {peak_memory_mib():,.0f} MiB; total {time.perf_counter() - started:,.0f} s"
    )


if __name__ == "__main__":
    main()
