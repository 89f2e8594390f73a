"""The console forms' shared pieces: polygon text to GeoJSON and back, problems placed by
field, path ids, and the subscription form as the API's body."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.entrypoints.web.form_problems import (
    FormProblems,
    attempt,
    parse_id,
    polygon_geojson,
    polygon_text,
)
from accord.entrypoints.web.languages import ENGLISH, Words, load_catalogues
from accord.entrypoints.web.subscription_forms import (
    ALIASES,
    filter_lines,
    overlap,
    subscription_body,
)
from accord.errors import ConflictError, InvalidInputError, Problem


def test_polygon_text_becomes_a_closed_geojson_ring_in_lon_lat_order() -> None:
    area = polygon_geojson("59.0,21.0 60.5,21.0 60.5,28.5", "/area", ENGLISH.gettext)
    assert area == {
        "type": "Polygon",
        "coordinates": [[[21.0, 59.0], [21.0, 60.5], [28.5, 60.5], [21.0, 59.0]]],
    }
    assert polygon_text(area) == "59.0,21.0 60.5,21.0 60.5,28.5 59.0,21.0"
    assert polygon_geojson("  ", "/area", ENGLISH.gettext) is None


@pytest.mark.parametrize("text", ["north of here", "59,21 60", "59.0,21.0 60.0,21.0"])
def test_text_that_is_not_a_polygon_is_a_problem_at_the_fields_location(text: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        polygon_geojson(text, "/filter.area", ENGLISH.gettext)
    (problem,) = raised.value.problems
    assert problem.location == "/filter.area"
    assert problem.code == "INVALID_POLYGON"


def test_problems_go_beside_the_field_their_location_names_and_the_rest_above() -> None:
    found = FormProblems()
    found.add(Problem("/endpoints/0/url", "INVALID_URL", "url: bad"), ALIASES)
    found.add(Problem("/filter.min_severity", "INVALID_VALUE", "must be one of"), ALIASES)
    found.add(Problem("/agency", "UNKNOWN_AGENCY", "no agency"), ALIASES)
    assert found.of("url") == ["url: bad"]
    assert found.of("min_severity") == ["must be one of"]
    assert found.general == ["no agency"]
    assert not FormProblems()


def test_refusals_and_conflicts_come_back_as_sentences_and_other_errors_propagate() -> None:
    def conflict() -> None:
        raise ConflictError("participant EE already exists")

    outcome = attempt(conflict, {})
    assert isinstance(outcome, FormProblems)
    assert outcome.general == ["Participant EE already exists."]
    assert attempt(lambda: 7, {}) == 7

    def broken() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        attempt(broken, {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("2147483647", 2147483647),
        ("0", None),
        ("2147483648", None),
        ("-1", None),
        ("1e3", None),
        ("١٢", None),
        ("", None),
    ],
)
def test_only_positive_32_bit_ids_are_read_from_paths(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


def test_the_subscription_form_becomes_the_apis_body() -> None:
    body = subscription_body(
        {
            "name": ["Storms"],
            "categories": ["Met", "Env"],
            "min_severity": ["Severe"],
            "min_urgency": [""],
            "tlp_ceiling": ["AMBER"],
            "area": [""],
            "exercises": ["true"],
            "kind": ["webhook"],
            "url": [" https://desk.example/h "],
            "format": ["xml"],
        },
        ENGLISH.gettext,
    )
    assert body == {
        "name": "Storms",
        "filter": {
            "categories": ["Met", "Env"],
            "min_severity": "Severe",
            "tlp_ceiling": "AMBER",
            "exercises": True,
        },
        "endpoints": [{"kind": "webhook", "format": "xml", "url": "https://desk.example/h"}],
    }
    assert subscription_body({"name": ["x"], "kind": ["none"]}, ENGLISH.gettext)["endpoints"] == []


@pytest.mark.parametrize("hours", ["nan", "inf", "soon"])
def test_an_overlap_that_is_not_a_number_of_hours_is_a_problem(hours: str) -> None:
    with pytest.raises(InvalidInputError):
        overlap({"overlap_hours": hours}, ENGLISH.gettext)
    assert overlap({"overlap_hours": "2.5"}, ENGLISH.gettext) == timedelta(hours=2.5)
    assert overlap({}, ENGLISH.gettext) == timedelta(hours=24)


def test_a_stored_filter_reads_as_labelled_lines() -> None:
    lines = filter_lines(
        {"categories": ["Env", "Met"], "exercises": True, "geocodes": [["NUTS", "EE001"]]},
        ENGLISH,
    )
    assert lines == [
        ("Categories", "Env, Met"),
        ("Exercises", "included"),
        ("Geocodes", "NUTS=EE001"),
    ]


def test_the_forms_own_words_are_in_the_readers_language_and_cap_codes_are_not() -> None:
    french = Words("fr", load_catalogues()["fr"])
    lines = filter_lines(
        {"categories": ["Met"], "min_severity": "Severe", "exercises": False}, french
    )
    assert lines == [
        ("Catégories", "Met"),
        ("Gravité minimale", "Severe"),
        ("Exercices", "exclus"),
    ]
    with pytest.raises(InvalidInputError) as raised:
        polygon_geojson("north of here", "/area", french.gettext)
    assert raised.value.problems[0].message == "zone : paires lat,lon séparées par des espaces"
