"""Reviews and sunsets announced to the parties, as alerts from the secretariat.

A reminder travels as a CAP alert (category Other, urgency Future; TLP:AMBER with the
agreement's parties as its audience, or TLP:GREEN for an agreement of all) because that
is how the region already tells its desks things: it reaches them through their
subscriptions (webhook, e-mail, live stream, feed), is signed and logged, and can be
acknowledged. Only the node that writes the secretariat's records issues them, so a
region hears each reminder once; the CAP identifier carries the reminder's key, and a
reminder already issued is never issued again, however often the node ticks or restarts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from accord.domain.agreements.reminders import Reminder
from accord.domain.alerts.cap import Alert, Info
from accord.domain.alerts.cap_json import alert_to_json
from accord.domain.alerts.rules import check_rules
from accord.domain.identity import Role
from accord.domain.sharing import Reader
from accord.errors import AccordError
from accord.ledger.canonical import canonical_json
from accord.services.alerts import AlertService, IncomingAlert
from accord.services.compliance import ComplianceService
from accord.services.ports import Account, AlertQuery, Clock, UnitOfWorkFactory

EVENTS = {
    "review": "Agreement review due",
    "sunset": "Agreement sunset",
    "lapsed": "Agreement lapsed",
}
_ADMIN = Reader(Role.ADMIN, None)


def reminder_sender(secretariat: str) -> str:
    return f"agreements@{secretariat.lower()}.accord.invalid"


class ReminderService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        compliance: ComplianceService,
        alerts: AlertService,
        *,
        secretariat: str | None,
        notice_days: int,
        writes_for: Callable[[str], bool] = lambda _participant: True,
        every: timedelta = timedelta(minutes=5),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._compliance = compliance
        self._alerts = alerts
        self._secretariat = secretariat
        self._notice_days = notice_days
        self._writes_for = writes_for
        self._every = every
        self._last: datetime | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Reminders need a secretariat this node writes for, and a notice period."""
        return (
            self._secretariat is not None
            and self._notice_days > 0
            and self._writes_for(self._secretariat)
        )

    def tick(self) -> list[str]:
        """Issue the reminders due now, at most once per ``every``; their identifiers."""
        now = self._clock.now()
        with self._lock:
            if self._last is not None and now - self._last < self._every:
                return []
            self._last = now
        return self.issue_due()

    def issue_due(self) -> list[str]:
        """Issue every reminder due now that has not been issued; their identifiers."""
        if not self.enabled:
            return []
        assert self._secretariat is not None
        due = self._compliance.due_reminders(self._notice_days)
        held = self._issued_keys()
        with self._uow(readonly=True) as uow:
            known = uow.identity.participant_codes()
        fresh = [_among(r, known) for r in due if r.key not in held]
        fresh = [r for r in fresh if r.parties != ()]  # no party known here: nobody to tell
        if not fresh:
            return []
        account = Account(0, "accord-reminders", Role.FOCAL_POINT, self._secretariat)
        now = self._clock.now()
        items = [self._incoming(r, now) for r in fresh]
        results = self._alerts.issue(
            account,
            items,
            tlp=[_tlp(r) for r in fresh],
            audience=[list(r.parties) if r.parties else None for r in fresh],
        )
        for result in results:
            if isinstance(result, AccordError):
                raise result
        return [r.key for r in fresh]

    def _issued_keys(self) -> set[str]:
        """Identifiers of reminders already issued within the notice window (a reminder is
        only ever due inside it, so nothing older can be asked for again)."""
        assert self._secretariat is not None
        since = self._clock.now() - timedelta(days=2 * self._notice_days + 2)
        query = AlertQuery(
            sender=reminder_sender(self._secretariat),
            statuses=("Actual",),
            sent_after=since,
            limit=10_000,
        )
        views = self._alerts.search(_ADMIN, query)
        return {str(json.loads(view.row.body)["identifier"]) for view in views}

    def _incoming(self, reminder: Reminder, now: datetime) -> IncomingAlert:
        alert = reminder_alert(reminder, reminder_sender(self._secretariat or ""), now)
        problems = [p for p in check_rules(alert) if p.severity == "error"]
        if problems:  # our own message: a problem here is a bug, not bad input
            raise AssertionError(f"reminder {reminder.key} is not valid CAP: {problems}")
        return IncomingAlert(alert, canonical_json(alert_to_json(alert)), "application/json")


def reminder_alert(reminder: Reminder, sender: str, now: datetime) -> Alert:
    """The reminder as a CAP 1.2 alert, in force from now until the end of its day."""
    sent = now.replace(microsecond=0)
    until = datetime.combine(reminder.on, time(23, 59, 59), UTC)
    if reminder.kind == "lapsed":
        until = max(until, sent) + timedelta(days=7)
    parties = ", ".join(reminder.parties) if reminder.parties else "every participant"
    info = Info(
        language="en-GB",
        categories=("Other",),
        event=EVENTS[reminder.kind],
        response_types=("Prepare",) if reminder.kind != "lapsed" else ("None",),
        urgency="Future" if reminder.kind != "lapsed" else "Past",
        severity="Minor",
        certainty="Observed" if reminder.kind == "lapsed" else "Likely",
        effective=_cap_time(sent),
        expires=_cap_time(until),
        sender_name="Regional secretariat (Accord agreements)",
        headline=reminder.headline[:160],
        description=(
            f"{reminder.headline}. Agreement: {reminder.agreement}. Parties: {parties}. "
            "The obligations, their compliance and the calendar are on the node "
            f"(GET /api/v1/agreements/{reminder.agreement})."
        ),
    )
    return Alert(
        identifier=reminder.key,
        sender=sender,
        sent=_cap_time(sent),
        status="Actual",
        msg_type="Alert",
        scope="Restricted",
        restriction=f"TLP:{_tlp(reminder)}",
        infos=(info,),
    )


def _among(reminder: Reminder, known: set[str]) -> Reminder:
    """The reminder for the parties this node knows (an audience must name known ones)."""
    if reminder.parties is None:
        return reminder
    return replace(reminder, parties=tuple(p for p in reminder.parties if p in known))


def _tlp(reminder: Reminder) -> str:
    """The parties' business: AMBER for them alone, GREEN when every participant is one."""
    return "AMBER" if reminder.parties else "GREEN"


def _cap_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
