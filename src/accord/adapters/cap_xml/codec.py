"""CAP 1.2 XML <-> ``Alert`` model, losslessly and fast.

``element_to_alert`` reads an ``alert`` element (any namespace prefix, ``cap:`` included)
in one pass over each element's children, dispatching on the tag through dictionaries; every
leaf keeps ``element.text`` exactly as written (an empty element reads as ``""``). XML-DSig
``Signature`` children are kept as serialized XML strings.

``alert_to_xml`` writes UTF-8 with an XML declaration, the CAP 1.2 namespace as the default
namespace and elements in schema order, and re-inserts the signatures verbatim at the end of
``<alert>``. It builds the text directly rather than an lxml tree: the output is fully
determined by the model, and string joining is several times faster. A carriage return is
written as ``&#13;`` so that XML end-of-line normalization cannot alter it on the way back.

The element is expected to have passed ``schema.check_structure``; unknown children are
ignored here, and a missing required child raises ``InvalidInputError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree

from accord.domain.alerts.cap import (
    CAP_NAMESPACE,
    XMLDSIG_NAMESPACE,
    Alert,
    Area,
    Info,
    Resource,
    ValuePair,
)
from accord.errors import InvalidInputError, Problem

_Model = TypeVar("_Model", Alert, Info, Resource, Area)
_C = "{" + CAP_NAMESPACE + "}"
_SIGNATURE = "{" + XMLDSIG_NAMESPACE + "}Signature"

# Leaves that occur at most once: CAP tag -> model field, in schema order.
_ALERT_LEAVES = {
    "identifier": "identifier",
    "sender": "sender",
    "sent": "sent",
    "status": "status",
    "msgType": "msg_type",
    "source": "source",
    "scope": "scope",
    "restriction": "restriction",
    "addresses": "addresses",
    "note": "note",
    "references": "references",
    "incidents": "incidents",
}
_INFO_LEAVES = {
    "language": "language",
    "event": "event",
    "urgency": "urgency",
    "severity": "severity",
    "certainty": "certainty",
    "audience": "audience",
    "effective": "effective",
    "onset": "onset",
    "expires": "expires",
    "senderName": "sender_name",
    "headline": "headline",
    "description": "description",
    "instruction": "instruction",
    "web": "web",
    "contact": "contact",
}
_RESOURCE_LEAVES = {
    "resourceDesc": "resource_desc",
    "mimeType": "mime_type",
    "size": "size",
    "uri": "uri",
    "derefUri": "deref_uri",
    "digest": "digest",
}
_AREA_LEAVES = {"areaDesc": "area_desc", "altitude": "altitude", "ceiling": "ceiling"}


def _qualified(table: dict[str, str]) -> dict[str, str]:
    return {_C + name: attribute for name, attribute in table.items()}


_ALERT_BY_TAG = _qualified(_ALERT_LEAVES)
_INFO_BY_TAG = _qualified(_INFO_LEAVES)
_RESOURCE_BY_TAG = _qualified(_RESOURCE_LEAVES)
_AREA_BY_TAG = _qualified(_AREA_LEAVES)

_CODE, _INFO, _VALUE_NAME, _VALUE = (_C + n for n in ("code", "info", "valueName", "value"))
_POLYGON, _CIRCLE, _GEOCODE = (_C + n for n in ("polygon", "circle", "geocode"))

_REQUIRED: dict[type[Any], tuple[str, ...]] = {
    Alert: ("identifier", "sender", "sent", "status", "msgType", "scope"),
    Info: ("category", "event", "urgency", "severity", "certainty"),
    Resource: ("resourceDesc", "mimeType"),
    Area: ("areaDesc",),
}


# ---------------------------------------------------------------- XML -> model


def element_to_alert(element: etree._Element) -> Alert:
    """The model of a CAP 1.2 ``alert`` element; every leaf's text kept exactly as written."""
    fields: dict[str, Any] = {}
    codes: list[str] = []
    infos: list[Info] = []
    signatures: list[str] = []
    for child in element:
        tag = child.tag
        attribute = _ALERT_BY_TAG.get(tag)
        if attribute is not None:
            fields[attribute] = child.text or ""
        elif tag == _CODE:
            codes.append(child.text or "")
        elif tag == _INFO:
            infos.append(_info(child))
        elif tag == _SIGNATURE:
            signatures.append(etree.tostring(child, encoding="unicode", with_tail=False))
    fields.update(codes=tuple(codes), infos=tuple(infos), signatures=tuple(signatures))
    return _build(Alert, fields, element)


def _text(element: etree._Element) -> str:
    return element.text or ""  # lxml reports an empty element's text as None


def _info(element: etree._Element) -> Info:
    fields: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {
        "categories": [],
        "response_types": [],
        "event_codes": [],
        "parameters": [],
        "resources": [],
        "areas": [],
    }
    for child in element:
        tag = child.tag
        attribute = _INFO_BY_TAG.get(tag)
        if attribute is not None:
            fields[attribute] = child.text or ""
            continue
        repeated = _INFO_REPEATED.get(tag)
        if repeated is not None:
            name, read = repeated
            lists[name].append(read(child))
    fields.update({name: tuple(values) for name, values in lists.items()})
    return _build(Info, fields, element)


def _value_pair(element: etree._Element) -> ValuePair:
    if len(element) == 2:  # the schema-valid shape: one unpacking, no loop
        first, second = element
        if first.tag == _VALUE_NAME and second.tag == _VALUE:
            return ValuePair(first.text or "", second.text or "")
    name = value = None
    for child in element:
        tag = child.tag
        if tag == _VALUE_NAME:
            name = child.text or ""
        elif tag == _VALUE:
            value = child.text or ""
    if name is None or value is None:
        raise _missing(element, ("valueName",) if name is None else ("value",))
    return ValuePair(name, value)


def _resource(element: etree._Element) -> Resource:
    fields = {}
    for child in element:
        attribute = _RESOURCE_BY_TAG.get(child.tag)
        if attribute is not None:
            fields[attribute] = child.text or ""
    return _build(Resource, fields, element)


def _area(element: etree._Element) -> Area:
    fields: dict[str, Any] = {}
    polygons: list[str] = []
    circles: list[str] = []
    geocodes: list[ValuePair] = []
    for child in element:
        tag = child.tag
        attribute = _AREA_BY_TAG.get(tag)
        if attribute is not None:
            fields[attribute] = child.text or ""
        elif tag == _POLYGON:
            polygons.append(child.text or "")
        elif tag == _CIRCLE:
            circles.append(child.text or "")
        elif tag == _GEOCODE:
            geocodes.append(_value_pair(child))
    fields.update(polygons=tuple(polygons), circles=tuple(circles), geocodes=tuple(geocodes))
    return _build(Area, fields, element)


_INFO_REPEATED: dict[str, tuple[str, Callable[[etree._Element], Any]]] = {
    _C + "category": ("categories", _text),
    _C + "responseType": ("response_types", _text),
    _C + "eventCode": ("event_codes", _value_pair),
    _C + "parameter": ("parameters", _value_pair),
    _C + "resource": ("resources", _resource),
    _C + "area": ("areas", _area),
}


def _build(cls: type[_Model], fields: dict[str, Any], element: etree._Element) -> _Model:
    try:
        return cls(**fields)
    except TypeError:
        present = {etree.QName(child).localname for child in element if isinstance(child.tag, str)}
        absent = tuple(name for name in _REQUIRED[cls] if name not in present)
        raise _missing(element, absent) from None


def _missing(element: etree._Element, names: tuple[str, ...]) -> InvalidInputError:
    where = etree.QName(element).localname
    problems = [
        Problem(f"/{where}", "MISSING_ELEMENT", f"<{where}> lacks the required <{name}>")
        for name in names or ("?",)
    ]
    return InvalidInputError(f"<{where}> lacks required elements", problems)


# ---------------------------------------------------------------- model -> XML

_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="' + CAP_NAMESPACE + '">'


def alert_to_xml(alert: Alert) -> bytes:
    """CAP 1.2 XML for ``alert``: UTF-8, declaration, default namespace, schema order."""
    out = [_HEADER]
    _leaves(out, alert, _ALERT_HEAD)
    for code in alert.codes:
        _leaf(out, "code", code)
    _leaves(out, alert, _ALERT_TAIL)
    for info in alert.infos:
        _write_info(out, info)
    out.extend(alert.signatures)
    out.append("</alert>")
    return "".join(out).encode("utf-8")


_ALERT_TAIL_NAMES = ("note", "references", "incidents")  # these follow the codes
_ALERT_HEAD = tuple(item for item in _ALERT_LEAVES.items() if item[0] not in _ALERT_TAIL_NAMES)
_ALERT_TAIL = tuple((name, _ALERT_LEAVES[name]) for name in _ALERT_TAIL_NAMES)


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _leaf(out: list[str], name: str, text: str) -> None:
    out.append(f"<{name}>{_escape(text)}</{name}>")


def _leaves(out: list[str], model: object, table: tuple[tuple[str, str], ...]) -> None:
    for name, attribute in table:
        value = getattr(model, attribute)
        if value is not None:
            out.append(f"<{name}>{_escape(value)}</{name}>")


def _pairs(out: list[str], name: str, pairs: tuple[ValuePair, ...]) -> None:
    for pair in pairs:
        out.append(
            f"<{name}><valueName>{_escape(pair.value_name)}</valueName>"
            f"<value>{_escape(pair.value)}</value></{name}>"
        )


def _write_info(out: list[str], info: Info) -> None:
    out.append("<info>")
    if info.language is not None:
        _leaf(out, "language", info.language)
    for category in info.categories:
        _leaf(out, "category", category)
    _leaf(out, "event", info.event)
    for response_type in info.response_types:
        _leaf(out, "responseType", response_type)
    _leaves(out, info, _INFO_MIDDLE)
    _pairs(out, "eventCode", info.event_codes)
    _leaves(out, info, _INFO_TAIL)
    _pairs(out, "parameter", info.parameters)
    for resource in info.resources:
        out.append("<resource>")
        _leaves(out, resource, _RESOURCE_ORDER)
        out.append("</resource>")
    for area in info.areas:
        _write_area(out, area)
    out.append("</info>")


_INFO_MIDDLE = (
    ("urgency", "urgency"),
    ("severity", "severity"),
    ("certainty", "certainty"),
    ("audience", "audience"),
)
_INFO_TAIL = tuple(
    (name, _INFO_LEAVES[name])
    for name in (
        "effective",
        "onset",
        "expires",
        "senderName",
        "headline",
        "description",
        "instruction",
        "web",
        "contact",
    )
)
_RESOURCE_ORDER = tuple(_RESOURCE_LEAVES.items())


def _write_area(out: list[str], area: Area) -> None:
    out.append("<area>")
    _leaf(out, "areaDesc", area.area_desc)
    for polygon in area.polygons:
        _leaf(out, "polygon", polygon)
    for circle in area.circles:
        _leaf(out, "circle", circle)
    _pairs(out, "geocode", area.geocodes)
    if area.altitude is not None:
        _leaf(out, "altitude", area.altitude)
    if area.ceiling is not None:
        _leaf(out, "ceiling", area.ceiling)
    out.append("</area>")
