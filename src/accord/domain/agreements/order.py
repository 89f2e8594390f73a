"""The order in which competing facts count: two replies to one request, two renewals.

Signed time first, then record id: facts replicated from other nodes arrive in any order,
and an answer must not depend on which arrived first.
"""

from __future__ import annotations

from datetime import datetime

from accord.domain.agreements.facts import Fact

Mark = tuple[datetime, str]  # (at, record id)


def earliest(fact: Fact) -> Mark:
    return fact.at, fact.record_id
