"""Hypothesis strategies for CAP 1.2 models: ``alerts()`` draws schema-valid, rule-valid alerts.

Every drawn ``Alert`` passes the OASIS CAP 1.2 schema (enumerations, CAP dateTimes with
offsets, xs:language, xs:decimal, xs:integer, xs:anyURI) and the CAP rules that are errors
(identifier/sender characters, references for Update/Cancel/Ack/Error, scope companions,
closed polygons, circles, altitude <= ceiling, expires after effective and onset). Free text
is any XML 1.0 text: unicode, ``&``, ``<``, ``>``, carriage returns and leading/trailing
whitespace, since xs:string keeps it all. Signatures are not drawn (none would verify).

Import as ``from tests.strategies import alerts``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from accord.domain.alerts import cap
from accord.domain.alerts.cap import Alert, Area, Info, Resource, ValuePair

# XML 1.0 characters; surrogates are excluded by the "Cs" category.
_XML_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=["Cs"],
    exclude_characters="".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
    + "\ufffe\uffff",
)
_SPICE = st.sampled_from(["&", "<", ">", "&amp;", " ", "\n", "\t", "\r\n", "é", "ß", "漢", "🌀"])


@st.composite
def text(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 40) -> str:
    """Free xs:string text, often with markup characters and outer whitespace."""
    body = draw(st.text(_XML_CHARS, min_size=min_size, max_size=max_size))
    if draw(st.booleans()):
        body = draw(_SPICE) + body + draw(_SPICE)
    return body


_TOKEN = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:@"),
    min_size=1,
    max_size=24,
)
_OFFSETS = st.sampled_from([-12 * 60, -7 * 60, -150, 0, 60, 5 * 60 + 30, 9 * 60, 14 * 60])
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def cap_datetime(instant: datetime, offset_minutes: int) -> str:
    """The CAP lexical form: seconds precision, numeric offset, never ``Z``."""
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hours:02d}:{minutes:02d}"


_INSTANTS = st.integers(min_value=0, max_value=40 * 365 * 86400).map(
    lambda seconds: _EPOCH + timedelta(seconds=seconds)
)
_LANGUAGES = st.sampled_from(["en", "en-US", "fr-CA", "sv-SE", "hr-HR", "zh-TW", "es", "is"])
_URIS = st.sampled_from(
    ["http://example.org/alert", "https://meteo.example/cap/1.xml", "urn:oid:2.49.0.1", "a/b.png"]
)
_MIME_TYPES = st.sampled_from(["image/png", "application/pdf", "text/plain", "audio/mpeg"])


def value_pairs(max_size: int = 3) -> st.SearchStrategy[tuple[ValuePair, ...]]:
    pair = st.builds(ValuePair, text(max_size=15), text(max_size=15))
    return st.lists(pair, max_size=max_size).map(tuple)


@st.composite
def polygons(draw: st.DrawFn) -> str:
    """A closed, simple ring: a rectangle around a point, 5 coordinate pairs."""
    lat = draw(st.floats(-80, 80, allow_nan=False).map(lambda v: round(v, 4)))
    lon = draw(st.floats(-170, 170, allow_nan=False).map(lambda v: round(v, 4)))
    half = draw(st.sampled_from([0.01, 0.5, 2.0]))
    ring = [(lat - half, lon - half), (lat - half, lon + half), (lat + half, lon + half)]
    ring += [(lat + half, lon - half), ring[0]]
    return " ".join(f"{a:.4f},{b:.4f}" for a, b in ring)


@st.composite
def circles(draw: st.DrawFn) -> str:
    lat = draw(st.floats(-90, 90, allow_nan=False).map(lambda v: round(v, 3)))
    lon = draw(st.floats(-180, 180, allow_nan=False).map(lambda v: round(v, 3)))
    radius = draw(st.floats(0, 500, allow_nan=False).map(lambda v: round(v, 1)))
    return f"{lat},{lon} {radius}"


@st.composite
def areas(draw: st.DrawFn) -> Area:
    altitude = draw(st.none() | st.integers(-100, 10_000))
    ceiling = None
    if altitude is not None and draw(st.booleans()):
        ceiling = str(altitude + draw(st.integers(0, 5_000)))
    return Area(
        area_desc=draw(text(min_size=1)),
        polygons=tuple(draw(st.lists(polygons(), max_size=2))),
        circles=tuple(draw(st.lists(circles(), max_size=2))),
        geocodes=draw(value_pairs()),
        altitude=None if altitude is None else str(altitude),
        ceiling=ceiling,
    )


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    uri = draw(st.none() | _URIS)
    relative = uri is not None and ":" not in uri
    return Resource(
        resource_desc=draw(text(min_size=1)),
        mime_type=draw(_MIME_TYPES),
        size=draw(st.none() | st.integers(0, 10**9).map(str)),
        uri=uri,
        deref_uri="aGVsbG8=" if relative or draw(st.booleans()) else None,
        digest=draw(st.none() | st.just("2b8a4c1d0e")),
    )


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


@st.composite
def infos(draw: st.DrawFn, sent: datetime) -> Info:
    offset = draw(_OFFSETS)
    effective = sent + timedelta(minutes=draw(st.integers(0, 60)))
    onset = effective + timedelta(minutes=draw(st.integers(0, 600)))
    expires = onset + timedelta(minutes=draw(st.integers(1, 6000)))
    return Info(
        language=draw(_optional(_LANGUAGES)),
        categories=tuple(draw(st.lists(st.sampled_from(cap.CATEGORIES), min_size=1, max_size=3))),
        event=draw(text(min_size=1)),
        response_types=tuple(draw(st.lists(st.sampled_from(cap.RESPONSE_TYPES), max_size=2))),
        urgency=draw(st.sampled_from(cap.URGENCIES)),
        severity=draw(st.sampled_from(cap.SEVERITIES)),
        certainty=draw(st.sampled_from(cap.CERTAINTIES)),
        audience=draw(_optional(text())),
        event_codes=draw(value_pairs()),
        effective=draw(_optional(st.just(cap_datetime(effective, offset)))),
        onset=draw(_optional(st.just(cap_datetime(onset, offset)))),
        expires=draw(_optional(st.just(cap_datetime(expires, offset)))),
        sender_name=draw(_optional(text())),
        headline=draw(_optional(text(max_size=60))),
        description=draw(_optional(text(max_size=200))),
        instruction=draw(_optional(text())),
        web=draw(_optional(_URIS.filter(lambda uri: ":" in uri))),
        contact=draw(_optional(text())),
        parameters=draw(value_pairs()),
        resources=tuple(draw(st.lists(resources(), max_size=2))),
        areas=tuple(draw(st.lists(areas(), max_size=3))),
    )


@st.composite
def alerts(draw: st.DrawFn) -> Alert:
    """An alert the schema and the CAP rules accept (warnings aside)."""
    sent = draw(_INSTANTS)
    offset = draw(_OFFSETS)
    sender = draw(_TOKEN)
    identifier = draw(_TOKEN)
    msg_type = draw(st.sampled_from(cap.MSG_TYPES))
    scope = draw(st.sampled_from(cap.SCOPES))
    status = draw(st.sampled_from(cap.STATUSES))
    references = None
    if msg_type != "Alert" or draw(st.booleans()):
        earlier = cap_datetime(sent - timedelta(hours=draw(st.integers(1, 48))), offset)
        references = f"{sender},{identifier}-earlier,{earlier}"
    needs_note = status == "Exercise" or msg_type == "Error"
    return Alert(
        identifier=identifier,
        sender=sender,
        sent=cap_datetime(sent, offset),
        status=status,
        msg_type=msg_type,
        source=draw(_optional(text())),
        scope=scope,
        restriction=draw(text(min_size=1)) if scope == "Restricted" else None,
        addresses=draw(_TOKEN) if scope == "Private" else None,
        codes=tuple(draw(st.lists(text(min_size=1, max_size=20), max_size=2))),
        note=draw(text(min_size=1)) if needs_note else draw(_optional(text())),
        references=references,
        incidents=draw(_optional(_TOKEN)),
        infos=tuple(draw(st.lists(infos(sent), max_size=3))),
    )
