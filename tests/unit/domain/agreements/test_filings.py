"""Filings: refused when they are no statement at all, flagged when merely incomplete."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.domain.agreements.facts import Forces, Notification, Reply, Request, Share
from accord.domain.agreements.filings import FILING_KINDS, parse_filing
from accord.errors import InvalidInputError

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _parse(data: object) -> object:
    fact, _incomplete = parse_filing(data, "r1", "EE", AT)
    return fact


def test_a_full_notification_becomes_its_fact() -> None:
    fact, incomplete = parse_filing(
        {
            "kind": "notification",
            "activity_id": "EE-1",
            "activity": "exercise",
            "start": "2026-05-01T06:00:00+03:00",
            "end": "2026-05-10T18:00:00+03:00",
            "area": "Central Estonia",
            "forces": {"personnel": 9500, "battle_tanks": 12},
            "to": ["LV", "LT", "LV"],
        },
        "r1",
        "EE",
        AT,
    )
    assert incomplete == []
    assert isinstance(fact, Notification)
    assert fact.start == datetime(2026, 5, 1, 3, tzinfo=UTC)
    assert fact.forces == Forces(personnel=9500, battle_tanks=12)
    assert fact.to == ("LT", "LV")
    assert (fact.record_id, fact.author, fact.at) == ("r1", "EE", AT)


def test_an_incomplete_notification_is_accepted_and_says_what_it_lacks() -> None:
    fact, incomplete = parse_filing(
        {
            "kind": "notification",
            "activity_id": "EE-2",
            "activity": "exercise",
            "start": "2026-05-01T06:00:00+00:00",
        },
        "r2",
        "EE",
        AT,
    )
    assert isinstance(fact, Notification)
    assert sorted(i.field for i in incomplete) == ["area", "end", "forces"]


def test_every_problem_is_named_with_its_location() -> None:
    with pytest.raises(InvalidInputError) as raised:
        _parse(
            {
                "kind": "notification",
                "activity": "parade",
                "start": "2026-05-01T06:00:00",
                "forces": {"personnel": -1, "horses": 4},
                "colour": "red",
            }
        )
    where = {p.location for p in raised.value.problems}
    assert where == {
        "/activity",
        "/activity_id",
        "/start",
        "/forces/personnel",
        "/forces/horses",
        "/colour",
    }


@pytest.mark.parametrize("data", [[], "notification", {"kind": "rumour"}, {}])
def test_what_is_no_filing_at_all_is_refused(data: object) -> None:
    with pytest.raises(InvalidInputError):
        _parse(data)


@pytest.mark.parametrize("kind", [["notification"], {"notification": 1}])
def test_a_kind_that_is_a_list_or_an_object_is_refused_at_kind(kind: object) -> None:
    with pytest.raises(InvalidInputError) as raised:
        _parse({"kind": kind, "activity_id": "EE-1"})
    assert [p.location for p in raised.value.problems] == ["/kind"]


def test_requests_replies_and_shares_read_as_their_facts() -> None:
    request = _parse({"kind": "request", "request": "inspection", "to": "LV", "about": "x"})
    reply = _parse({"kind": "reply", "request": "abc", "accepted": False, "reason": "quota-filled"})
    share = _parse({"kind": "share", "share": "weather", "data": {"t": 3}})
    assert request == Request("r1", "EE", AT, kind="inspection", to="LV", about="x")
    assert reply == Reply("r1", "EE", AT, request_id="abc", accepted=False, reason="quota-filled")
    assert share == Share("r1", "EE", AT, kind="weather")


def test_a_request_to_oneself_and_a_non_boolean_answer_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        _parse({"kind": "request", "request": "consultation", "to": "EE"})
    with pytest.raises(InvalidInputError):
        _parse({"kind": "reply", "request": "abc", "accepted": "yes"})


def test_every_kind_has_a_reader() -> None:
    for kind in FILING_KINDS:
        with pytest.raises(InvalidInputError) as raised:
            _parse({"kind": kind, "unexpected": True})
        assert "/unexpected" in {p.location for p in raised.value.problems}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", "0001-01-01T00:00:00+14:00"),
        ("start", "9999-12-31T23:59:59-14:00"),
        ("end", "9000-01-01T00:00:00+00:00"),
    ],
)
def test_a_time_beyond_what_the_node_can_hold_is_refused_at_its_field(
    field: str, value: str
) -> None:
    notification = {
        "kind": "notification",
        "activity_id": "EE-1",
        "activity": "exercise",
        "start": "2026-05-01T06:00:00+00:00",
        field: value,
    }
    with pytest.raises(InvalidInputError) as raised:
        _parse(notification)
    assert [(p.location, p.code) for p in raised.value.problems] == [
        (f"/{field}", "DATE_OUT_OF_RANGE")
    ]


def test_a_renewal_until_year_one_is_refused_at_until() -> None:
    with pytest.raises(InvalidInputError) as raised:
        _parse({"kind": "renewal", "agreement": "x", "until": "0001-01-01"})
    assert [(p.location, p.code) for p in raised.value.problems] == [
        ("/until", "DATE_OUT_OF_RANGE")
    ]
