"""``check_rules``: one minimal hand-built alert per rule, then the reference corpus."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from lxml import etree

from accord.domain.alerts.cap import CAP_NAMESPACE, Alert, Area, Info, Resource
from accord.domain.alerts.rules import check_rules
from accord.errors import Problem
from tests.reference import REFERENCE, real_alert_files
from tests.strategies import alerts

INFO = Info(
    categories=("Met",), event="Storm", urgency="Expected", severity="Minor", certainty="Likely"
)
ALERT = Alert(
    identifier="A-1",
    sender="s@example.org",
    sent="2024-05-01T10:00:00-00:00",
    status="Actual",
    msg_type="Alert",
    scope="Public",
    infos=(INFO,),
)
EARLIER = "s@example.org,A-0,2024-05-01T09:00:00-00:00"


def findings(alert: Alert) -> list[tuple[str, str, str]]:
    return [(p.location, p.code, p.severity) for p in check_rules(alert)]


def with_info(**changes: object) -> Alert:
    return replace(ALERT, infos=(replace(INFO, **changes),))  # type: ignore[arg-type]


def with_area(**changes: object) -> Alert:
    return with_info(areas=(Area(area_desc="Somewhere", **changes),))  # type: ignore[arg-type]


def with_resource(**changes: object) -> Alert:
    resource = Resource(resource_desc="map", mime_type="image/png")
    return with_info(resources=(replace(resource, **changes),))  # type: ignore[arg-type]


SQUARE = "10,10 10,11 11,11 11,10 10,10"


def test_a_plain_alert_breaks_no_rule() -> None:
    assert check_rules(ALERT) == []


@pytest.mark.parametrize("identifier", ["", "A 1", "A,1", "A<1", "A&1"])
def test_identifier_without_spaces_commas_lt_or_amp(identifier: str) -> None:
    assert findings(replace(ALERT, identifier=identifier)) == [
        ("/alert/identifier[1]", "INVALID_IDENTIFIER", "error")
    ]


def test_sender_without_spaces_commas_lt_or_amp() -> None:
    assert findings(replace(ALERT, sender="civil defence")) == [
        ("/alert/sender[1]", "INVALID_SENDER", "error")
    ]


def test_sent_with_z_is_an_invalid_date() -> None:
    assert findings(replace(ALERT, sent="2024-05-01T10:00:00Z")) == [
        ("/alert/sent[1]", "INVALID_DATE", "error")
    ]


@pytest.mark.parametrize("name", ["effective", "onset", "expires"])
def test_info_times_need_a_numeric_offset(name: str) -> None:
    assert findings(with_info(**{name: "2024-05-01T12:00:00Z"})) == [
        (f"/alert/info[1]/{name}[1]", "INVALID_DATE", "error")
    ]


def test_expires_before_effective_is_an_invalid_date() -> None:
    alert = with_info(effective="2024-05-01T12:00:00+02:00", expires="2024-05-01T11:00:00+02:00")
    assert findings(alert) == [("/alert/info[1]/expires[1]", "INVALID_DATE", "error")]


def test_expires_before_sent_counts_as_before_effective() -> None:
    alert = with_info(expires="2024-05-01T09:00:00-00:00")
    assert findings(alert) == [("/alert/info[1]/expires[1]", "INVALID_DATE", "error")]


def test_expires_before_onset_is_an_invalid_date() -> None:
    alert = with_info(onset="2024-05-02T00:00:00-00:00", expires="2024-05-01T23:00:00-00:00")
    assert findings(alert) == [("/alert/info[1]/expires[1]", "INVALID_DATE", "error")]


def test_end_of_day_24_00_is_understood() -> None:
    alert = with_info(effective="2024-05-01T24:00:00-00:00", expires="2024-05-02T00:00:00-00:00")
    assert check_rules(alert) == []


@pytest.mark.parametrize("msg_type", ["Update", "Cancel", "Ack", "Error"])
def test_update_cancel_ack_and_error_need_references(msg_type: str) -> None:
    alert = replace(ALERT, msg_type=msg_type, note="why")
    assert findings(alert) == [("/alert", "INVALID_REFERENCES", "error")]


def test_references_are_sender_identifier_sent_triplets() -> None:
    alert = replace(ALERT, msg_type="Update", references=f"{EARLIER} s,A-0 s,A,2024-05-01Z")
    assert findings(alert) == [("/alert/references[1]", "INVALID_REFERENCES", "error")] * 2


def test_empty_references_in_an_update_is_an_error() -> None:
    alert = replace(ALERT, msg_type="Update", references=" ")
    assert findings(alert) == [("/alert/references[1]", "INVALID_REFERENCES", "error")]


def test_empty_references_in_an_alert_is_only_a_warning() -> None:
    assert findings(replace(ALERT, references="")) == [
        ("/alert/references[1]", "INVALID_REFERENCES", "warning")
    ]


def test_several_whitespace_separated_references_are_fine() -> None:
    second = "s@example.org,A-00,2024-05-01T03:00:00-06:00"
    alert = replace(ALERT, msg_type="Update", references=f"{EARLIER}\n  {second}")
    assert check_rules(alert) == []


def test_an_alert_cannot_reference_itself() -> None:
    own = "s@example.org,A-1,2024-05-01T12:00:00+02:00"  # same instant as sent
    alert = replace(ALERT, msg_type="Update", references=own)
    assert findings(alert) == [("/alert/references[1]", "CIRCULAR_REFERENCE", "error")]


def test_an_alert_cannot_reference_a_later_message() -> None:
    later = "s@example.org,A-2,2024-05-01T10:00:01-00:00"
    alert = replace(ALERT, msg_type="Update", references=later)
    assert findings(alert) == [("/alert/references[1]", "POSTDATED_REFERENCE", "error")]


def test_restricted_scope_needs_a_restriction() -> None:
    assert findings(replace(ALERT, scope="Restricted")) == [
        ("/alert/scope[1]", "RESTRICTION_SCOPE_MISMATCH", "error")
    ]
    assert check_rules(replace(ALERT, scope="Restricted", restriction="officials")) == []


def test_private_scope_needs_addresses() -> None:
    assert findings(replace(ALERT, scope="Private", addresses=" ")) == [
        ("/alert/scope[1]", "RESTRICTION_SCOPE_MISMATCH", "error")
    ]


def test_exercise_and_error_should_explain_themselves_in_a_note() -> None:
    alert = replace(ALERT, status="Exercise", msg_type="Error", references=EARLIER)
    assert findings(alert) == [
        ("/alert/status[1]", "MISSING_NOTE", "warning"),
        ("/alert/msgType[1]", "MISSING_NOTE", "warning"),
    ]


@pytest.mark.parametrize("language", ["en_US", "englishlanguage", "e1", "en-"])
def test_language_is_an_rfc_3066_tag(language: str) -> None:
    assert findings(with_info(language=language)) == [
        ("/alert/info[1]/language[1]", "INVALID_LANGUAGE", "error")
    ]


def test_long_headline_is_a_warning() -> None:
    assert findings(with_info(headline="h" * 161)) == [
        ("/alert/info[1]/headline[1]", "HEADLINE_TOO_LONG", "warning")
    ]
    assert check_rules(with_info(headline="h" * 160)) == []


def test_html_in_free_text_is_a_warning() -> None:
    alert = with_info(description="<b>Leave</b> now", instruction="Go &amp; stay")
    assert findings(alert) == [
        ("/alert/info[1]/description[1]", "HTML_TAGS", "warning"),
        ("/alert/info[1]/instruction[1]", "HTML_ENTITIES", "warning"),
    ]


def test_a_later_same_language_block_may_not_override_an_earlier_one() -> None:
    area = (Area(area_desc="Coast"),)
    first = replace(INFO, areas=area)
    second = replace(first, severity="Extreme")
    other_language = replace(second, language="fr-CA")
    alert = replace(ALERT, infos=(first, other_language, second))
    assert findings(alert) == [("/alert/info[3]", "INVALID_SEQUENCE", "warning")]


@pytest.mark.parametrize("mime_type", ["png", "image/", "image /png", "image/png;"])
def test_mime_type_is_type_slash_subtype(mime_type: str) -> None:
    assert findings(with_resource(mime_type=mime_type)) == [
        ("/alert/info[1]/resource[1]/mimeType[1]", "INVALID_MIME_TYPE", "error")
    ]


def test_mime_type_parameters_are_allowed() -> None:
    assert check_rules(with_resource(mime_type="text/plain; charset=UTF-8")) == []


def test_relative_uri_needs_a_deref_uri() -> None:
    assert findings(with_resource(uri="maps/storm.png")) == [
        ("/alert/info[1]/resource[1]/uri[1]", "RELATIVE_URI_MISSING_DEREF_URI", "error")
    ]
    assert check_rules(with_resource(uri="maps/storm.png", deref_uri="aGVsbG8=")) == []


def test_deref_uri_is_base64() -> None:
    assert findings(with_resource(deref_uri="not base64!")) == [
        ("/alert/info[1]/resource[1]/derefUri[1]", "INVALID_DEREF_URI", "error")
    ]


@pytest.mark.parametrize(
    "polygon",
    [
        "10,10 10,11 10,10",  # too few pairs
        "10,10 10,11 11,11 11,10",  # not closed
        "10,10 10,11 91,11 11,10 10,10",  # latitude out of range
        "10,10 10,181 11,11 11,10 10,10",  # longitude out of range
        "10;10 10,11 11,11 11,10 10;10",  # not a pair
        "nan,10 10,11 11,11 nan,10",
    ],
)
def test_polygon_is_a_closed_ring_of_at_least_four_wgs84_pairs(polygon: str) -> None:
    assert findings(with_area(polygons=(SQUARE, polygon))) == [
        ("/alert/info[1]/area[1]/polygon[2]", "INVALID_POLYGON", "error")
    ]


def test_self_intersecting_polygon_is_only_a_warning() -> None:
    bow_tie = "10,10 11,11 10,11 11,10 10,10"
    assert findings(with_area(polygons=(bow_tie,))) == [
        ("/alert/info[1]/area[1]/polygon[1]", "INVALID_POLYGON_SELF_INTERSECTION", "warning")
    ]


@pytest.mark.parametrize(
    "circle", ["10,10", "10,10 -1", "10,10 1e3", "100,10 5", "10,10 5 km", "10,10 inf"]
)
def test_circle_is_a_point_and_a_non_negative_radius(circle: str) -> None:
    assert findings(with_area(circles=("-12.345,67.89 15.2", circle))) == [
        ("/alert/info[1]/area[1]/circle[2]", "INVALID_CIRCLE", "error")
    ]


def test_ceiling_needs_an_altitude() -> None:
    assert findings(with_area(ceiling="100")) == [
        ("/alert/info[1]/area[1]/ceiling[1]", "INVALID_ALTITUDE_CEILING_RANGE", "error")
    ]


def test_ceiling_may_not_be_below_altitude() -> None:
    assert findings(with_area(altitude="100", ceiling="99.5")) == [
        ("/alert/info[1]/area[1]/ceiling[1]", "INVALID_ALTITUDE_CEILING_RANGE", "error")
    ]
    assert check_rules(with_area(altitude="100", ceiling="100")) == []


def test_locations_count_info_and_area_positions() -> None:
    bad_area = Area(area_desc="b", polygons=(SQUARE, SQUARE, "1,1"))
    second = replace(INFO, areas=(Area(area_desc="a"), bad_area))
    alert = replace(ALERT, infos=(INFO, second))
    assert findings(alert) == [("/alert/info[2]/area[2]/polygon[3]", "INVALID_POLYGON", "error")]


def test_every_problem_is_reported_at_once() -> None:
    alert = replace(ALERT, identifier="a b", sender="", scope="Private")
    codes = [p.code for p in check_rules(alert)]
    assert codes == ["INVALID_IDENTIFIER", "INVALID_SENDER", "RESTRICTION_SCOPE_MISMATCH"]


# --- the reference corpus --------------------------------------------------------------------

CAP = "{" + CAP_NAMESPACE + "}"


def reference_alerts(paths: list[Path]) -> list[tuple[str, Alert]]:
    from accord.adapters.cap_xml.codec import element_to_alert  # the adapter under the domain

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    found = []
    for path in paths:
        root = etree.parse(str(path), parser).getroot()
        elements = [root] if root.tag == CAP + "alert" else list(root.iter(CAP + "alert"))
        found += [(f"{path.name}#{n}", element_to_alert(e)) for n, e in enumerate(elements, 1)]
    return found


def errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


@pytest.mark.reference
def test_real_alerts_and_spec_examples_break_no_rule() -> None:
    files = real_alert_files()
    if not files:
        pytest.skip(f"the shared reference corpus is not at {REFERENCE}")
    alerts = reference_alerts([p for p in files if p.suffix in {".xml", ".cap"}])
    assert len(alerts) >= 25
    assert {
        name: errors(check_rules(alert)) for name, alert in alerts if errors(check_rules(alert))
    } == {}


@pytest.mark.reference
def test_canada_errors_sample_fails_on_its_empty_references() -> None:
    path = REFERENCE / "cap" / "invalid" / "google-cap-library" / "canada_errors.cap"
    if not path.exists():
        pytest.skip(f"the shared reference corpus is not at {REFERENCE}")
    ((_, alert),) = reference_alerts([path])
    assert [(p.location, p.code, p.severity) for p in check_rules(alert)] == [
        ("/alert/references[1]", "INVALID_REFERENCES", "error")
    ]


@settings(max_examples=150, deadline=None)
@given(alert=alerts())
def test_generated_valid_alerts_break_no_rule(alert: Alert) -> None:
    assert errors(check_rules(alert)) == []


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-14:00",  # a valid xs:dateTime with no datetime in UTC
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T24:00:00+00:00",
        "1066-10-14T09:00:00+00:00",
    ],
)
def test_a_time_beyond_what_the_node_can_hold_is_an_invalid_date_wherever_it_is(
    moment: str,
) -> None:
    sent = findings(replace(ALERT, sent=moment))
    assert ("/alert/sent[1]", "INVALID_DATE", "error") in sent
    expires = findings(with_info(expires=moment))
    assert ("/alert/info[1]/expires[1]", "INVALID_DATE", "error") in expires
    reference = findings(
        replace(ALERT, msg_type="Update", references=f"s@example.org,A-0,{moment}")
    )
    assert ("/alert/references[1]", "INVALID_REFERENCES", "error") in reference


def test_reading_an_alerts_key_beyond_the_range_is_a_value_error_not_an_overflow() -> None:
    from accord.domain.alerts.cap import parse_cap_datetime

    for moment in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        with pytest.raises(ValueError, match="outside"):
            parse_cap_datetime(moment)
