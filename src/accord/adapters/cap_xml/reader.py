"""The one way into Accord for CAP alerts, as XML bytes or as JSON: read, check, model.

``read_cap_xml``: safe parse -> unwrap (``<alerts>``, EDXL-DE) -> for each alert, structure
(the CAP 1.2 schema), then the model, the CAP rules and the XML-DSig signature. Every problem
of every alert is collected; errors make the whole read fail with ``InvalidInputError``,
warnings travel with the documents. With several alerts, locations are prefixed with the
alert's place in the document (``/alerts/alert[3]/info[1]/...``).

``read_cap_json``: the JSON shape check, then the same structural check on the XML form of
the alert, so JSON and XML get identical verdicts (locations are XPaths of that XML form).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from accord.adapters.cap_xml.codec import alert_to_xml, element_to_alert
from accord.adapters.cap_xml.parsing import DEFAULT_MAX_BYTES, Unwrapped, parse_xml, unwrap_alerts
from accord.adapters.cap_xml.schema import check_structure
from accord.adapters.cap_xml.signature import UNSIGNED, SignatureCheck, check_signature
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


def read_cap_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[CapDocument]:
    """Every CAP 1.2 alert in ``data``; ``InvalidInputError`` listing every problem if any."""
    found = unwrap_alerts(parse_xml(data, max_bytes=max_bytes))
    documents: list[CapDocument] = []
    problems: list[Problem] = []
    for item in found:
        document, item_problems = _read_alert(item, data)
        problems.extend(item_problems)
        if document is not None:
            documents.append(document)
    _raise_on_errors(problems, "the CAP document")
    return documents


def read_cap_json(obj: object) -> CapDocument:
    """The alert a JSON value (the MeteoAlarm mapping) describes, checked like XML."""
    alert = alert_from_json(obj)
    xml = alert_to_xml(alert)
    element = parse_xml(xml, max_bytes=max(len(xml), DEFAULT_MAX_BYTES))
    problems = check_structure(element)
    if not _errors(problems):
        problems = problems + check_rules(alert)
    _raise_on_errors(problems, "the JSON alert")
    signature = check_signature(xml) if alert.signatures else UNSIGNED
    return CapDocument(alert, signature, tuple(problems), xml)


def _read_alert(item: Unwrapped, data: bytes) -> tuple[CapDocument | None, list[Problem]]:
    element = item.element
    problems = _relocate(check_structure(element), item.location)
    if _errors(problems):
        return None, problems
    alert = element_to_alert(element)
    problems += _relocate(check_rules(alert), item.location)
    xml = data if item.is_root else etree.tostring(element, encoding="UTF-8")
    signature = check_signature(xml) if alert.signatures else UNSIGNED
    return CapDocument(alert, signature, tuple(problems), xml), problems


def _relocate(problems: list[Problem], location: str) -> list[Problem]:
    """Rewrite ``/alert/...`` locations to the alert's place in the document."""
    if location == "/alert":
        return problems
    return [
        Problem(
            _prefixed(problem.location, location), problem.code, problem.message, problem.severity
        )
        for problem in problems
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
    noun = "error" if len(errors) == 1 else "errors"
    raise InvalidInputError(f"{what} has {len(errors)} {noun}", errors + warnings)
