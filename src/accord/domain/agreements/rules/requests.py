"""Requests a party must answer in time: consultations, and visits it must accept up to a
quota (Vienna Document III (16) and IX).

Each request of the rule's kind from one party to another puts a duty on the party asked,
subject "request/<record id>", due ``answer_within_hours`` after the request was filed;
its answer is the addressee's earliest Reply. For a consultation any reply answers.

Under a quota (inspections, evaluation and observation visits) a party must accept
``accept_per_year`` requests a calendar year, and ``per_requester_per_year`` from any one
requester. Counted against the quota: requests of the same year filed before this one
(signed time, then record id) that were accepted. A refusal is met (or late) when the
quota was filled at the time, or when the reason is "force-majeure" (such refusals are
not counted either); any other refusal is missed: refused with quota remaining. Accepting
beyond the quota is always allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from accord.domain.agreements.duties import Duty, Status
from accord.domain.agreements.facts import Fact, Reply, Request
from accord.domain.agreements.periods import describe
from accord.domain.agreements.rules.base import Affected, Rule, rule_type, subject_id
from accord.domain.agreements.schema import Choice, Number, Params, declare
from accord.domain.agreements.scope import Scope

REQUEST = "request/"
FORCE_MAJEURE = "force-majeure"
QUOTA_KINDS = ("inspection", "evaluation-visit", "observation-visit")
_HOURS = Number(1, 24 * 366)


class _Answered(Rule):
    """A request of ``kind`` must be answered within ``answer_within_hours``."""

    consumes = (Request, Reply)
    kind = ""

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self._within = timedelta(hours=params.number("answer_within_hours"))
        self._book = scope.index.requests

    def routes(self) -> Iterable[tuple[type[Fact], str | None]]:
        return [(Request, self.kind), (Reply, None)]

    def affected(self, fact: Fact) -> Affected:
        request = fact if isinstance(fact, Request) else None
        if isinstance(fact, Reply):
            request = self._book.get(fact.request_id)
            if request is None or fact.author != request.to:
                return []
        if request is None or request.kind != self.kind:
            return []
        return [(request.to, REQUEST + request.record_id), *self._later(request)]

    def _later(self, request: Request) -> Affected:
        """Other requests whose duty this one's answer can change; none by default."""
        return []

    def duties(self, now: datetime, participant: str | None = None) -> Iterator[Duty]:
        for addressee, requests in self._book.buckets(self.kind):
            if participant in (None, addressee):
                yield from self._judged_in_order(requests)

    def _judged_in_order(self, requests: list[Request]) -> Iterator[Duty]:
        """The duties of one addressee's requests of one year, in filing order."""
        return (self._answered(r) for r in requests if self._owed(r))

    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        request = self._book.get(subject_id(subject, REQUEST) or "")
        if request is None or request.to != participant or request.kind != self.kind:
            return None
        return self._duty(request) if self._owed(request) else None

    def _duty(self, request: Request) -> Duty:
        return self._answered(request)

    def _owed(self, request: Request) -> bool:
        return request.author != request.to and request.author in self.scope.parties

    def _answered(self, request: Request) -> Duty:
        reply = self._book.answer(request)
        about = f" about {request.about}" if request.about else ""
        article = "an" if request.kind[:1] in "aeiou" else "a"
        asked = f"{request.author} asked for {article} {request.kind}{about}"
        if reply is None:
            answer = f"no answer; due within {describe(self._within)}"
        else:
            verb = "accepted" if reply.accepted else "refused"
            reason = f" ({reply.reason})" if reply.reason and not reply.accepted else ""
            answer = f"{verb}{reason} after {describe(reply.at - request.at)}"
        return Duty(
            participant=request.to,
            subject=REQUEST + request.record_id,
            arose_at=request.at,
            due=request.at + self._within,
            done_at=reply.at if reply is not None else None,
            evidence=(request.record_id,) + ((reply.record_id,) if reply else ()),
            detail=f"{asked}; {answer}",
        )


@rule_type("consultation")
class Consultation(_Answered):
    fields = declare(answer_within_hours=_HOURS)
    kind = "consultation"


@rule_type("request-quota")
class RequestQuota(_Answered):
    fields = declare(
        request_kind=Choice(QUOTA_KINDS),
        accept_per_year=Number(0),
        per_requester_per_year=Number(0),
        answer_within_hours=_HOURS,
    )

    def __init__(self, params: Params, scope: Scope) -> None:
        super().__init__(params, scope)
        self.kind = params.text("request_kind")
        self._quota = params.number("accept_per_year")
        self._each = params.number("per_requester_per_year")

    def _judged_in_order(self, requests: list[Request]) -> Iterator[Duty]:
        """Walking the year in order, counting acceptances as they come: one pass for
        the whole bucket where ``_duty`` would search it once per request."""
        accepted: dict[str, int] = {}  # by requester
        used = 0
        for request in requests:
            if not self._owed(request):
                continue
            reply = self._book.answer(request)
            yield self._judged(request, reply, used, accepted.get(request.author, 0))
            if reply is not None and reply.accepted:
                accepted[request.author] = accepted.get(request.author, 0) + 1
                used += 1

    def _duty(self, request: Request) -> Duty:
        before = self._book.accepted_before(request)
        counted = {
            who: n for who, n in before.items() if who != request.to and who in self.scope.parties
        }
        reply = self._book.answer(request)
        return self._judged(request, reply, sum(counted.values()), counted.get(request.author, 0))

    def _judged(self, request: Request, reply: Reply | None, used: int, used_by: int) -> Duty:
        duty = self._answered(request)
        if reply is None or reply.accepted or reply.reason == FORCE_MAJEURE:
            return duty
        quota = (
            f"{used} of {self._quota} accepted this year, "
            f"{used_by} of {self._each} from {request.author}"
        )
        if used >= self._quota or used_by >= self._each:
            return duty._replace(detail=f"{duty.detail}; quota filled: {quota}")
        detail = f"{duty.detail}; refused with quota remaining: {quota}"
        return duty._replace(detail=detail, fixed=Status.MISSED)

    def _later(self, request: Request) -> Affected:
        """Refusals after this request, if it ever counted against the quota: whether
        it counts changes what they may be refused for."""
        if not self._book.ever_accepted(request):
            return []
        return [
            (request.to, REQUEST + other.record_id)
            for other in self._book.refused_after(request)
            if _refused(self._book.answer(other))
        ]


def _refused(reply: Reply | None) -> bool:
    return reply is not None and not reply.accepted and reply.reason != FORCE_MAJEURE
