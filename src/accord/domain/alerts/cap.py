"""The CAP 1.2 message model: one frozen dataclass per CAP element that has children.

Every leaf keeps the exact lexical text the issuer wrote (``str``), so XML -> model -> XML
and JSON -> model -> JSON are lossless; typed views (instants, floats) are derived on demand.
Field order follows the order of the OASIS schema, which is also the order we emit.
XML-DSig ``Signature`` elements are kept verbatim (serialized XML) in ``Alert.signatures``
because a signature covers bytes, not our model of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from accord.domain.bounds import INSTANT_RANGE, as_utc

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
XMLDSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
RESPONSE_TYPES = (
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

# Rank orders used by filters ("at least Severe"): lower index = stronger.
URGENCY_RANK = {value: rank for rank, value in enumerate(URGENCIES)}
SEVERITY_RANK = {value: rank for rank, value in enumerate(SEVERITIES)}
CERTAINTY_RANK = {value: rank for rank, value in enumerate(CERTAINTIES)}

_CAP_DATETIME = re.compile(r"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


def parse_cap_datetime(text: str) -> datetime:
    """Read a CAP dateTime (offset required, no ``Z``) as an aware UTC instant.

    Raises ValueError for anything else, and for instants outside ``INSTANT_RANGE``;
    callers that validate report it, callers that read stored (already validated)
    messages never see it.
    """
    stripped = text.strip()
    if not _CAP_DATETIME.match(stripped):
        raise ValueError(f"not a CAP dateTime: {text!r}")
    instant = as_utc(datetime.fromisoformat(stripped))
    if instant is None:
        raise ValueError(f"outside {INSTANT_RANGE}: {text!r}")
    return instant


@dataclass(frozen=True, slots=True)
class ValuePair:
    """``eventCode``, ``parameter`` and ``geocode`` share this shape."""

    value_name: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    resource_desc: str
    mime_type: str
    size: str | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    area_desc: str
    polygons: tuple[str, ...] = ()
    circles: tuple[str, ...] = ()
    geocodes: tuple[ValuePair, ...] = ()
    altitude: str | None = None
    ceiling: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Info:
    language: str | None = None
    categories: tuple[str, ...]
    event: str
    response_types: tuple[str, ...] = ()
    urgency: str
    severity: str
    certainty: str
    audience: str | None = None
    event_codes: tuple[ValuePair, ...] = ()
    effective: str | None = None
    onset: str | None = None
    expires: str | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[ValuePair, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()

    @property
    def effective_language(self) -> str:
        """The schema's default applies when ``language`` is absent."""
        return self.language if self.language is not None else "en-US"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    source: str | None = None
    scope: str
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: str | None = None
    incidents: str | None = None
    infos: tuple[Info, ...] = ()
    signatures: tuple[str, ...] = field(default=())

    @property
    def sent_at(self) -> datetime:
        return parse_cap_datetime(self.sent)

    @property
    def key(self) -> MessageKey:
        """The triplet CAP uses to name a message (sender, identifier, sent)."""
        return MessageKey(self.sender, self.identifier, self.sent_at)

    def referenced_keys(self) -> tuple[MessageKey, ...]:
        """The messages named in ``references``; malformed triplets are skipped here
        (the rules report them)."""
        if not self.references:
            return ()
        keys = []
        for triplet in self.references.split():
            parts = triplet.split(",")
            if len(parts) != 3:
                continue
            try:
                keys.append(MessageKey(parts[0], parts[1], parse_cap_datetime(parts[2])))
            except ValueError:
                continue
        return tuple(keys)


@dataclass(frozen=True, slots=True)
class MessageKey:
    """A CAP message's identity; ``sent`` normalised to UTC so equal instants compare equal."""

    sender: str
    identifier: str
    sent_at: datetime

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent_at.isoformat()}"
