"""The limits of ``domain.alerts.limits``, checked on one parsed CAP ``alert`` element.

Runs before the schema walk, so that the walk, the model and the rules only ever see an
alert of bounded shape: every count and length is taken by libxml2's XPath engine in one
C-level pass per limit (linear in the document, whatever it holds), and Python only touches
the few elements that break a limit, to name them. A document with 100,000 attributes on one
element is refused here in milliseconds; the schema walk would have spent seconds listing
them (lxml reads an element's attributes in quadratic time).
"""

from __future__ import annotations

from typing import Any, cast

from lxml import etree

from accord.adapters.cap_xml.schema import xpath_of
from accord.domain.alerts import limits
from accord.domain.alerts.cap import CAP_NAMESPACE
from accord.errors import Problem

_NS = {"cap": CAP_NAMESPACE}
_COUNT_ELEMENTS = etree.XPath("count(descendant-or-self::*)")
_MANY_ATTRIBUTES = etree.XPath("descendant-or-self::*[count(@*) > $most]")
_LONG_ATTRIBUTES = etree.XPath("descendant-or-self::*/@*[string-length(.) > $most]")
_EXEMPT = " or ".join(f"self::cap:{name}" for name in limits.LONG_TEXT_ELEMENTS)
_LONG_TEXTS = etree.XPath(
    f"descendant-or-self::*[not({_EXEMPT})]/text()[string-length(.) > $most]", namespaces=_NS
)
_MANY_POINTS = etree.XPath(
    "descendant-or-self::cap:polygon"
    "[string-length(.) - string-length(translate(., ',', '')) > $most]",
    namespaces=_NS,
)


def check_limits(
    element: etree._Element, xml: bytes, max_bytes: int, size: int | None = None
) -> list[Problem]:
    """Every limit ``element`` breaks; empty when it is within all of them.

    ``xml`` is the alert's own document (what would be stored); ``size`` what counts
    against ``max_bytes``, by default ``len(xml)`` (CAP JSON counts its JSON). Locations are
    XPaths from the alert (``/alert/info[1]/area[2]``), like the schema's.
    """
    problems: list[Problem] = []
    size = len(xml) if size is None else size
    if size > max_bytes:
        message = f"the alert is {size} bytes; the limit is {max_bytes} (max_document_bytes)"
        problems.append(Problem("/alert", "TOO_LARGE", message))
    elements = int(cast(float, _COUNT_ELEMENTS(element)))
    if elements > limits.MAX_ELEMENTS:
        message = f"the alert has {elements} elements; the limit is {limits.MAX_ELEMENTS}"
        return [*problems, Problem("/alert", "TOO_MANY_ELEMENTS", message)]
    problems += _many_namespaces(element, xml)
    problems += _many_attributes(element)
    problems += _long_attributes(element)
    problems += _long_texts(element)
    problems += _many_points(element)
    return limits.bounded(problems)


def _many_namespaces(root: etree._Element, xml: bytes) -> list[Problem]:
    """Namespace declarations are attributes too, but libxml2 keeps them apart (and the
    XPath namespace axis lists inherited ones at every element): count them in the text,
    re-serialized as ASCII when the document is in an encoding that hides them."""
    if not (xml.lstrip()[:1] == b"<" or xml.startswith(b"\xef\xbb\xbf")):
        xml = etree.tostring(root)
    declared = xml.count(b"xmlns")
    most = limits.MAX_NAMESPACES
    if declared <= most:
        return []
    message = f"the alert declares {declared} namespaces; the limit is {most}"
    return [Problem("/alert", "TOO_MANY_NAMESPACES", message)]


def _many_attributes(root: etree._Element) -> list[Problem]:
    most = limits.MAX_ATTRIBUTES
    found, rest = _first(_MANY_ATTRIBUTES(root, most=most))
    return [
        *(
            Problem(
                xpath_of(node, root),
                "TOO_MANY_ATTRIBUTES",
                f"<{etree.QName(node).localname}> has {len(node.attrib)} attributes; "
                f"the limit is {most}",
            )
            for node in found
        ),
        *rest,
    ]


def _long_attributes(root: etree._Element) -> list[Problem]:
    most = limits.MAX_ATTRIBUTE_CHARS
    found, rest = _first(_LONG_ATTRIBUTES(root, most=most))
    problems = []
    for value in found:
        node = value.getparent()
        name = limits.shortened(str(value.attrname), 64)
        message = f"the attribute {name} has {len(value)} characters; the limit is {most}"
        problems.append(Problem(xpath_of(node, root), "ATTRIBUTE_TOO_LONG", message))
    return problems + rest


def _long_texts(root: etree._Element) -> list[Problem]:
    most = limits.MAX_TEXT_CHARS
    found, rest = _first(_LONG_TEXTS(root, most=most))
    problems = []
    for text in found:
        node = text.getparent()
        if text.is_tail and node.getparent() is not None:
            node = node.getparent()  # text after a child is its parent's
        name = etree.QName(node).localname
        message = f"text in <{name}> has {len(text)} characters; the limit is {most}"
        problems.append(Problem(xpath_of(node, root), "TEXT_TOO_LONG", message))
    return problems + rest


def _many_points(root: etree._Element) -> list[Problem]:
    most = limits.MAX_POLYGON_POINTS
    found, rest = _first(_MANY_POINTS(root, most=most))
    problems = []
    for node in found:
        points = "".join(node.itertext()).count(",")
        message = f"<polygon> has {points} points; the limit is {most}"
        problems.append(Problem(xpath_of(node, root), "TOO_MANY_POINTS", message))
    return problems + rest


def _first(found: object) -> tuple[list[Any], list[Problem]]:
    """The first ``MAX_PROBLEMS`` nodes an XPath found, to name; the rest only counted."""
    nodes = cast(list[Any], found)
    rest = len(nodes) - limits.MAX_PROBLEMS
    return nodes[: limits.MAX_PROBLEMS], [limits.left_out(rest)] if rest > 0 else []
