"""The hotline: every alert one party issues must be acknowledged by each party it was
addressed to (every other party when its audience is empty) within
``acknowledge_within_minutes``.

Duties: one per alert and addressee, subject "alert/<record id>", owed by the addressee;
the earliest Acknowledged it files counts. With ``minimum_severity`` set, alerts of a
lesser CAP severity ask for no acknowledgement ("Unknown" ranks lowest).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from accord.domain.agreements.duties import Duty
from accord.domain.agreements.facts import Acknowledged, AlertIssued, Fact
from accord.domain.agreements.periods import describe
from accord.domain.agreements.rules.base import Affected, Rule, rule_type, subject_id
from accord.domain.agreements.schema import Choice, Number, Params, declare
from accord.domain.agreements.scope import Scope
from accord.domain.alerts.cap import SEVERITIES, SEVERITY_RANK

ALERT = "alert/"


@rule_type("alert-acknowledgement")
class AlertAcknowledgement(Rule):
    fields = declare(
        acknowledge_within_minutes=Number(1, 60 * 24 * 30),
        minimum_severity=Choice(SEVERITIES, required=False),
    )
    consumes = (AlertIssued, Acknowledged)

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._within = timedelta(minutes=params.number("acknowledge_within_minutes"))
        least = params.text("minimum_severity") if params.has("minimum_severity") else "Unknown"
        self._rank = SEVERITY_RANK[least]

    def affected(self, fact: Fact) -> Affected:
        if isinstance(fact, AlertIssued):
            return [(party, ALERT + fact.record_id) for party in self._audience(fact)]
        if isinstance(fact, Acknowledged):
            alert = self.scope.index.alerts.get(fact.alert_id)
            if alert is not None and fact.author in self._audience(alert):
                return [(fact.author, ALERT + alert.record_id)]
        return []

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        for alert in self.scope.index.alerts.values():
            for party in self._audience(alert):
                if participant in (None, party):
                    yield self._duty(alert, party)

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        alert = self.scope.index.alerts.get(subject_id(subject, ALERT) or "")
        if alert is None or participant not in self._audience(alert):
            return None
        return self._duty(alert, participant)

    def _audience(self, alert: AlertIssued) -> tuple[str, ...]:
        parties = self.scope.parties
        if alert.author not in parties or SEVERITY_RANK.get(alert.severity, 4) > self._rank:
            return ()
        named = alert.audience or parties.members()
        return tuple(p for p in dict.fromkeys(named) if p != alert.author and p in parties)

    def _duty(self, alert: AlertIssued, party: str) -> Duty:
        ack = self.scope.index.acks.get((alert.record_id, party))
        heard = f"acknowledged after {describe(ack.at - alert.at)}" if ack else "not acknowledged"
        return Duty(
            participant=party,
            subject=ALERT + alert.record_id,
            arose_at=alert.at,
            due=alert.at + self._within,
            done_at=ack.at if ack is not None else None,
            evidence=(alert.record_id,) + ((ack.record_id,) if ack else ()),
            detail=f"{alert.severity} alert from {alert.author}; {heard}",
        )
