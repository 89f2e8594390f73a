"""The XML codec: lossless both ways, schema order on output, signatures kept verbatim."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from accord.adapters.cap_xml.codec import alert_to_xml, element_to_alert
from accord.adapters.cap_xml.parsing import parse_xml, unwrap_alerts
from accord.adapters.cap_xml.schema import check_structure
from accord.domain.alerts.cap import Alert
from accord.errors import InvalidInputError
from tests.reference import REFERENCE, real_alert_files, reference_dir
from tests.strategies import alerts

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
EDGE = sorted((REFERENCE / "cap" / "edge").glob("*")) if REFERENCE.is_dir() else []
VALID_FILES = real_alert_files() + EDGE


def _alerts_in(path: Path) -> list[Alert]:
    root = parse_xml(path.read_bytes())
    return [element_to_alert(item.element) for item in unwrap_alerts(root)]


def _read(xml: bytes) -> Alert:
    return element_to_alert(parse_xml(xml, max_bytes=len(xml)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts())
def test_model_to_xml_to_model_is_the_identity(alert: Alert) -> None:
    assert _read(alert_to_xml(alert)) == alert


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts())
def test_generated_xml_follows_the_schema(alert: Alert) -> None:
    assert check_structure(parse_xml(alert_to_xml(alert), max_bytes=10**8)) == []


@pytest.mark.reference
@pytest.mark.parametrize("path", VALID_FILES, ids=lambda path: path.name)
def test_reference_alerts_survive_xml_to_model_to_xml_to_model(path: Path) -> None:
    reference_dir()
    for alert in _alerts_in(path):
        xml = alert_to_xml(alert)
        again = _read(xml)
        assert again == alert
        assert alert_to_xml(again) == xml
        assert check_structure(parse_xml(xml, max_bytes=len(xml))) == []


def test_the_reference_corpus_is_present_or_skipped() -> None:
    reference_dir()
    assert len(VALID_FILES) >= 30


def test_output_is_utf8_with_a_declaration_and_the_cap_default_namespace() -> None:
    alert = _minimal()
    xml = alert_to_xml(alert)
    assert xml.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="' + CAP12.encode()
    )
    assert xml.decode("utf-8").endswith("</alert>")


def test_text_is_kept_exactly_as_written() -> None:
    description = "  leading & trailing <spaces>\r\n\tand a CR\r "
    alert = replace(_minimal(), note=description, source="")
    xml = alert_to_xml(alert)
    assert b"&amp;" in xml
    assert b"&#13;" in xml
    assert _read(xml).note == description
    assert _read(xml).source == ""


def test_empty_elements_read_as_empty_strings() -> None:
    alert = _alerts_in(reference_dir() / "cap/real/ca-eccc/canada.cap")[0]
    assert alert.restriction == ""
    assert alert.note == ""


def test_any_namespace_prefix_is_accepted() -> None:
    [alert] = _alerts_in(reference_dir() / "cap/real/au-nsw-rfs/australia.cap")
    assert alert.sender
    assert alert.infos
    assert alert.infos[0].areas


def test_signatures_are_reinserted_verbatim_at_the_end_of_the_alert() -> None:
    path = reference_dir() / "cap/real/sc-sma/seychelles_strong_winds_signed.xml"
    [alert] = _alerts_in(path)
    [signature] = alert.signatures
    assert "SignatureValue" in signature
    xml = alert_to_xml(alert).decode("utf-8")
    assert xml.endswith(signature + "</alert>")
    assert _read(xml.encode()).signatures == alert.signatures


def test_a_missing_required_element_raises_invalid_input() -> None:
    xml = f'<alert xmlns="{CAP12}"><identifier>x</identifier></alert>'.encode()
    with pytest.raises(InvalidInputError) as error:
        _read(xml)
    codes = {problem.code for problem in error.value.problems}
    assert codes == {"MISSING_ELEMENT"}
    assert len(error.value.problems) == 5


def test_unknown_children_are_ignored_by_the_codec() -> None:
    xml = alert_to_xml(_minimal()).replace(b"</alert>", b"<x:y xmlns:x='urn:x'/></alert>")
    assert _read(xml) == _minimal()


def _minimal() -> Alert:
    return Alert(
        identifier="id-1",
        sender="sender@example.org",
        sent="2024-01-01T00:00:00+00:00",
        status="Actual",
        msg_type="Alert",
        scope="Public",
    )
