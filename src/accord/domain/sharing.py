"""Who may read what: Traffic Light Protocol 2.0 levels, audiences, and the read policy.

A record's scope is a TLP level plus an optional audience (participant codes). The policy
below is the single place that decides whether a reader may see a record's content; every
read path (lists, single reads, feeds, later deliveries and replication) calls ``may_read``
or its SQL twin, which the tests check against an independently written oracle.

| level        | who reads the content                                                   |
| ------------ | ----------------------------------------------------------------------- |
| CLEAR        | everyone, signed in or not                                              |
| GREEN        | every signed-in member of the community (not reporters)                 |
| AMBER        | focal points, analysts and observers of the author's participant and    |
|              | of the audience; with no audience, of every participant                 |
| AMBER+STRICT | as AMBER, but focal points and analysts only (no observers)             |
| RED          | the author participant's focal points and analysts, and the focal       |
|              | points of the audience participants — named people, nobody else         |

The node's admins operate the database and read everything on their node; that is stated
in THREAT_MODEL.md rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accord.domain.identity import Role
from accord.errors import InvalidInputError, Problem


class Tlp(StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        return _TLP_ORDER.index(self)


_TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)

# The least restrictive TLP an alert may carry, given its CAP <scope>: an alert addressed
# to named recipients must never become public through a looser label.
_MINIMUM_TLP_FOR_CAP_SCOPE = {"Public": Tlp.CLEAR, "Restricted": Tlp.GREEN, "Private": Tlp.AMBER}
_DEFAULT_TLP_FOR_CAP_SCOPE = {"Public": Tlp.CLEAR, "Restricted": Tlp.AMBER, "Private": Tlp.RED}


@dataclass(frozen=True, slots=True)
class Scope:
    tlp: Tlp
    audience: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, object]:
        return {"tlp": self.tlp.value, "audience": sorted(self.audience)}


@dataclass(frozen=True, slots=True)
class Reader:
    """Whoever is asking: anonymous readers have role PUBLIC and no participant."""

    role: Role
    participant: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role is Role.PUBLIC


ANONYMOUS = Reader(Role.PUBLIC)
_MEMBER_ROLES = frozenset({Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER})
_STAFF_ROLES = frozenset({Role.FOCAL_POINT, Role.ANALYST})


def may_read(reader: Reader, scope: Scope, author: str) -> bool:
    """Whether ``reader`` may see the content of a record by ``author`` under ``scope``."""
    if scope.tlp is Tlp.CLEAR or reader.role is Role.ADMIN:
        return True
    if reader.role not in _MEMBER_ROLES or reader.participant is None:
        return False
    if scope.tlp is Tlp.GREEN:
        return True
    is_author = reader.participant == author
    in_audience = reader.participant in scope.audience
    if scope.tlp is Tlp.RED:
        if is_author:
            return reader.role in _STAFF_ROLES
        return in_audience and reader.role is Role.FOCAL_POINT
    allowed_roles = _MEMBER_ROLES if scope.tlp is Tlp.AMBER else _STAFF_ROLES
    if reader.role not in allowed_roles:
        return False
    return is_author or in_audience or not scope.audience


def scope_for_alert(
    cap_scope: str, tlp: str | None, audience: list[str] | None, known_participants: set[str]
) -> Scope:
    """The scope an incoming alert gets: the sender's choice, checked against CAP ``scope``."""
    problems: list[Problem] = []
    level = _DEFAULT_TLP_FOR_CAP_SCOPE.get(cap_scope, Tlp.RED)
    if tlp is not None:
        try:
            level = Tlp(tlp.upper())
        except ValueError:
            problems.append(
                Problem("tlp", "INVALID_TLP", f"TLP must be one of {', '.join(_TLP_ORDER)}")
            )
    minimum = _MINIMUM_TLP_FOR_CAP_SCOPE.get(cap_scope, Tlp.RED)
    if not problems and level.rank < minimum.rank:
        problems.append(
            Problem(
                "tlp",
                "TLP_LOOSER_THAN_CAP_SCOPE",
                f"a CAP {cap_scope} alert needs TLP:{minimum} or stricter, not TLP:{level}",
            )
        )
    members = frozenset(code.strip().upper() for code in audience or () if code.strip())
    unknown = sorted(members - known_participants)
    if unknown:
        problems.append(
            Problem(
                "audience",
                "UNKNOWN_PARTICIPANT",
                f"audience names unknown participants: {', '.join(unknown)}",
            )
        )
    if problems:
        raise InvalidInputError("the requested scope is not valid", problems)
    return Scope(level, members)
