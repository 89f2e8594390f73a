"""The JSON mapping of CAP: lossless round trips, MeteoAlarm compatibility, every shape problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from accord.domain.alerts.cap import Alert
from accord.domain.alerts.cap_json import alert_from_json, alert_to_json
from accord.errors import InvalidInputError
from tests.reference import reference_dir
from tests.strategies import alerts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts())
def test_model_to_json_to_model_is_the_identity(alert: Alert) -> None:
    wire = json.loads(json.dumps(alert_to_json(alert)))
    assert alert_from_json(wire) == alert


def _meteoalarm_alerts() -> list[dict[str, Any]]:
    folder = reference_dir() / "cap" / "meteoalarm-json"
    found = []
    for path in sorted(folder.glob("*.json")):
        found += [warning["alert"] for warning in json.loads(path.read_text())["warnings"]]
    return found


@pytest.mark.reference
def test_every_meteoalarm_warning_decodes_and_encodes_back_unchanged() -> None:
    documents = _meteoalarm_alerts()
    assert len(documents) == 85
    for document in documents:
        assert alert_to_json(alert_from_json(document)) == document


def test_repeatable_elements_are_arrays_and_absent_ones_are_omitted() -> None:
    obj = _minimal_json()
    obj["info"] = [{**_info_json(), "area": [{"areaDesc": "here", "polygon": ["1,1 2,2 1,2 1,1"]}]}]
    encoded = alert_to_json(alert_from_json(obj))
    assert encoded["info"][0]["category"] == ["Met"]
    assert encoded["info"][0]["area"][0]["polygon"] == ["1,1 2,2 1,2 1,1"]
    assert "circle" not in encoded["info"][0]["area"][0]
    assert "code" not in encoded
    assert "note" not in encoded


def test_signatures_travel_as_an_array_of_xml_strings() -> None:
    obj = {
        **_minimal_json(),
        "signature": ["<Signature xmlns='http://www.w3.org/2000/09/xmldsig#'/>"],
    }
    alert = alert_from_json(obj)
    assert alert.signatures == tuple(obj["signature"])
    assert alert_to_json(alert)["signature"] == obj["signature"]


def test_every_shape_problem_is_reported_with_a_json_pointer() -> None:
    obj: dict[str, Any] = _minimal_json()
    del obj["identifier"]
    obj["status"] = 3
    obj["colour"] = "red"
    obj["code"] = "not-an-array"
    obj["info"] = [
        {**_info_json(), "category": ["Met", 5], "area": [{"polygon": []}]},
        "not-an-object",
    ]
    with pytest.raises(InvalidInputError) as error:
        alert_from_json(obj)
    found = {(problem.location, problem.code) for problem in error.value.problems}
    assert found == {
        ("/identifier", "JSON_MISSING_KEY"),
        ("/status", "JSON_TYPE"),
        ("/colour", "JSON_UNKNOWN_KEY"),
        ("/code", "JSON_TYPE"),
        ("/info/0/category/1", "JSON_TYPE"),
        ("/info/0/area/0/areaDesc", "JSON_MISSING_KEY"),
        ("/info/1", "JSON_TYPE"),
    }


def test_a_required_array_may_not_be_empty() -> None:
    obj = {**_minimal_json(), "info": [{**_info_json(), "category": []}]}
    with pytest.raises(InvalidInputError) as error:
        alert_from_json(obj)
    assert [problem.location for problem in error.value.problems] == ["/info/0/category"]


@pytest.mark.parametrize("value", [None, [], "alert", 1, True])
def test_anything_but_an_object_is_refused(value: object) -> None:
    with pytest.raises(InvalidInputError) as error:
        alert_from_json(value)
    assert [(p.location, p.code) for p in error.value.problems] == [("/", "JSON_TYPE")]


def test_unknown_keys_are_escaped_in_pointers() -> None:
    with pytest.raises(InvalidInputError) as error:
        alert_from_json({**_minimal_json(), "a/b~c": "x"})
    assert error.value.problems[0].location == "/a~1b~0c"


def test_characters_xml_cannot_carry_are_refused() -> None:
    with pytest.raises(InvalidInputError) as error:
        alert_from_json({**_minimal_json(), "note": "bell \x07"})
    assert [(p.location, p.code) for p in error.value.problems] == [("/note", "JSON_CHARACTER")]


def test_enumerations_are_not_checked_here() -> None:
    assert alert_from_json({**_minimal_json(), "status": "Nonsense"}).status == "Nonsense"


def _minimal_json() -> dict[str, Any]:
    return {
        "identifier": "id-1",
        "sender": "sender@example.org",
        "sent": "2024-01-01T00:00:00+00:00",
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
    }


def _info_json() -> dict[str, Any]:
    return {
        "category": ["Met"],
        "event": "wind",
        "urgency": "Future",
        "severity": "Moderate",
        "certainty": "Likely",
    }
