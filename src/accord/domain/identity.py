"""Participants, agencies, users, roles and API tokens: who is who on a node.

Participants that are states are named by their ISO 3166-1 alpha-2 code, so records and
audiences read the same in every node of a region; organisations choose a short code.
Tokens are 256 random bits shown once; only their SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import pycountry

from accord.domain.geometry import jurisdiction_problems
from accord.errors import InvalidInputError, Problem

E = TypeVar("E", bound=StrEnum)

TOKEN_PREFIX = "acc_"  # noqa: S105 - a label, not a secret


class Role(StrEnum):
    ADMIN = "admin"
    FOCAL_POINT = "focal-point"
    ANALYST = "analyst"
    OBSERVER = "observer"
    REPORTER = "reporter"
    PUBLIC = "public"


class Sector(StrEnum):
    DEFENCE = "defence"
    HEALTH = "health"
    ENVIRONMENT = "environment"
    DISASTER = "disaster"
    CYBER = "cyber"
    BORDER = "border"
    FOREIGN_AFFAIRS = "foreign-affairs"


# The CAP 1.2 categories of the alerts each sector's agencies act on: what "the health
# sector's alerts" means when the situation page or ``GET /api/v1/alerts`` filter by
# sector. CAP has no sector of its own; its categories are the nearest standard facet.
SECTOR_CATEGORIES: Mapping[Sector, frozenset[str]] = {
    Sector.DEFENCE: frozenset({"Security", "CBRNE"}),
    Sector.HEALTH: frozenset({"Health", "CBRNE"}),
    Sector.ENVIRONMENT: frozenset({"Env", "Met", "Geo"}),
    Sector.DISASTER: frozenset(
        {"Geo", "Met", "Safety", "Rescue", "Fire", "Env", "Transport", "Infra", "CBRNE"}
    ),
    Sector.CYBER: frozenset({"Infra", "Security"}),
    Sector.BORDER: frozenset({"Security", "Safety", "Rescue", "Transport"}),
    Sector.FOREIGN_AFFAIRS: frozenset({"Security", "Other"}),
}


class ParticipantKind(StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"


# Roles that may issue alerts on behalf of their participant.
ISSUING_ROLES = frozenset({Role.ADMIN, Role.FOCAL_POINT})
# Roles a user account can hold (PUBLIC is the absence of an account).
ACCOUNT_ROLES = tuple(role for role in Role if role is not Role.PUBLIC)

_ORGANISATION_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True, slots=True)
class NewParticipant:
    code: str
    name: str
    kind: ParticipantKind


@dataclass(frozen=True, slots=True)
class NewAgency:
    participant: str
    name: str
    sector: Sector
    jurisdiction: Mapping[str, object] | None


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    role: Role
    participant: str | None
    agency: str | None = None


def validate_participant(code: str, name: str, kind: str) -> NewParticipant:
    problems: list[Problem] = []
    parsed_kind = _parse_enum(ParticipantKind, kind, "/kind", problems)
    code = code.strip().upper()
    if parsed_kind is ParticipantKind.STATE and pycountry.countries.get(alpha_2=code) is None:
        problems.append(
            Problem("/code", "NOT_ISO_3166", f"{code!r} is not an ISO 3166-1 alpha-2 code")
        )
    if parsed_kind is ParticipantKind.ORGANISATION and not _ORGANISATION_CODE.match(code):
        problems.append(
            Problem(
                "/code",
                "INVALID_CODE",
                "an organisation code is 2-32 upper-case letters, digits or '-', "
                "starting with a letter",
            )
        )
    if not name.strip():
        problems.append(Problem("/name", "REQUIRED", "name must not be empty"))
    _raise_if(problems, "the participant is not valid")
    assert parsed_kind is not None
    return NewParticipant(code, name.strip(), parsed_kind)


def validate_agency(participant: str, name: str, sector: str, jurisdiction: object) -> NewAgency:
    problems: list[Problem] = []
    parsed_sector = _parse_enum(Sector, sector, "/sector", problems)
    if not name.strip():
        problems.append(Problem("/name", "REQUIRED", "name must not be empty"))
    if jurisdiction is not None:
        problems.extend(jurisdiction_problems(jurisdiction, "/jurisdiction"))
    _raise_if(problems, "the agency is not valid")
    assert parsed_sector is not None
    geo = jurisdiction if isinstance(jurisdiction, Mapping) else None
    return NewAgency(participant.strip().upper(), name.strip(), parsed_sector, geo)


def validate_user(username: str, role: str, participant: str | None) -> NewUser:
    problems: list[Problem] = []
    parsed_role = _parse_enum(Role, role, "/role", problems)
    if parsed_role is Role.PUBLIC:
        problems.append(Problem("/role", "INVALID_ROLE", "'public' is not an account role"))
    if not _USERNAME.match(username):
        problems.append(
            Problem(
                "/username",
                "INVALID_USERNAME",
                "a username is 2-64 lower-case letters, digits, '.', '_' or '-'",
            )
        )
    if parsed_role not in (None, Role.ADMIN) and not participant:
        problems.append(Problem("/participant", "REQUIRED", f"a {role} belongs to a participant"))
    _raise_if(problems, "the user is not valid")
    assert parsed_role is not None
    return NewUser(username, parsed_role, participant.strip().upper() if participant else None)


def new_token() -> tuple[str, str]:
    """A fresh API token and the hash to store; the token itself is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _parse_enum(enum: type[E], value: str, location: str, problems: list[Problem]) -> E | None:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        problems.append(Problem(location, "INVALID_VALUE", f"must be one of {allowed}"))
        return None


def _raise_if(problems: list[Problem], message: str) -> None:
    if problems:
        raise InvalidInputError(message, problems)
