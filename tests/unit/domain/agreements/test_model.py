"""Agreements from their file form: every problem at once, located; and back again."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from accord.domain.agreements.model import Agreement, agreement_to_json, parse_agreement
from accord.domain.agreements.rules import known_rule_types
from accord.domain.agreements.schema import Figure, pointer
from accord.errors import InvalidInputError

from .factories import agreement, agreement_data, obligation

NOTIFY = obligation(
    "notify",
    "prior-notification",
    {
        "activities": ["exercise"],
        "thresholds": {"personnel": 9000},
        "lead_days": {"value": 42, "source": "VD11 V (38)", "verified": False},
    },
)


def problems_of(data: Any) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        parse_agreement(data)
    return {p.location: p.code for p in caught.value.problems}


def test_a_valid_agreement_parses_with_its_figures_sources_kept() -> None:
    parsed = agreement(NOTIFY)
    params = parsed.obligations[0].params
    assert params.figure("lead_days") == Figure(42, "VD11 V (38)", verified=False)
    assert params.figures("thresholds")["personnel"] == Figure(9000)
    assert parsed.parties == ("AA", "BB", "CC")
    assert parsed.starts == date(2026, 1, 1)


def test_parties_all_is_kept_as_none() -> None:
    assert agreement(NOTIFY, parties="all").parties is None


def test_every_problem_is_reported_at_once_with_its_location() -> None:
    bad = obligation(
        "notify",
        "prior-notification",
        {"activities": ["exercise", "picnic"], "thresholds": {}, "lead_days": -1, "extra": 1},
    )
    found = problems_of(
        agreement_data(bad, NOTIFY, name="Not A Slug", version=0, tier=0, colour="blue")
    )
    assert found == {
        "/name": "INVALID_SLUG",
        "/version": "OUT_OF_RANGE",
        "/tier": "OUT_OF_RANGE",
        "/colour": "UNKNOWN_FIELD",
        "/obligations/0/params/activities/1": "UNKNOWN_VALUE",
        "/obligations/0/params/thresholds": "MISSING_FIELD",
        "/obligations/0/params/lead_days": "OUT_OF_RANGE",
        "/obligations/0/params/extra": "UNKNOWN_FIELD",
        "/obligations/1/id": "DUPLICATE_ID",
    }


def test_an_unknown_rule_type_names_the_known_ones() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_agreement(agreement_data(obligation("x", "tea-ceremony", {})))
    (problem,) = caught.value.problems
    assert problem.location == "/obligations/0/rule"
    assert problem.code == "UNKNOWN_RULE"
    assert all(name in problem.message for name in known_rule_types())


@pytest.mark.parametrize(
    ("figure", "location", "code"),
    [
        ({"value": 42}, "/obligations/0/params/lead_days/source", "MISSING_FIELD"),
        ({"source": "VD11"}, "/obligations/0/params/lead_days/value", "MISSING_FIELD"),
        (
            {"value": "42", "source": "VD11"},
            "/obligations/0/params/lead_days/value",
            "INVALID_TYPE",
        ),
        (
            {"value": 42, "source": "VD11", "verified": "yes"},
            "/obligations/0/params/lead_days/verified",
            "INVALID_TYPE",
        ),
        (
            {"value": 42, "source": "VD11", "checked": True},
            "/obligations/0/params/lead_days/checked",
            "UNKNOWN_FIELD",
        ),
        (True, "/obligations/0/params/lead_days", "INVALID_TYPE"),
        (400, "/obligations/0/params/lead_days", "OUT_OF_RANGE"),
    ],
)
def test_a_bad_figure_is_located_inside_its_object(figure: Any, location: str, code: str) -> None:
    params = {"activities": ["exercise"], "thresholds": {"personnel": 9000}, "lead_days": figure}
    assert problems_of(agreement_data(obligation("notify", "prior-notification", params))) == {
        location: code
    }


def test_a_bad_day_of_the_year_is_refused() -> None:
    params = {"kind": "military-information", "due": "02-30", "for_year_offset": 1}
    found = problems_of(agreement_data(obligation("x", "periodic-exchange", params)))
    assert found == {"/obligations/0/params/due": "INVALID_VALUE"}


def test_sections_are_checked_key_by_key() -> None:
    found = problems_of(
        agreement_data(
            NOTIFY,
            sunset="2025-01-01",
            review={"every_months": 0, "first": "soon"},
            emergency={"tiers": [2], "max_days": 30, "description": "x", "why": "y"},
            advance={"period": "fortnight", "consecutive": 2},
        )
    )
    assert found == {
        "/sunset": "INVALID_DATE",
        "/review/every_months": "OUT_OF_RANGE",
        "/review/first": "INVALID_DATE",
        "/emergency/why": "UNKNOWN_FIELD",
        "/emergency/tiers/0": "UNKNOWN_TIER",
        "/advance/period": "UNKNOWN_VALUE",
    }


def test_a_tier_above_every_obligation_is_refused() -> None:
    assert problems_of(agreement_data(NOTIFY, tier=2)) == {"/tier": "UNKNOWN_TIER"}


def test_an_exemption_for_a_kind_not_covered_is_refused() -> None:
    params = dict(NOTIFY["params"], exempt_kinds_lead_days={"alert-activity": 0})
    found = problems_of(agreement_data(obligation("n", "prior-notification", params)))
    assert found == {
        "/obligations/0/params/exempt_kinds_lead_days/alert-activity": "UNUSED_EXEMPTION"
    }


def test_missing_and_mistyped_fields_are_named() -> None:
    found = problems_of({"name": "x", "parties": "some", "obligations": []})
    assert found["/parties"] == "INVALID_TYPE"
    assert found["/obligations"] == "INVALID_TYPE"
    assert {"/title", "/version", "/mandate", "/tier", "/starts"} <= found.keys()
    assert problems_of([1, 2]) == {"": "INVALID_TYPE"}


def test_json_pointers_escape_slash_and_tilde() -> None:
    assert pointer("/params", "a/b", "c~d", 3) == "/params/a~1b/c~0d/3"


def test_the_file_form_round_trips() -> None:
    full = agreement(
        NOTIFY,
        obligation(
            "quota",
            "request-quota",
            {
                "request_kind": "inspection",
                "accept_per_year": {"value": 3, "source": "VD11 IX (75)", "verified": False},
                "per_requester_per_year": 1,
                "answer_within_hours": 24,
            },
        ),
        sunset="2029-01-01",
        review={
            "every_months": {"value": 6, "source": "own", "verified": True},
            "first": "2026-07-01",
        },
        emergency={"tiers": [1], "max_days": 30, "description": "crisis"},
        advance={"period": "quarter", "consecutive": 2},
    )
    assert parse_agreement(agreement_to_json(full)) == full
    assert agreement_to_json(full)["obligations"][0]["params"]["thresholds"] == {"personnel": 9000}


def test_plain_figures_are_written_back_plainly() -> None:
    written = agreement_to_json(agreement(NOTIFY))
    params = written["obligations"][0]["params"]  # type: ignore[index]
    assert params["thresholds"] == {"personnel": 9000}
    assert params["lead_days"] == {"value": 42, "source": "VD11 V (38)", "verified": False}
    assert written["parties"] == ["AA", "BB", "CC"]


def test_agreements_are_values() -> None:
    assert agreement(NOTIFY) == agreement(NOTIFY)
    assert isinstance(agreement(NOTIFY), Agreement)
