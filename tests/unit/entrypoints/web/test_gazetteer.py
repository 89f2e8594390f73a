"""The compose form's gazetteer: ISO 3166-1 alpha-2 codes, names and outlines from the
bundled Natural Earth countries, with its ``-99`` codes resolved or left out."""

from __future__ import annotations

import re

import shapefile
import shapely
from shapely.geometry import Point

from accord.entrypoints.web.gazetteer import VALUE_NAME, build, code_of, gazetteer


def _square(lon: float, lat: float, size: float) -> shapefile.Shape:
    corners = [(lon, lat), (lon, lat + size), (lon + size, lat + size), (lon + size, lat)]
    return shapefile.Shape(shapefile.POLYGON, [*corners, corners[0]], [0])


def test_every_code_is_two_capital_letters_and_unique() -> None:
    countries = list(gazetteer())
    codes = [country.code for country in countries]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    assert len(codes) > 230  # every country and territory Natural Earth gives a code
    assert all(country.name and "-99" not in country.name for country in countries)


def test_estonia_has_its_code_name_and_an_outline_around_it() -> None:
    estonia = gazetteer().find("EE")
    assert estonia is not None
    assert (estonia.name, estonia.label) == ("Estonia", "Estonia (EE)")
    min_lon, min_lat, max_lon, max_lat = estonia.outline.bounds
    assert 21 < min_lon < 22.5  # Saaremaa
    assert 27.5 < max_lon < 29  # Narva
    assert 57 < min_lat < 58
    assert 59.3 < max_lat < 60
    assert estonia.outline.contains(Point(24.75, 59.43))  # Tallinn
    assert not estonia.outline.contains(Point(24.1, 56.95))  # Riga


def test_natural_earths_minus_99_codes_fall_back_to_the_extended_ones() -> None:
    places = gazetteer()
    france, norway, taiwan = (places.find(code) for code in ("FR", "NO", "TW"))
    assert france is not None
    assert france.outline.contains(Point(2.35, 48.86))  # Paris; France has ISO_A2 -99
    assert norway is not None
    assert norway.outline.contains(Point(10.75, 59.91))  # Oslo; so has Norway
    assert taiwan is not None
    assert taiwan.name == "Taiwan"  # its ISO_A2 is "CN-TW"
    assert places.find("-99") is None
    assert "-99" not in places
    assert places.find("ee") is None  # codes are matched as written


def test_a_record_code_is_iso_a2_else_the_extended_one_else_none() -> None:
    assert code_of({"ISO_A2": "EE", "ISO_A2_EH": "EE"}) == "EE"
    assert code_of({"ISO_A2": "-99", "ISO_A2_EH": "FR"}) == "FR"
    assert code_of({"ISO_A2": "CN-TW", "ISO_A2_EH": "TW"}) == "TW"
    assert code_of({"ISO_A2": "-99", "ISO_A2_EH": "-99"}) is None
    assert code_of({}) is None


def test_records_sharing_a_code_are_one_country_named_after_the_largest() -> None:
    places = build(
        [
            (
                {"ISO_A2": "-99", "ISO_A2_EH": "FR", "NAME_EN": "Clipperton Island"},
                _square(-109, 10, 1),
            ),
            ({"ISO_A2": "-99", "ISO_A2_EH": "FR", "NAME_EN": "France"}, _square(-5, 42, 10)),
            ({"ISO_A2": "-99", "ISO_A2_EH": "-99", "NAME_EN": "Bir Tawil"}, _square(33, 21, 1)),
            ({"ISO_A2": "EE", "ISO_A2_EH": "EE", "NAME_EN": "Estonia"}, _square(22, 57, 3)),
            ({"ISO_A2": "AX", "ISO_A2_EH": "AX", "NAME_EN": "Åland"}, _square(19, 60, 1)),
        ]
    )
    assert [country.code for country in places] == ["AX", "EE", "FR"]  # by name, Å as A
    france = places.find("FR")
    assert france is not None
    assert france.name == "France"
    assert isinstance(france.outline, shapely.MultiPolygon)
    assert france.outline.bounds == (-109.0, 10.0, 5.0, 52.0)
    assert places.names() == {"AX": "Åland", "EE": "Estonia", "FR": "France"}


def test_the_regions_states_come_first_and_not_again() -> None:
    places = gazetteer()
    region, others = places.ordered(["LV", "EE", "LT", "SEC"])
    assert [country.code for country in region] == ["EE", "LV", "LT"]  # by name
    assert len(region) + len(others) == len(places)
    assert not {"EE", "LV", "LT"} & {country.code for country in others}
    assert places.first(["ZZ", "FI", "EE"]) is places.find("FI")
    assert places.first(["ZZ"]) is None


def test_the_value_name_is_the_iso_standards_own() -> None:
    assert VALUE_NAME == "ISO3166-1"
