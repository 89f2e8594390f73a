"""The one way into Accord for CAP alerts, as XML bytes or as JSON: read, check, model.

``read_cap_xml``: safe parse -> unwrap (``<alerts>``, EDXL-DE) -> for each alert, the limits
of ``domain.alerts.limits`` (its own size among them, wherever it sits), structure (the CAP
1.2 schema), then the model, the CAP rules and the XML-DSig signature. Every problem of every
alert is collected (at most ``MAX_PROBLEMS`` listed); errors make the whole read fail with
``InvalidInputError``, warnings travel with the documents. With several alerts, locations are
prefixed with the alert's place in the document (``/alerts/alert[3]/info[1]/...``).
``read_cap_xml_items`` is the same read with a verdict per alert, for batches.

``read_cap_json``: the JSON shape check, its size as compact JSON, then the same limits and
structural check on the XML form of the alert, so JSON and XML get identical verdicts
(locations are XPaths of that XML form).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from lxml import etree

from accord.adapters.cap_xml.codec import alert_to_xml, element_to_alert
from accord.adapters.cap_xml.limits import check_limits
from accord.adapters.cap_xml.parsing import DEFAULT_MAX_BYTES, Unwrapped, parse_xml, unwrap_alerts
from accord.adapters.cap_xml.schema import check_structure
from accord.adapters.cap_xml.signature import UNSIGNED, SignatureCheck, check_signature
from accord.domain.alerts import limits
from accord.domain.alerts.cap import Alert
from accord.domain.alerts.cap_json import alert_from_json
from accord.domain.alerts.rules import check_rules
from accord.errors import InvalidInputError, Problem


@dataclass(frozen=True)
class CapDocument:
    """One accepted alert: its model, signature verdict, warnings, and its XML bytes.

    ``xml`` is the document as received when the alert was its root (signatures cover those
    bytes), otherwise the alert element's own serialization.
    """

    alert: Alert
    signature: SignatureCheck
    warnings: tuple[Problem, ...]
    xml: bytes


def read_cap_xml(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_total_bytes: int | None = None
) -> list[CapDocument]:
    """Every CAP 1.2 alert in ``data``; ``InvalidInputError`` listing every problem if any.

    Each alert may be ``max_bytes`` long; the whole of ``data`` ``max_total_bytes`` (by
    default ``max_bytes``: one document, whatever wraps it).
    """
    found = _unwrap(data, max_bytes, max_total_bytes, None)
    outcomes = [_read_alert(item, data, max_bytes) for item in found]
    problems = [problem for _, item_problems in outcomes for problem in item_problems]
    _raise_on_errors(problems, "the CAP document")
    return [document for document, _ in outcomes if document is not None]


def read_cap_xml_items(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_total_bytes: int | None = None,
    max_items: int | None = None,
) -> list[CapDocument | InvalidInputError]:
    """Each alert in ``data`` read on its own: its document, or the error refusing it.

    What refuses the whole body (not XML, too large in all, more than ``max_items`` alerts,
    a wrapper holding something else) raises ``InvalidInputError`` before any alert is read.
    """
    found = _unwrap(data, max_bytes, max_total_bytes, max_items)
    results: list[CapDocument | InvalidInputError] = []
    for item in found:
        document, problems = _read_alert(item, data, max_bytes)
        errors = _errors(problems)
        if document is None or errors:
            warnings = [problem for problem in problems if problem.severity != "error"]
            results.append(
                InvalidInputError(_verdict(errors, "the alert"), limits.bounded(errors + warnings))
            )
        else:
            results.append(document)
    return results


def read_cap_json(obj: object, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CapDocument:
    """The alert a JSON value (the MeteoAlarm mapping) describes, checked like XML.

    Its size is that of its compact JSON (never more than the body it came in).
    """
    alert = alert_from_json(obj)
    size = len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    xml = alert_to_xml(alert)
    element = parse_xml(xml, max_bytes=len(xml))
    problems = check_limits(element, xml, max_bytes, size)
    if not problems:
        problems = check_structure(element)
    if not _errors(problems):
        problems = problems + check_rules(alert)
    _raise_on_errors(problems, "the JSON alert")
    signature = check_signature(xml) if alert.signatures else UNSIGNED
    return CapDocument(alert, signature, tuple(limits.bounded(problems)), xml)


def _unwrap(
    data: bytes, max_bytes: int, max_total_bytes: int | None, max_items: int | None
) -> list[Unwrapped]:
    found = unwrap_alerts(parse_xml(data, max_bytes=max_total_bytes or max_bytes))
    if max_items is not None and len(found) > max_items:
        message = f"the document holds {len(found)} alerts; at most {max_items} per batch"
        raise InvalidInputError(message, [Problem("/", "TOO_MANY_ITEMS", message)])
    return found


def _read_alert(
    item: Unwrapped, data: bytes, max_bytes: int
) -> tuple[CapDocument | None, list[Problem]]:
    element = item.element
    xml = data if item.is_root else etree.tostring(element, encoding="UTF-8")
    problems = _relocate(check_limits(element, xml, max_bytes), item.location)
    if problems:
        return None, problems
    problems = _relocate(check_structure(element), item.location)
    if _errors(problems):
        return None, problems
    alert = element_to_alert(element)
    problems = limits.bounded(problems + _relocate(check_rules(alert), item.location))
    signature = check_signature(xml) if alert.signatures else UNSIGNED
    return CapDocument(alert, signature, tuple(problems), xml), problems


def _relocate(problems: list[Problem], location: str) -> list[Problem]:
    """Rewrite ``/alert/...`` locations to the alert's place in the document."""
    if location == "/alert":
        return problems
    return [
        replace(problem, location=_prefixed(problem.location, location)) for problem in problems
    ]


def _prefixed(found: str, location: str) -> str:
    if found == "/alert" or found.startswith("/alert/"):
        return location + found[len("/alert") :]
    if found.startswith("/alert[1]"):
        return location + found[len("/alert[1]") :]
    return location + (found if found.startswith("/") else "/" + found)


def _errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == "error"]


def _raise_on_errors(problems: list[Problem], what: str) -> None:
    errors = _errors(problems)
    if not errors:
        return
    warnings = [problem for problem in problems if problem.severity != "error"]
    raise InvalidInputError(_verdict(errors, what), limits.bounded(errors + warnings))


def _verdict(errors: list[Problem], what: str) -> str:
    count = sum(
        problem.count if isinstance(problem, limits.ProblemsLeftOut) else 1 for problem in errors
    )
    noun = "error" if count == 1 else "errors"
    return f"{what} has {count} {noun}"
