"""The reciprocity ledger: who shares what with whom, and whether the other side shares
back. It reports and never withholds: deciding to stop sharing with a party that does not
reciprocate is for the forum, and an engine that did it by itself would turn a reporting
gap into a crisis.

Shares and exchanges count alike, by kind; one addressed to nobody in particular goes to
every other participant the node knows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from accord.domain.agreements.facts import Exchange, Share


@dataclass(frozen=True, slots=True)
class ReciprocityRow:
    from_party: str
    to_party: str
    kind: str
    count: int  # facts of this kind from_party shared with to_party, up to ``now``
    returned: bool  # to_party shared this kind with from_party too


class ReciprocityLedger:
    def __init__(self) -> None:
        # (giver, receiver or None for everyone, kind) -> signed times
        self._times: dict[tuple[str, str | None, str], list[datetime]] = {}
        self._unsorted: set[tuple[str, str | None, str]] = set()

    def add(self, fact: Share | Exchange) -> None:
        for receiver in fact.to or (None,):
            key = (fact.author, receiver, fact.kind)
            self._times.setdefault(key, []).append(fact.at)
            self._unsorted.add(key)

    def rows(self, now: datetime, participants: Iterable[str]) -> list[ReciprocityRow]:
        everyone = tuple(participants)
        counts: dict[tuple[str, str, str], int] = {}
        for giver, receiver, kind in list(self._times):
            count = self._upto(giver, receiver, kind, now)
            for to in (receiver,) if receiver is not None else everyone:
                if count and to != giver:
                    counts[(giver, to, kind)] = counts.get((giver, to, kind), 0) + count
        return [
            ReciprocityRow(giver, to, kind, count, (to, giver, kind) in counts)
            for (giver, to, kind), count in sorted(counts.items())
        ]

    def _upto(self, giver: str, receiver: str | None, kind: str, now: datetime) -> int:
        key = (giver, receiver, kind)
        if key in self._unsorted:
            self._times[key].sort()
            self._unsorted.discard(key)
        return bisect_right(self._times[key], now)
