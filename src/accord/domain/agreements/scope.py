"""What a rule knows of the agreement it serves: its parties, its start, the shared index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from accord.domain.agreements.index import FactIndex


class PartySet:
    """The parties of an agreement as the node knows them.

    A list in the agreement, or the node's participants for "all", is fixed. With no list
    of participants to go by, "all" means every participant that has filed a fact so far:
    a party that never filed anything then owes nothing, so give the engine the node's
    participants wherever it has them."""

    def __init__(self, codes: Iterable[str] | None) -> None:
        self._fixed = codes is not None
        self._codes = set(codes or ())
        self._members: tuple[str, ...] | None = None

    def learn(self, code: str) -> None:
        if not self._fixed and code not in self._codes:
            self._codes.add(code)
            self._members = None

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def members(self) -> tuple[str, ...]:
        if self._members is None:
            self._members = tuple(sorted(self._codes))
        return self._members


@dataclass(frozen=True, slots=True)
class Scope:
    """Shared by every obligation whose rule, params, start and parties are the same (the
    engine files their facts once), so it names no agreement or obligation."""

    starts: datetime  # midnight UTC on the agreement's first day: periods count from here
    parties: PartySet
    index: FactIndex
