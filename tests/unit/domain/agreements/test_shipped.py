"""The shipped agreements: they parse, every figure carries its source, and the Vienna
Document's figures are the ones in ../shared/reference/vienna-document-2011.md."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

import pytest

from accord.domain.agreements.model import (
    Agreement,
    agreement_to_json,
    builtin_agreements,
    parse_agreement,
)
from accord.domain.agreements.schema import Figure

LADDER_SOURCE = "Accord regional ladder (illustrative)"


def shipped(name: str) -> Agreement:
    return next(a for a in builtin_agreements() if a.name == name)


def figures(agreement: Agreement) -> Iterator[tuple[str, Figure]]:
    for o in agreement.obligations:
        for name, value in o.params.values.items():
            if isinstance(value, Figure):
                yield f"{o.id}/{name}", value
            elif isinstance(value, Mapping):
                yield from ((f"{o.id}/{name}/{k}", f) for k, f in value.items())
    if agreement.review:
        yield "review/every_months", agreement.review.every_months
    if agreement.emergency:
        yield "emergency/max_days", agreement.emergency.max_days
    if agreement.advance:
        yield "advance/consecutive", agreement.advance.consecutive


def test_both_agreements_are_shipped_and_round_trip() -> None:
    found = builtin_agreements()
    assert [a.name for a in found] == ["vienna-document-2011", "baltic-confidence-ladder"]
    for each in found:
        assert parse_agreement(agreement_to_json(each)) == each


@pytest.mark.parametrize("name", ["vienna-document-2011", "baltic-confidence-ladder"])
def test_every_shipped_figure_carries_its_source(name: str) -> None:
    found = dict(figures(shipped(name)))
    assert found
    assert [path for path, figure in found.items() if not figure.source] == []


def test_the_ladder_figures_are_its_own() -> None:
    for path, figure in figures(shipped("baltic-confidence-ladder")):
        assert (figure.source, figure.verified) == (LADDER_SOURCE, True), path


def test_the_ladder_climbs_three_tiers_from_the_first() -> None:
    ladder = shipped("baltic-confidence-ladder")
    assert ladder.tier == 1
    assert ladder.top_tier == 3
    assert ladder.advance is not None
    assert ladder.advance.period == "quarter"
    assert ladder.sunset is not None
    assert ladder.emergency is not None
    rules = {(o.tier, o.rule) for o in ladder.obligations}
    assert {
        (1, "periodic-sharing"),
        (1, "alert-acknowledgement"),
        (2, "joint-exercise"),
        (2, "prior-notification"),
        (3, "request-quota"),
        (3, "periodic-exchange"),
    } <= rules


# (obligation, figure, value, verified: True only for rows the reference marks V)
VIENNA = [
    ("notify-land-and-air-activities", "lead_days", 42, False),
    ("notify-land-and-air-activities", "thresholds/personnel", 9000, False),
    ("notify-land-and-air-activities", "thresholds/battle_tanks", 250, False),
    ("notify-land-and-air-activities", "thresholds/armoured_combat_vehicles", 500, False),
    ("notify-land-and-air-activities", "thresholds/artillery", 250, False),
    ("notify-land-and-air-activities", "thresholds/aircraft_sorties", 200, False),
    ("notify-land-and-air-activities", "exempt_kinds_lead_days/alert-activity", 0, False),
    ("notify-landings-and-parachute-assaults", "thresholds/personnel", 3000, False),
    ("annual-military-information", "due", "12-15", False),
    ("annual-military-information", "for_year_offset", 1, False),
    ("annual-calendar", "due", "11-15", False),
    ("consultation-on-unusual-activities", "answer_within_hours", 48, True),
    ("inspections", "accept_per_year", 3, False),
    ("inspections", "per_requester_per_year", 1, False),
    ("inspections", "answer_within_hours", 24, False),
    ("evaluation-visits", "accept_per_year", 1, True),
    ("evaluation-visits", "per_requester_per_year", 1, True),
    ("constraint-very-large-activities", "max_count", 1, False),
    ("constraint-very-large-activities", "thresholds/personnel", 40000, False),
    ("constraint-large-activities-per-year", "max_count", 6, False),
    ("constraint-large-activities-per-year", "thresholds/personnel", 13000, False),
    ("constraint-larger-activities-per-year", "max_count", 3, False),
    ("constraint-larger-activities-per-year", "thresholds/personnel", 25000, False),
    ("constraint-simultaneous-activities", "max_count", 3, True),
    ("constraint-simultaneous-activities", "thresholds/artillery", 300, True),
]


@pytest.mark.parametrize(("obligation", "path", "value", "verified"), VIENNA)
def test_vienna_document_figures_match_the_reference(
    obligation: str, path: str, value: int | str, verified: bool
) -> None:
    found = dict(figures(shipped("vienna-document-2011")))[f"{obligation}/{path}"]
    assert (found.value, found.verified) == (value, verified)
    assert found.source is not None
    assert found.source.startswith("VD11 ")


def test_vienna_document_is_open_ended_and_reviewed_yearly() -> None:
    vd = shipped("vienna-document-2011")
    assert vd.parties is None
    assert vd.starts == date(2011, 12, 1)
    assert vd.sunset is None
    assert vd.review is not None
    assert vd.review.every_months.value == 12
    assert "five years or less" in vd.mandate
