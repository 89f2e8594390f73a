"""The JSON form of a CAP 1.2 alert, and its shape check (pure Python: no XML library here).

The mapping is the one MeteoAlarm publishes: keys are the CAP element names exactly
(``identifier``, ``msgType``, ``info``, ``responseType``, ``valueName``, ``areaDesc``,
``derefUri`` …); values are strings; elements that may repeat (``code``, ``info``,
``category``, ``responseType``, ``eventCode``, ``parameter``, ``resource``, ``area``,
``polygon``, ``circle``, ``geocode``) are always arrays; absent optional elements are omitted.
XML-DSig signatures travel under ``signature`` as an array of serialized XML strings.

``alert_from_json`` checks the shape only — object / array / string types, unknown keys,
missing required keys, characters XML 1.0 cannot carry — and reports every problem at once
with a JSON-pointer location (``/info/0/category/1``). Enumerations and lexical patterns are
left to the structural checker, which runs on the XML form so both forms get one verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accord.domain.alerts.cap import Alert, Area, Info, Resource, ValuePair
from accord.domain.alerts.limits import MAX_ATTRIBUTE_CHARS, bounded, shortened
from accord.errors import InvalidInputError, Problem

# XML 1.0 Char production, negated: what no CAP XML form of the alert could hold.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    attribute: str
    required: bool = False
    repeated: bool = False
    shape: _Shape | None = None  # None: a string


@dataclass(frozen=True, slots=True)
class _Shape:
    name: str
    model: type[Any]
    fields: tuple[_Field, ...]


_PAIR = _Shape(
    "ValuePair",
    ValuePair,
    (_Field("valueName", "value_name", required=True), _Field("value", "value", required=True)),
)
_RESOURCE = _Shape(
    "resource",
    Resource,
    (
        _Field("resourceDesc", "resource_desc", required=True),
        _Field("mimeType", "mime_type", required=True),
        _Field("size", "size"),
        _Field("uri", "uri"),
        _Field("derefUri", "deref_uri"),
        _Field("digest", "digest"),
    ),
)
_AREA = _Shape(
    "area",
    Area,
    (
        _Field("areaDesc", "area_desc", required=True),
        _Field("polygon", "polygons", repeated=True),
        _Field("circle", "circles", repeated=True),
        _Field("geocode", "geocodes", repeated=True, shape=_PAIR),
        _Field("altitude", "altitude"),
        _Field("ceiling", "ceiling"),
    ),
)
_INFO = _Shape(
    "info",
    Info,
    (
        _Field("language", "language"),
        _Field("category", "categories", required=True, repeated=True),
        _Field("event", "event", required=True),
        _Field("responseType", "response_types", repeated=True),
        _Field("urgency", "urgency", required=True),
        _Field("severity", "severity", required=True),
        _Field("certainty", "certainty", required=True),
        _Field("audience", "audience"),
        _Field("eventCode", "event_codes", repeated=True, shape=_PAIR),
        _Field("effective", "effective"),
        _Field("onset", "onset"),
        _Field("expires", "expires"),
        _Field("senderName", "sender_name"),
        _Field("headline", "headline"),
        _Field("description", "description"),
        _Field("instruction", "instruction"),
        _Field("web", "web"),
        _Field("contact", "contact"),
        _Field("parameter", "parameters", repeated=True, shape=_PAIR),
        _Field("resource", "resources", repeated=True, shape=_RESOURCE),
        _Field("area", "areas", repeated=True, shape=_AREA),
    ),
)
_ALERT = _Shape(
    "alert",
    Alert,
    (
        _Field("identifier", "identifier", required=True),
        _Field("sender", "sender", required=True),
        _Field("sent", "sent", required=True),
        _Field("status", "status", required=True),
        _Field("msgType", "msg_type", required=True),
        _Field("source", "source"),
        _Field("scope", "scope", required=True),
        _Field("restriction", "restriction"),
        _Field("addresses", "addresses"),
        _Field("code", "codes", repeated=True),
        _Field("note", "note"),
        _Field("references", "references"),
        _Field("incidents", "incidents"),
        _Field("info", "infos", repeated=True, shape=_INFO),
        _Field("signature", "signatures", repeated=True),
    ),
)


# ---------------------------------------------------------------- model -> JSON


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """The JSON object for ``alert`` (a plain dict, ready for ``json.dumps``)."""
    return _encode(alert, _ALERT)


def _encode(model: object, shape: _Shape) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in shape.fields:
        value = getattr(model, field.attribute)
        if field.repeated:
            if value:
                nested = field.shape
                out[field.key] = (
                    list(value) if nested is None else [_encode(item, nested) for item in value]
                )
        elif value is not None:
            out[field.key] = value
    return out


# ---------------------------------------------------------------- JSON -> model


def alert_from_json(obj: object) -> Alert:
    """The ``Alert`` a JSON value describes; ``InvalidInputError`` lists every shape problem."""
    problems: list[Problem] = []
    alert = _decode(obj, _ALERT, "", problems)
    if problems or alert is None:
        raise InvalidInputError(_summary(problems), bounded(problems))
    result: Alert = alert
    return result


def _decode(obj: object, shape: _Shape, pointer: str, problems: list[Problem]) -> Any:
    if not isinstance(obj, dict):
        problems.append(_problem(pointer, "JSON_TYPE", f"{shape.name} must be an object", obj))
        return None
    known = {field.key for field in shape.fields}
    for key in obj:
        if key not in known:
            name = shortened(str(key), MAX_ATTRIBUTE_CHARS)  # a member name is echoed twice
            where = f"{pointer}/{_escape_pointer(name)}"
            message = f"{shape.name} has no member {name!r}"
            problems.append(Problem(where, "JSON_UNKNOWN_KEY", message))
    values: dict[str, Any] = {}
    for field in shape.fields:
        where = f"{pointer}/{field.key}"
        if field.key not in obj:
            if field.required:
                message = f"{shape.name} lacks the required member {field.key!r}"
                problems.append(Problem(where, "JSON_MISSING_KEY", message))
            continue
        values[field.attribute] = _decode_field(obj[field.key], field, where, problems)
    try:
        return shape.model(**values)
    except TypeError:  # a required member was missing or unreadable: already reported
        return None


def _decode_field(value: object, field: _Field, where: str, problems: list[Problem]) -> Any:
    if not field.repeated:
        return _string(value, where, problems)
    if not isinstance(value, list):
        problems.append(_problem(where, "JSON_TYPE", f"{field.key!r} must be an array", value))
        return ()
    if field.required and not value:
        message = f"{field.key!r} must hold at least one element"
        problems.append(Problem(where, "JSON_MISSING_KEY", message))
    nested = field.shape
    if nested is None:
        return tuple(
            _string(item, f"{where}/{index}", problems) for index, item in enumerate(value)
        )
    return tuple(
        _decode(item, nested, f"{where}/{index}", problems) for index, item in enumerate(value)
    )


def _string(value: object, where: str, problems: list[Problem]) -> str:
    if not isinstance(value, str):
        problems.append(_problem(where, "JSON_TYPE", "must be a string", value))
        return ""
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        message = f"holds {bad.group()!r}, a character XML 1.0 (and so CAP) cannot carry"
        problems.append(Problem(where, "JSON_CHARACTER", message))
    return value


def _problem(where: str, code: str, message: str, got: object) -> Problem:
    return Problem(where or "/", code, f"{message}; got {_json_type(got)}")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _escape_pointer(key: str) -> str:
    """RFC 6901: ``~`` and ``/`` inside a member name are written ``~0`` and ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")


def _summary(problems: list[Problem]) -> str:
    count = len(problems)
    return "the JSON alert is malformed" if count == 1 else f"the JSON alert has {count} problems"
