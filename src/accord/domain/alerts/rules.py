"""The CAP 1.2 rules the XML schema cannot express, checked on the model.

The OASIS schema types most fields as plain strings; the spec's data dictionary (CAP-v1.2
section 3) says more. ``check_rules`` returns every breach at once: errors reject the
message, warnings ("warning" severity) are advice and never reject. Codes follow Google's
``CapException`` reason names where one exists. Locations are XPaths into the XML form.

======================================  ========  ==============================================
code                                    severity  rule (spec wording paraphrased)
======================================  ========  ==============================================
INVALID_IDENTIFIER / INVALID_SENDER     error     non-empty; no whitespace, comma, ``<`` or ``&``
INVALID_DATE                            error     dateTime with a numeric offset ("Z" and missing
                                                  offsets are forbidden); expires not before
                                                  effective (default: sent) nor onset
INVALID_REFERENCES                      error     whitespace-separated sender,identifier,sent
                                                  triplets; Update, Cancel, Ack and Error name the
                                                  message(s) they act on; an empty element is an
                                                  error there, a warning elsewhere
CIRCULAR_REFERENCE                      error     a message does not reference itself
POSTDATED_REFERENCE                     error     a referenced message was not sent after this one
RESTRICTION_SCOPE_MISMATCH              error     Restricted scope needs <restriction>, Private
                                                  scope needs <addresses>
MISSING_NOTE                            warning   Exercise status / Error msgType: the exercise
                                                  identifier or the explanation SHOULD be in <note>
INVALID_LANGUAGE                        error     an RFC 3066 tag (1-8 letters, then 1-8 alnum)
INVALID_SEQUENCE                        warning   same-language info blocks with the same event and
                                                  targeting may expand but not override earlier
                                                  urgency, severity or certainty
HEADLINE_TOO_LONG                       warning   160 characters MAY be a useful target limit
HTML_TAGS / HTML_ENTITIES               warning   free text is plain text, not HTML
INVALID_MIME_TYPE                       error     resource mimeType is RFC 2046 type/subtype
RELATIVE_URI_MISSING_DEREF_URI          error     a relative <uri> points into <derefUri>
INVALID_DEREF_URI                       error     derefUri is base64 data
INVALID_POLYGON                         error     >= 4 WGS 84 "lat,lon" pairs, first == last
INVALID_POLYGON_SELF_INTERSECTION       warning   the ring does not cross itself
INVALID_CIRCLE                          error     "lat,lon radius", radius in km, >= 0
INVALID_ALTITUDE_CEILING_RANGE          error     ceiling only with altitude, and not below it
======================================  ========  ==============================================

Not checked here: enumerations, cardinality and order (the schema's job, and the JSON
mapping's); ``password`` and "Very Likely" (CAP 1.1 only, and the 1.2 schema rejects them).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import shapely

from accord.domain.alerts.cap import Alert, Area, Info, Resource
from accord.domain.bounds import INSTANT_RANGE, as_utc
from accord.errors import Problem

_WS = " \t\n\r"
_FORBIDDEN_IN_ID = re.compile(r"[\s,<&]")
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d", re.ASCII)
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")
_MIME_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # noqa: S105 (an RFC 2045 token, not a secret)
_MIME_TYPE = re.compile(
    rf"{_MIME_TOKEN}/{_MIME_TOKEN}(?:\s*;\s*{_MIME_TOKEN}=(?:{_MIME_TOKEN}|\"[^\"]*\"))*"
)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_PAIR = re.compile(rf"({_NUMBER}),({_NUMBER})", re.ASCII)
_DECIMAL = re.compile(_NUMBER, re.ASCII)
_PAIRS_SHAPE = re.compile(r"[0-9.+-]+,[0-9.+-]+(?:[ \t\n\r]+[0-9.+-]+,[0-9.+-]+)*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_HTML_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_NEEDS_REFERENCES = frozenset({"Update", "Cancel", "Ack", "Error"})
_HEADLINE_TARGET = 160
_FREE_TEXT = ("event", "audience", "sender_name", "headline", "description", "instruction")
_XML_NAMES = {"sender_name": "senderName"}


def check_rules(alert: Alert) -> list[Problem]:
    """Every CAP 1.2 rule ``alert`` breaks beyond the schema; errors and warnings together."""
    problems = [*_identity(alert), *_references(alert), *_scope(alert), *_note(alert)]
    sent_at = _instant(alert.sent)
    for position, info in enumerate(alert.infos, start=1):
        problems.extend(_info(info, f"/alert/info[{position}]", sent_at))
    problems.extend(_sequences(alert.infos))
    return problems


def _error(location: str, code: str, message: str) -> Problem:
    return Problem(location, code, message, "error")


def _warning(location: str, code: str, message: str) -> Problem:
    return Problem(location, code, message, "warning")


def _instant(text: str | None) -> datetime | None:
    """A CAP dateTime as an aware instant; ``None`` when absent, not CAP's form, or
    outside the instants Accord keeps (``bounds.INSTANT_RANGE``: ``9999-12-31T23:59:59-14:00``
    is a valid xs:dateTime, but no ``datetime`` in UTC)."""
    stripped = (text or "").strip(_WS)
    if not _DATETIME.fullmatch(stripped):
        return None
    end_of_day = stripped[11:19] == "24:00:00"
    if end_of_day:
        stripped = stripped[:11] + "00:00:00" + stripped[19:]
    try:
        instant = datetime.fromisoformat(stripped)
        instant = instant + timedelta(days=1) if end_of_day else instant
    except (ValueError, OverflowError):
        return None
    return instant if as_utc(instant) is not None else None


# --- alert-level rules ---------------------------------------------------------------------


def _identity(alert: Alert) -> Iterator[Problem]:
    for field, code, value in (
        ("identifier", "INVALID_IDENTIFIER", alert.identifier),
        ("sender", "INVALID_SENDER", alert.sender),
    ):
        if not value or _FORBIDDEN_IN_ID.search(value):
            message = f"<{field}> must be non-empty, without spaces, commas, < or &; got {value!r}"
            yield _error(f"/alert/{field}[1]", code, message)
    if _instant(alert.sent) is None:
        yield _date_problem("/alert/sent[1]", "sent", alert.sent)


def _date_problem(location: str, name: str, value: str) -> Problem:
    message = (
        f"<{name}> must be a date and time with a numeric offset such as "
        f"2002-05-24T16:49:00-07:00 ('Z' is not allowed) within {INSTANT_RANGE}; got {value!r}"
    )
    return _error(location, "INVALID_DATE", message)


def _references(alert: Alert) -> Iterator[Problem]:
    where = "/alert/references[1]"
    if alert.references is None:
        if alert.msg_type in _NEEDS_REFERENCES:
            message = f"a message of type {alert.msg_type} must name the message(s) it acts on"
            yield _error("/alert", "INVALID_REFERENCES", message + " in <references>")
        return
    triplets = alert.references.split()
    if not triplets:
        yield _empty_references(alert.msg_type, where)
    own_sent = _instant(alert.sent)
    for triplet in triplets:
        yield from _reference(alert, triplet, own_sent, where)


def _empty_references(msg_type: str, where: str) -> Problem:
    """Empty ``<references/>``: an error where references are required, else just noise."""
    if msg_type in _NEEDS_REFERENCES:
        message = f"<references> is empty, but a message of type {msg_type} must name some"
        return _error(where, "INVALID_REFERENCES", message)
    return _warning(where, "INVALID_REFERENCES", "<references> is present but empty")


def _reference(
    alert: Alert, triplet: str, own_sent: datetime | None, where: str
) -> Iterator[Problem]:
    parts = triplet.split(",")
    sent = _instant(parts[2]) if len(parts) == 3 else None
    if sent is None or not parts[0] or not parts[1]:
        message = f"each reference must be sender,identifier,sent; got {triplet!r}"
        yield _error(where, "INVALID_REFERENCES", message)
        return
    if own_sent is None:
        return
    if (parts[0], parts[1], sent) == (alert.sender, alert.identifier, own_sent):
        yield _error(where, "CIRCULAR_REFERENCE", f"the message references itself: {triplet!r}")
    elif sent > own_sent:
        message = f"the referenced message was sent after this one: {triplet!r}"
        yield _error(where, "POSTDATED_REFERENCE", message)


def _scope(alert: Alert) -> Iterator[Problem]:
    if alert.scope == "Restricted" and not (alert.restriction or "").strip(_WS):
        message = "scope Restricted needs a <restriction> saying who may receive it"
        yield _error("/alert/scope[1]", "RESTRICTION_SCOPE_MISMATCH", message)
    if alert.scope == "Private" and not (alert.addresses or "").strip(_WS):
        message = "scope Private needs <addresses> naming the recipients"
        yield _error("/alert/scope[1]", "RESTRICTION_SCOPE_MISMATCH", message)


def _note(alert: Alert) -> Iterator[Problem]:
    if (alert.note or "").strip(_WS):
        return
    if alert.status == "Exercise":
        message = "an Exercise SHOULD carry the exercise identifier in <note>"
        yield _warning("/alert/status[1]", "MISSING_NOTE", message)
    if alert.msg_type == "Error":
        message = "an Error message SHOULD explain the rejection in <note>"
        yield _warning("/alert/msgType[1]", "MISSING_NOTE", message)


# --- info-level rules ----------------------------------------------------------------------


def _info(info: Info, where: str, sent_at: datetime | None) -> Iterator[Problem]:
    if info.language and not _LANGUAGE.fullmatch(info.language.strip(_WS)):
        message = f"<language> must be an RFC 3066 tag such as en-US; got {info.language!r}"
        yield _error(f"{where}/language[1]", "INVALID_LANGUAGE", message)
    yield from _info_times(info, where, sent_at)
    yield from _free_text(info, where)
    for position, resource in enumerate(info.resources, start=1):
        yield from _resource(resource, f"{where}/resource[{position}]")
    for position, area in enumerate(info.areas, start=1):
        yield from _area(area, f"{where}/area[{position}]")


def _info_times(info: Info, where: str, sent_at: datetime | None) -> Iterator[Problem]:
    instants: dict[str, datetime | None] = {}
    for name in ("effective", "onset", "expires"):
        value = getattr(info, name)
        instants[name] = _instant(value)
        if value is not None and instants[name] is None:
            yield _date_problem(f"{where}/{name}[1]", name, value)
    expires = instants["expires"]
    starts = {"effective": instants["effective"] or sent_at, "onset": instants["onset"]}
    for name, start in starts.items():
        if expires is not None and start is not None and expires < start:
            message = f"<expires> {info.expires} is before {name} ({start.isoformat()})"
            yield _error(f"{where}/expires[1]", "INVALID_DATE", message)


def _free_text(info: Info, where: str) -> Iterator[Problem]:
    if info.headline is not None and len(info.headline) > _HEADLINE_TARGET:
        message = f"<headline> has {len(info.headline)} characters; 160 is the target limit"
        yield _warning(f"{where}/headline[1]", "HEADLINE_TOO_LONG", message)
    for field in _FREE_TEXT:
        text = getattr(info, field)
        name = _XML_NAMES.get(field, field)
        if text and _HTML_TAG.search(text):
            message = f"<{name}> should be plain text; it holds HTML tags"
            yield _warning(f"{where}/{name}[1]", "HTML_TAGS", message)
        if text and _HTML_ENTITY.search(text):
            message = f"<{name}> should be plain text; it holds HTML entities"
            yield _warning(f"{where}/{name}[1]", "HTML_ENTITIES", message)


def _sequences(infos: tuple[Info, ...]) -> Iterator[Problem]:
    """Later same-language blocks for the same event and targeting must not override."""
    first_seen: dict[tuple[object, ...], tuple[int, tuple[str, str, str]]] = {}
    for position, info in enumerate(infos, start=1):
        areas = tuple(sorted(area.area_desc for area in info.areas))
        key = (info.effective_language, info.event, info.audience, areas)
        values = (info.urgency, info.severity, info.certainty)
        earlier = first_seen.setdefault(key, (position, values))
        if areas and earlier[1] != values:
            message = (
                f"info block {position} overrides urgency/severity/certainty of block "
                f"{earlier[0]} for the same language, event and areas"
            )
            yield _warning(f"/alert/info[{position}]", "INVALID_SEQUENCE", message)


def _resource(resource: Resource, where: str) -> Iterator[Problem]:
    if not _MIME_TYPE.fullmatch(resource.mime_type.strip(_WS)):
        message = f"<mimeType> must be type/subtype (RFC 2046); got {resource.mime_type!r}"
        yield _error(f"{where}/mimeType[1]", "INVALID_MIME_TYPE", message)
    uri = (resource.uri or "").strip(_WS)
    if uri and not _SCHEME.match(uri) and resource.deref_uri is None:
        message = f"the relative <uri> {uri!r} must refer to a <derefUri>, which is missing"
        yield _error(f"{where}/uri[1]", "RELATIVE_URI_MISSING_DEREF_URI", message)
    if resource.deref_uri is not None and not _is_base64(resource.deref_uri):
        message = "<derefUri> must hold the resource as base64 data"
        yield _error(f"{where}/derefUri[1]", "INVALID_DEREF_URI", message)


def _is_base64(text: str) -> bool:
    try:
        compact = text.encode("ascii").translate(None, b" \t\n\r")
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    return bool(compact)


# --- area-level rules ----------------------------------------------------------------------


def _area(area: Area, where: str) -> Iterator[Problem]:
    for position, polygon in enumerate(area.polygons, start=1):
        yield from _polygon(polygon, f"{where}/polygon[{position}]")
    for position, circle in enumerate(area.circles, start=1):
        reason = _circle_reason(circle)
        if reason is not None:
            message = f"<circle> must be 'lat,lon radius_km' ({reason}); got {circle!r}"
            yield _error(f"{where}/circle[{position}]", "INVALID_CIRCLE", message)
    yield from _altitudes(area, where)


def _point(text: str) -> tuple[float, float] | None:
    """A WGS 84 ``lat,lon`` pair as (lat, lon), or ``None`` when malformed or out of range."""
    match = _PAIR.fullmatch(text)
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _polygon(text: str, where: str) -> Iterator[Problem]:
    values = _coordinates(text)
    if values is None:
        reason: str | None = _polygon_reason(text.split())
    elif len(values) < 8:
        reason = f"it needs at least 4 coordinate pairs, has {len(values) // 2}"
    elif values[:2] != values[-2:]:
        reason = "the first and last pairs must be the same"
    elif not shapely.is_simple(shapely.linearrings(values[1::2], values[0::2])):
        message = "<polygon> crosses itself; its area is ambiguous"
        yield _warning(where, "INVALID_POLYGON_SELF_INTERSECTION", message)
        return
    else:
        return
    yield _error(where, "INVALID_POLYGON", f"<polygon> is not a valid CAP polygon: {reason}")


def _coordinates(text: str) -> list[float] | None:
    """``lat, lon, lat, lon …`` of well-formed in-range pairs, else ``None``.

    Written for polygons of tens of thousands of points: one shape regex, then ``float``
    (which refuses "1.2.3" or "+-1") over the numbers.
    """
    stripped = text.strip(_WS)
    if not _PAIRS_SHAPE.fullmatch(stripped):
        return None
    try:
        values = [float(number) for number in stripped.replace(",", " ").split()]
    except ValueError:
        return None
    lats, lons = values[0::2], values[1::2]
    if min(lats) < -90 or max(lats) > 90 or min(lons) < -180 or max(lons) > 180:
        return None
    return values


def _polygon_reason(pairs: list[str]) -> str:
    """Why ``_coordinates`` refused a polygon, naming the first bad pair."""
    bad = [pair for pair in pairs if _point(pair) is None]
    if bad:
        return f"{bad[0]!r} is not a lat,lon pair within -90..90, -180..180"
    return "it holds no coordinate pairs"


def _circle_reason(text: str) -> str | None:
    parts = text.split()
    if len(parts) != 2:
        return "expected a point and a radius separated by a space"
    if _point(parts[0]) is None:
        return f"{parts[0]!r} is not a lat,lon pair within -90..90, -180..180"
    if not _DECIMAL.fullmatch(parts[1]) or float(parts[1]) < 0:
        return f"the radius {parts[1]!r} must be a number of kilometres, at least 0"
    return None


def _altitudes(area: Area, where: str) -> Iterator[Problem]:
    if area.ceiling is None:
        return
    if area.altitude is None:
        message = "<ceiling> may only be used together with <altitude>"
        yield _error(f"{where}/ceiling[1]", "INVALID_ALTITUDE_CEILING_RANGE", message)
        return
    altitude, ceiling = area.altitude.strip(_WS), area.ceiling.strip(_WS)
    numeric = _DECIMAL.fullmatch(altitude) and _DECIMAL.fullmatch(ceiling)
    if numeric and float(ceiling) < float(altitude):
        message = f"<ceiling> {ceiling} is below <altitude> {altitude}"
        yield _error(f"{where}/ceiling[1]", "INVALID_ALTITUDE_CEILING_RANGE", message)
