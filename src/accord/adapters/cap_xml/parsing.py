"""Hostile-XML-safe parsing of CAP documents, and unwrapping of the envelopes alerts come in.

Every CAP document Accord reads comes from outside, so the parser is configured once, here,
to do nothing but build a tree: no DTD is loaded or validated, no entity is resolved, nothing
is fetched (``no_network`` plus a resolver that refuses every request), XInclude is never
processed, huge-tree mode stays off. A document is refused before parsing when it is larger
than ``max_bytes``, and after parsing when it declares any DOCTYPE at all or nests deeper than
``max_depth``. Every refusal is an ``InvalidInputError`` carrying a ``Problem``; nothing else
escapes, whatever the bytes.

``unwrap_alerts`` then finds the CAP 1.2 ``alert`` elements: the root itself, each child of
an ``<alerts>`` wrapper (SMHI), or the alerts inside an EDXL-DE 1.0 ``EDXLDistribution``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from accord.domain.alerts import limits
from accord.domain.alerts.cap import CAP_NAMESPACE
from accord.errors import InvalidInputError, Problem

DEFAULT_MAX_BYTES = limits.MAX_DOCUMENT_BYTES
DEFAULT_MAX_DEPTH = limits.MAX_DEPTH

EDXL_DE_NAMESPACE = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
OLDER_CAP_NAMESPACES = {
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "http://www.incident.com/cap/1.0": "1.0",
}

_CAP = "{" + CAP_NAMESPACE + "}"
_EDXL = "{" + EDXL_DE_NAMESPACE + "}"
_EMBEDDED = f"{_EDXL}contentObject/{_EDXL}xmlContent/{_EDXL}embeddedXMLContent"


class _ExternalResourceRefused(etree.XMLSyntaxError):
    """Raised from inside libxml2's resource loading; lxml re-raises it from the parse."""

    def __init__(self, url: str) -> None:
        # lxml's real signature is (message, code, line, column); lxml-stubs has it wrong.
        super().__init__(f"external resource refused: {url}", 0, 0, 0)  # type: ignore[call-arg, arg-type]


class _RefusingResolver(etree.Resolver):
    """Belt and braces: should libxml2 ever ask for an external resource, refuse it.

    With the options below it never asks; but one innocuous-looking option
    (``collect_ids=False``, lxml 6.1 / libxml2 2.14) makes it load external DTDs and
    parameter entities, so the refusal stays in place whatever the options become.
    """

    def resolve(self, system_url: str, public_id: str, context: object = None) -> None:
        raise _ExternalResourceRefused(system_url)


def safe_parser(*, keep_comments_and_pis: bool = False) -> etree.XMLParser:
    """A new parser that builds a tree and does nothing else (not shared between threads).

    Comments and processing instructions are dropped for the model; the signature checker
    keeps them, because canonicalization of a whole document includes top-level PIs.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=not keep_comments_and_pis,
        remove_pis=not keep_comments_and_pis,
    )
    parser.resolvers.add(_RefusingResolver())
    return parser


_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = safe_parser()
    return parser


@lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> etree.XPath:
    """True when any element sits deeper than ``max_depth``: one C-level pass per level."""
    return etree.XPath("boolean(/*" + "/*" * max_depth + ")")


def parse_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    parser: etree.XMLParser | None = None,
) -> etree._Element:
    """Parse untrusted bytes into a tree, or raise ``InvalidInputError`` saying why not."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _refuse("NOT_BYTES", f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        message = f"the document is {len(data)} bytes; the limit is {max_bytes}"
        raise _refuse("TOO_LARGE", message)
    try:
        root = etree.fromstring(bytes(data), parser=parser or _thread_parser())
    except _ExternalResourceRefused as exc:
        raise _refuse(
            "FORBIDDEN_DTD", f"the document refers to an external resource: {exc}"
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise _refuse("MALFORMED_XML", f"not well-formed XML: {exc}") from exc
    except (ValueError, etree.LxmlError) as exc:  # encoding errors, resolver refusals
        raise _refuse("MALFORMED_XML", f"not readable XML: {exc}") from exc
    _check_tree(root, max_depth)
    return root


def _check_tree(root: etree._Element, max_depth: int) -> None:
    docinfo = root.getroottree().docinfo
    doctype: str = docinfo.doctype  # type: ignore[attr-defined]  # missing from lxml-stubs
    if doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        message = "DOCTYPE declarations are not allowed in CAP documents (entity attacks)"
        raise _refuse("FORBIDDEN_DTD", message)
    if _too_deep(max_depth)(root):
        raise _refuse("TOO_DEEP", f"elements are nested more than {max_depth} deep")


def _refuse(code: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, [Problem("/", code, message)])


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """One CAP 1.2 alert element found in a document, and its XPath there."""

    element: etree._Element
    location: str
    is_root: bool


def unwrap_alerts(root: etree._Element) -> list[Unwrapped]:
    """The CAP 1.2 alerts a document carries; ``InvalidInputError`` listing every refusal."""
    problems: list[Problem] = []
    found: list[Unwrapped] = []
    tag = str(root.tag)
    if tag in (_CAP + "alerts", "alerts"):
        children = [child for child in root if isinstance(child.tag, str)]
        for index, child in enumerate(children, start=1):
            location = f"/alerts/{_local_name(child)}[{index}]"
            _classify(child, location, found, problems)
        if not children:
            problems.append(Problem("/alerts", "NOT_CAP", "the <alerts> wrapper holds no alert"))
    elif tag == _EDXL + "EDXLDistribution":
        _unwrap_edxl(root, found, problems)
    else:
        _classify(root, "/" + _local_name(root), found, problems, is_root=True)
    if problems:
        raise InvalidInputError(_summary(problems), limits.bounded(problems))
    return found


def _unwrap_edxl(root: etree._Element, found: list[Unwrapped], problems: list[Problem]) -> None:
    for content_index, embedded in enumerate(root.iterfind(_EMBEDDED), start=1):
        for child in embedded:
            if isinstance(child.tag, str) and _local_name(child) == "alert":
                location = (
                    f"/EDXLDistribution/contentObject[{content_index}]"
                    f"/xmlContent/embeddedXMLContent/alert"
                )
                _classify(child, location, found, problems)
    if not found and not problems:
        message = "the EDXL-DE envelope carries no CAP alert in embeddedXMLContent"
        problems.append(Problem("/EDXLDistribution", "NOT_CAP", message))


def _classify(
    element: etree._Element,
    location: str,
    found: list[Unwrapped],
    problems: list[Problem],
    *,
    is_root: bool = False,
) -> None:
    tag = str(element.tag)
    if tag == _CAP + "alert":
        found.append(Unwrapped(element, location, is_root))
        return
    namespace = etree.QName(element).namespace or ""
    name = _local_name(element)
    if name == "alert" and namespace in OLDER_CAP_NAMESPACES:
        version = OLDER_CAP_NAMESPACES[namespace]
        message = f"this is a CAP {version} alert ({namespace}); only CAP 1.2 is accepted"
        problems.append(Problem(location, "UNSUPPORTED_VERSION", message))
        return
    shown = f"{{{namespace}}}{name}" if namespace else name
    message = f"not a CAP 1.2 alert: expected <alert> in {CAP_NAMESPACE}, got <{shown}>"
    problems.append(Problem(location, "NOT_CAP", message))


def _local_name(element: etree._Element) -> str:
    tag = str(element.tag)
    return tag.rpartition("}")[2]


def _summary(problems: list[Problem]) -> str:
    return problems[0].message if len(problems) == 1 else f"{len(problems)} problems"
