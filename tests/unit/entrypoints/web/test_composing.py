"""The compose form's geocodes: a country picked from the gazetteer and a pair typed by
hand, as CAP JSON, back from an alert, naming the area, and the form's own check."""

from __future__ import annotations

from datetime import UTC, datetime

import shapely

from accord.entrypoints.web import composing, languages
from accord.entrypoints.web.drawing import drawing_map

SENT = datetime(2030, 1, 1, tzinfo=UTC)


def _form(**values: str) -> composing.AlertForm:
    return composing.posted_form({name: [value] for name, value in values.items()})


def _area(form: composing.AlertForm) -> dict[str, object]:
    mapping = composing.cap_json(form, identifier="X", sender="s@x", sent=SENT, msg_type="Alert")
    area: dict[str, object] = mapping["info"][0]["area"][0]
    return area


def test_a_picked_country_is_an_iso_3166_geocode_beside_the_typed_pair() -> None:
    form = _form(
        area_desc="Coast", geocode_country="EE", geocode_name="NUTS3", geocode_value="EE001"
    )
    assert _area(form)["geocode"] == [
        {"valueName": "ISO3166-1", "value": "EE"},
        {"valueName": "NUTS3", "value": "EE001"},
    ]
    assert _area(_form(area_desc="Coast", geocode_country="EE"))["geocode"] == [
        {"valueName": "ISO3166-1", "value": "EE"}
    ]
    assert "geocode" not in _area(_form(area_desc="Coast"))


def test_the_same_country_picked_and_typed_is_sent_once() -> None:
    form = _form(
        area_desc="Coast", geocode_country="EE", geocode_name="ISO3166-1", geocode_value="EE"
    )
    assert _area(form)["geocode"] == [{"valueName": "ISO3166-1", "value": "EE"}]
    assert composing.country_codes(form) == ["EE"]


def test_an_alerts_iso_3166_geocode_goes_back_to_the_picker_and_the_other_to_the_pair() -> None:
    alert = {
        "info": [
            {
                "area": [
                    {
                        "areaDesc": "Coast",
                        "geocode": [
                            {"valueName": "NUTS3", "value": "EE001"},
                            {"valueName": "ISO3166-1", "value": "EE"},
                        ],
                    }
                ]
            }
        ]
    }
    form = composing.following_form(alert, "CLEAR", [])
    assert (form["geocode_country"], form["geocode_name"], form["geocode_value"]) == (
        "EE",
        "NUTS3",
        "EE001",
    )
    alone = {"info": [{"area": [{"geocode": [{"valueName": "FIPS", "value": "1"}]}]}]}
    form = composing.following_form(alone, "CLEAR", [])
    assert (form["geocode_country"], form["geocode_name"]) == ("", "FIPS")


def test_an_empty_area_description_takes_the_countrys_name() -> None:
    names = {"EE": "Estonia", "LV": "Latvia"}
    assert composing.named_area(_form(geocode_country="EE"), names)["area_desc"] == "Estonia"
    typed = _form(geocode_name="ISO3166-1", geocode_value="LV")
    assert composing.named_area(typed, names)["area_desc"] == "Latvia"
    described = _form(geocode_country="EE", area_desc="Gulf of Finland")
    assert composing.named_area(described, names)["area_desc"] == "Gulf of Finland"
    assert composing.named_area(_form(geocode_country="ZZ"), names)["area_desc"] == ""
    other = _form(geocode_name="NUTS3", geocode_value="EE")
    assert composing.named_area(other, names)["area_desc"] == ""


def test_an_unknown_iso_3166_code_is_the_forms_own_problem_at_the_geocode() -> None:
    known = {"EE", "LV"}
    _ = languages.ENGLISH.gettext
    assert composing.geocode_problems(_form(geocode_country="EE"), known, _) == []
    assert (
        composing.geocode_problems(_form(geocode_name="NUTS3", geocode_value="ZZ"), known, _) == []
    )
    (problem,) = composing.geocode_problems(
        _form(geocode_country="EE", geocode_name="ISO3166-1", geocode_value="ee"), known, _
    )
    assert problem.code == "UNKNOWN_ISO_3166"
    assert "'ee' is not an ISO 3166-1 alpha-2 country code" in problem.message
    errors = composing.sorted_problems([problem])
    assert errors.by_field == {"geocode": [problem.message]}


def test_the_forms_own_problem_is_in_the_readers_language() -> None:
    french = languages.load_catalogues()["fr"].gettext
    (problem,) = composing.geocode_problems(_form(geocode_country="ZZ"), {"EE"}, french)
    assert problem.message.startswith("<geocode> 'ZZ' n’est pas un code de pays ISO 3166-1")
    assert "ISO3166-1" in problem.message


def test_the_drawing_map_frames_and_outlines_the_country() -> None:
    country = shapely.box(21.8, 57.5, 28.2, 59.7)
    frame = [shapely.box(10, 54, 12, 56)]
    plain = drawing_map(frame, "", "")
    outlined = drawing_map(frame, "", "", country)
    assert plain.outline == ""
    assert outlined.outline.startswith("M")
    assert outlined.outline.endswith("Z")
    east = outlined.west + outlined.width * outlined.lon_per_unit
    assert outlined.west < 10
    assert east > 28.2  # both the frame and the country in view
    assert outlined.north > 59.7
    assert plain.west + plain.width * plain.lon_per_unit < 28.2
