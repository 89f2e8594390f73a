"""Structural validation of a CAP 1.2 ``alert`` element, equivalent to the OASIS CAP 1.2 XSD.

``check_structure`` walks the element tree once and reports every departure from the
structure the official schema (docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2.xsd) defines:
order, cardinality, unknown or misplaced elements, attributes, text where only elements may
be, elements where only text may be, enumerations and the lexical types in ``xsd_types``.

The schema is encoded below as one table per complex type — (child, minOccurs, maxOccurs,
type) — rather than loaded at run time: our own code, no schema file to ship or trust, and
about ten times faster than libxml2's validator plus a second pass to explain its errors.

Every problem carries an XPath with positional predicates (``/alert/info[2]/area[1]``),
computed only when a problem is found. Known, deliberate differences from libxml2:

* libxml2 accepts ``ds:Signature`` elements interleaved with ``info`` blocks; the schema puts
  the signature wildcard strictly after the last ``info``, and so do we.
* ``xsi:type`` is accepted only when it names the declared built-in type itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from lxml import etree

from accord.adapters.cap_xml import xsd_types as xt
from accord.domain.alerts import cap, limits
from accord.errors import Problem

_CAP = "{" + cap.CAP_NAMESPACE + "}"
_DSIG = "{" + cap.XMLDSIG_NAMESPACE + "}"
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
_WS = xt.XML_WHITESPACE
_LOCATION_ATTRIBUTES = frozenset({_XSI + "schemaLocation", _XSI + "noNamespaceSchemaLocation"})
UNBOUNDED = sys.maxsize  # maxOccurs="unbounded"


@dataclass(frozen=True, slots=True)
class Leaf:
    """A simple type: (check, problem code) pairs applied in turn, and its XSD built-in name."""

    checks: tuple[tuple[xt.Check, str], ...]
    builtin: str | None = None


@dataclass(frozen=True, slots=True)
class Complex:
    """A ``sequence`` of child elements, optionally closed by the XML-DSig ``any`` wildcard.

    Built from rows of (name, minOccurs, maxOccurs, type); kept column-wise for the hot loop.
    """

    names: tuple[str, ...]
    min_occurs: tuple[int, ...]
    max_occurs: tuple[int, ...]
    contents: tuple[Leaf | Complex, ...]
    signature_wildcard: bool = False
    positions: dict[str, int] = field(init=False, default_factory=dict)
    next_required: tuple[int, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self.positions.update({_CAP + name: index for index, name in enumerate(self.names)})
        after = [len(self.names)] * len(self.names)
        for index in range(len(self.names) - 2, -1, -1):
            required = self.min_occurs[index + 1] > 0
            after[index] = index + 1 if required else after[index + 1]
        object.__setattr__(self, "next_required", tuple(after))


def _sequence(*rows: tuple[str, int, int, Leaf | Complex], wildcard: bool = False) -> Complex:
    names, mins, maxs, contents = zip(*rows, strict=True)
    return Complex(names, mins, maxs, contents, signature_wildcard=wildcard)


STRING = Leaf((), "string")
DATETIME = Leaf(
    ((xt.cap_datetime_pattern, "SCHEMA_PATTERN"), (xt.cap_datetime_value, "SCHEMA_DATETIME"))
)
LANGUAGE = Leaf(((xt.language, "SCHEMA_LANGUAGE"),), "language")
INTEGER = Leaf(((xt.integer, "SCHEMA_INTEGER"),), "integer")
DECIMAL = Leaf(((xt.decimal, "SCHEMA_DECIMAL"),), "decimal")
ANY_URI = Leaf(((xt.any_uri, "SCHEMA_ANY_URI"),), "anyURI")


def _enum(values: tuple[str, ...]) -> Leaf:
    return Leaf(((xt.enumeration(values), "SCHEMA_ENUMERATION"),))


_VALUE_PAIR = _sequence(("valueName", 1, 1, STRING), ("value", 1, 1, STRING))
_RESOURCE = _sequence(
    ("resourceDesc", 1, 1, STRING),
    ("mimeType", 1, 1, STRING),
    ("size", 0, 1, INTEGER),
    ("uri", 0, 1, ANY_URI),
    ("derefUri", 0, 1, STRING),
    ("digest", 0, 1, STRING),
)
_AREA = _sequence(
    ("areaDesc", 1, 1, STRING),
    ("polygon", 0, UNBOUNDED, STRING),
    ("circle", 0, UNBOUNDED, STRING),
    ("geocode", 0, UNBOUNDED, _VALUE_PAIR),
    ("altitude", 0, 1, DECIMAL),
    ("ceiling", 0, 1, DECIMAL),
)
_INFO = _sequence(
    ("language", 0, 1, LANGUAGE),
    ("category", 1, UNBOUNDED, _enum(cap.CATEGORIES)),
    ("event", 1, 1, STRING),
    ("responseType", 0, UNBOUNDED, _enum(cap.RESPONSE_TYPES)),
    ("urgency", 1, 1, _enum(cap.URGENCIES)),
    ("severity", 1, 1, _enum(cap.SEVERITIES)),
    ("certainty", 1, 1, _enum(cap.CERTAINTIES)),
    ("audience", 0, 1, STRING),
    ("eventCode", 0, UNBOUNDED, _VALUE_PAIR),
    ("effective", 0, 1, DATETIME),
    ("onset", 0, 1, DATETIME),
    ("expires", 0, 1, DATETIME),
    ("senderName", 0, 1, STRING),
    ("headline", 0, 1, STRING),
    ("description", 0, 1, STRING),
    ("instruction", 0, 1, STRING),
    ("web", 0, 1, ANY_URI),
    ("contact", 0, 1, STRING),
    ("parameter", 0, UNBOUNDED, _VALUE_PAIR),
    ("resource", 0, UNBOUNDED, _RESOURCE),
    ("area", 0, UNBOUNDED, _AREA),
)
ALERT = _sequence(
    ("identifier", 1, 1, STRING),
    ("sender", 1, 1, STRING),
    ("sent", 1, 1, DATETIME),
    ("status", 1, 1, _enum(cap.STATUSES)),
    ("msgType", 1, 1, _enum(cap.MSG_TYPES)),
    ("source", 0, 1, STRING),
    ("scope", 1, 1, _enum(cap.SCOPES)),
    ("restriction", 0, 1, STRING),
    ("addresses", 0, 1, STRING),
    ("code", 0, UNBOUNDED, STRING),
    ("note", 0, 1, STRING),
    ("references", 0, 1, STRING),
    ("incidents", 0, 1, STRING),
    ("info", 0, UNBOUNDED, _INFO),
    wildcard=True,
)
# Global element declarations: what a lax wildcard (inside ds:Signature) still validates.
_GLOBAL: dict[str, Leaf | Complex] = {
    _CAP + "alert": ALERT,
    _CAP + "valueName": STRING,
    _CAP + "value": STRING,
}
_VALUE_NAME, _VALUE = _CAP + "valueName", _CAP + "value"
# Elements whose schema type has a default value, applied when they are empty.
_DEFAULTS = {_CAP + "language": "en-US"}


def check_structure(element: etree._Element) -> list[Problem]:
    """Every way ``element`` departs from the CAP 1.2 schema's ``alert``; empty when valid."""
    walk = _Walk(element)
    if element.tag != _CAP + "alert":
        walk.report(element, "SCHEMA_ROOT", _root_message(element))
    else:
        walk.complex(element, ALERT)
    return [*walk.problems, limits.left_out(walk.left_out)] if walk.left_out else walk.problems


def _root_message(element: etree._Element) -> str:
    namespace, name = _split(element.tag)
    if name == "alert":
        got = namespace or "no namespace"
        return f"<alert> must be in namespace {cap.CAP_NAMESPACE}; got {got}"
    return f"the root element must be a CAP 1.2 <alert>; got <{name}>"


def _split(tag: object) -> tuple[str, str]:
    text = str(tag)
    if text.startswith("{"):
        namespace, _, name = text[1:].partition("}")
        return namespace, name
    return "", text


def _name(element: etree._Element) -> str:
    return _split(element.tag)[1]


_SAME_BEFORE = etree.XPath(
    "count(preceding-sibling::*[local-name() = $name and namespace-uri() = $namespace])"
)


def xpath_of(element: etree._Element, root: etree._Element) -> str:
    """``element``'s place under ``root`` as an XPath with positions (``/alert/info[2]``).

    Siblings are counted by libxml2, not in Python: a problem among ten thousand siblings
    is named in microseconds.
    """
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None and node is not root:
        namespace, name = _split(node.tag)
        same = int(_SAME_BEFORE(node, name=name, namespace=namespace))  # type: ignore[arg-type]
        steps.append(f"{name}[{same + 1}]")
        node = node.getparent()
    steps.append(_name(root))
    return "/" + "/".join(reversed(steps))


class _Walk:
    """One validation pass; collects problems and renders locations only for them."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.left_out = 0

    def report(self, element: etree._Element, code: str, message: str) -> None:
        """Record a problem; past ``MAX_PROBLEMS`` only count it (naming it costs a walk up)."""
        if len(self.problems) < limits.MAX_PROBLEMS:
            self.problems.append(Problem(xpath_of(element, self.root), code, message))
        else:
            self.left_out += 1

    def complex(self, element: etree._Element, ctype: Complex) -> None:
        """Check an element of complex type: attributes, text, then its children in order.

        The hot loop of the validator, so deliberately flat: the valid path touches each
        child's tail, tag and attributes once; every problem goes to ``_Sequence``.
        """
        if element.keys():
            self.attributes(element, None)
        text = element.text
        if text and text.strip(_WS):
            self.stray_text(element, text)
        sequence = _Sequence(self, element, ctype)  # the slow path: problems only
        positions, contents, max_occurs = ctype.positions, ctype.contents, ctype.max_occurs
        min_occurs, next_required = ctype.min_occurs, ctype.next_required
        position = count = 0
        for child in element:
            tail = child.tail
            if tail and tail.strip(_WS):
                self.stray_text(element, tail)
            found = positions.get(child.tag)
            if found is None:
                position, count = sequence.foreign(child, position, count)
                continue
            if found == position:
                count += 1
                if count > max_occurs[found]:
                    sequence.too_many(child, found)
            elif found > position:
                if count < min_occurs[position] or next_required[position] < found:
                    sequence.skip(position, count, found)
                position, count = found, 1
            else:
                sequence.out_of_order(child, found, position)
                continue
            content = contents[found]
            if content is STRING and not len(child):
                if child.keys():
                    self.attributes(child, STRING.builtin)
            elif isinstance(content, Leaf):
                self.leaf(child, content)
            elif content is not _VALUE_PAIR or not _is_plain_pair(child):
                self.complex(child, content)
        end = len(contents)
        if position < end and (count < min_occurs[position] or next_required[position] < end):
            sequence.skip(position, count, end)
        if sequence.skipped or sequence.misplaced:
            sequence.finish()

    def leaf(self, element: etree._Element, leaf: Leaf) -> None:
        """Check an element of simple type: no attributes, no child elements, a valid value."""
        if element.keys():
            self.attributes(element, leaf.builtin)
        value = self.mixed_value(element) if len(element) else (element.text or "")
        if not value and element.tag in _DEFAULTS and _has_no_text_nodes(element):
            value = _DEFAULTS[str(element.tag)]
        for check, code in leaf.checks:
            reason = check(value)
            if reason is not None:
                self.report(element, code, f"<{_name(element)}> {reason}")
                return

    def mixed_value(self, element: etree._Element) -> str:
        """The text of a simple element that also holds comments, PIs or (wrongly) elements."""
        parts = [element.text or ""]
        for node in element:
            if isinstance(node.tag, str):
                message = f"<{_name(element)}> holds text only; got a child element <{_name(node)}>"
                self.report(node, "SCHEMA_CHILD_ELEMENT", message)
            parts.append(node.tail or "")
        return "".join(parts)

    def stray_text(self, parent: etree._Element, text: str) -> None:
        shown = text.strip(_WS)[:40]
        message = f"<{_name(parent)}> may hold only elements, not text; got {shown!r}"
        self.report(parent, "SCHEMA_TEXT", message)

    def attributes(self, element: etree._Element, builtin: str | None) -> None:
        for key, value in element.items():
            name = str(key)
            if name in _LOCATION_ATTRIBUTES:
                continue
            if name == _XSI + "type" and _is_builtin(element, str(value), builtin):
                continue
            message = f"<{_name(element)}> does not allow the attribute {name}"
            self.report(element, "SCHEMA_ATTRIBUTE", message)

    def wildcard(self, element: etree._Element) -> None:
        """Lax ``ds:*`` content: only descendants with a global CAP declaration are checked."""
        checked: list[etree._Element] = []
        for node in element.iter(*_GLOBAL):
            if any(node in ancestor.iter() for ancestor in checked):
                continue
            checked.append(node)
            content = _GLOBAL[str(node.tag)]
            if isinstance(content, Leaf):
                self.leaf(node, content)
            else:
                self.complex(node, content)


def _is_plain_pair(element: etree._Element) -> bool:
    """Fast path for geocode/parameter/eventCode: exactly valueName then value, nothing else."""
    if len(element) != 2 or element.keys() or _has_text(element.text):
        return False
    name, value = element
    return (
        name.tag == _VALUE_NAME
        and value.tag == _VALUE
        and not (len(name) or len(value) or name.keys() or value.keys())
        and not (_has_text(name.tail) or _has_text(value.tail))
    )


def _has_no_text_nodes(element: etree._Element) -> bool:
    """The schema default applies only to an element without any text node, even ""."""
    return element.text is None and all(node.tail is None for node in element)


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip(_WS))


def _is_builtin(element: etree._Element, value: str, builtin: str | None) -> bool:
    prefix, _, name = value.strip(_WS).rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    return builtin is not None and namespace == _XSD_NAMESPACE and name == builtin


class _Sequence:
    """The slow path of ``_Walk.complex``: explains children that break the sequence.

    Names are distinct within each CAP sequence, so greedy matching decides membership
    exactly. A misplaced child is reported and passed over (we keep our place), so one pass
    reports every problem; a required child reported out of order is not also "missing".
    """

    __slots__ = ("ctype", "element", "misplaced", "skipped", "walk")

    def __init__(self, walk: _Walk, element: etree._Element, ctype: Complex) -> None:
        self.walk = walk
        self.element = element
        self.ctype = ctype
        self.skipped: tuple[int, ...] = ()
        self.misplaced: frozenset[int] = frozenset()

    def skip(self, position: int, count: int, found: int) -> None:
        """Note the required children passed over when jumping from ``position`` to ``found``."""
        mins = self.ctype.min_occurs
        first = position if count < mins[position] else position + 1
        self.skipped += tuple(index for index in range(first, found) if mins[index])

    def foreign(self, child: etree._Element, position: int, count: int) -> tuple[int, int]:
        """A child not in the table: the signature wildcard, a comment, or a problem."""
        tag = child.tag
        if not isinstance(tag, str):
            return position, count
        if self.ctype.signature_wildcard and tag.startswith(_DSIG):
            end = len(self.ctype.names)
            if position < end:
                self.skip(position, count, end)
            self.walk.wildcard(child)
            return end, 0
        self.unknown(child, tag)
        return position, count

    def unknown(self, child: etree._Element, tag: str) -> None:
        namespace, name = _split(tag)
        parent = _name(self.element)
        if name in self.ctype.names:
            got = namespace or "no namespace"
            message = f"<{name}> in <{parent}> must be in namespace {cap.CAP_NAMESPACE}; got {got}"
            self.walk.report(child, "SCHEMA_NAMESPACE", message)
            return
        where = f" (namespace {namespace})" if namespace else ""
        message = f"<{name}>{where} is not an element CAP 1.2 allows in <{parent}>"
        self.walk.report(child, "SCHEMA_UNKNOWN_ELEMENT", message)

    def too_many(self, child: etree._Element, position: int) -> None:
        message = f"<{_name(self.element)}> allows at most one <{self.ctype.names[position]}>"
        self.walk.report(child, "SCHEMA_TOO_MANY", message)

    def out_of_order(self, child: etree._Element, found: int, position: int) -> None:
        self.misplaced |= {found}
        names = self.ctype.names
        later = f"<{names[position]}>" if position < len(names) else "the signature"
        parent = _name(self.element)
        message = f"<{names[found]}> is out of order in <{parent}>: it must come before {later}"
        self.walk.report(child, "SCHEMA_ORDER", message)

    def finish(self) -> None:
        """Report the required children that never came (those out of order did come)."""
        missing = [index for index in self.skipped if index not in self.misplaced]
        parent = _name(self.element)
        for index in missing:
            message = f"<{parent}> is missing the required <{self.ctype.names[index]}>"
            self.walk.report(self.element, "SCHEMA_MISSING", message)
