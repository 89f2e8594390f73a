"""Requests, the replies that answer them, and what each addressee has accepted.

A request's answer is its addressee's earliest reply; replies may arrive before their
request. Quotas ask "how many requests of this kind, to this party, this year, filed
before this one, were accepted (and how many from each requester)": the accepted ones are
kept sorted by filing order per requester, so that takes a binary search per requester
rather than a walk through the year's requests.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator

from accord.domain.agreements.facts import Reply, Request
from accord.domain.agreements.order import Mark, earliest

Bucket = tuple[str, str, int]  # (kind, addressee, year of the request)


def bucket_of(request: Request) -> Bucket:
    return request.kind, request.to, request.at.year


class RequestBook:
    def __init__(self) -> None:
        self._requests: dict[str, Request] = {}
        self._buckets: dict[str, dict[tuple[str, int], list[str]]] = {}  # kind -> ids
        self._replies: dict[str, list[Reply]] = {}  # by request id, the request maybe unseen
        self._answers: dict[str, Reply] = {}
        self._accepted: dict[Bucket, dict[str, list[Mark]]] = {}  # -> requester -> sorted
        self._refused: dict[Bucket, list[Mark]] = {}  # requests refused at least once, sorted
        self._refused_ids: set[str] = set()
        self._ever_accepted: set[str] = set()

    def get(self, record_id: str) -> Request | None:
        return self._requests.get(record_id)

    def answer(self, request: Request) -> Reply | None:
        """The reply that counts: the addressee's earliest."""
        return self._answers.get(request.record_id)

    def buckets(self, kind: str) -> Iterator[tuple[str, list[Request]]]:
        """(addressee, that year's requests in signed-time order) for every bucket of kind."""
        for (addressee, _), ids in self._buckets.get(kind, {}).items():
            yield addressee, sorted((self._requests[i] for i in ids), key=earliest)

    def accepted_before(self, request: Request) -> dict[str, int]:
        """By requester: requests in ``request``'s bucket filed before it and accepted."""
        mark = earliest(request)
        held = self._accepted.get(bucket_of(request), {})
        return {who: bisect_left(marks, mark) for who, marks in held.items()}

    def ever_accepted(self, request: Request) -> bool:
        """Whether the request has counted against its quota at any time: only then can
        a reply to it change what the requests after it may be refused for."""
        return request.record_id in self._ever_accepted

    def refused_after(self, request: Request) -> list[Request]:
        """Requests in ``request``'s bucket filed after it that were ever refused."""
        marks = self._refused.get(bucket_of(request), [])
        later = marks[bisect_left(marks, earliest(request)) :]
        return [
            self._requests[record_id] for _, record_id in later if record_id != request.record_id
        ]

    def add_request(self, request: Request) -> None:
        self._requests[request.record_id] = request
        by_kind = self._buckets.setdefault(request.kind, {})
        by_kind.setdefault((request.to, request.at.year), []).append(request.record_id)
        for reply in self._replies.get(request.record_id, ()):
            self._answered(request, reply)

    def add_reply(self, reply: Reply) -> None:
        self._replies.setdefault(reply.request_id, []).append(reply)
        request = self._requests.get(reply.request_id)
        if request is not None:
            self._answered(request, reply)

    def _answered(self, request: Request, reply: Reply) -> None:
        if reply.author != request.to:
            return
        if not reply.accepted and request.record_id not in self._refused_ids:
            self._refused_ids.add(request.record_id)
            insort(self._refused.setdefault(bucket_of(request), []), earliest(request))
        held = self._answers.get(request.record_id)
        if held is not None and earliest(held) <= earliest(reply):
            return
        self._answers[request.record_id] = reply
        if (held is not None and held.accepted) != reply.accepted:
            self._count(request, accepted=reply.accepted)

    def _count(self, request: Request, *, accepted: bool) -> None:
        """Count the request against its bucket's quota, or stop counting it."""
        marks = self._accepted.setdefault(bucket_of(request), {}).setdefault(request.author, [])
        if accepted:
            insort(marks, earliest(request))
            self._ever_accepted.add(request.record_id)
        else:
            marks.remove(earliest(request))
