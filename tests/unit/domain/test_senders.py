"""Sender registrations: who owns a CAP sender, and when an author may issue under it."""

from __future__ import annotations

import pytest

from accord.domain.senders import owner_of, sender_problem, validate_sender
from accord.errors import InvalidInputError

REGISTERED = {"rescue.ee": "EE", "ops@lv.example": "LV", "north.rescue.ee": "SEC"}


@pytest.mark.parametrize(
    ("sender", "owner"),
    [
        ("info@rescue.ee", "EE"),
        ("RESCUE.EE", "EE"),
        ("a@south.rescue.ee", "EE"),
        ("a@north.rescue.ee", "SEC"),  # the closest enclosing domain wins
        ("ops@lv.example", "LV"),
        ("other@lv.example", None),  # an address covers only itself
        ("info@notrescue.ee", None),  # a domain is matched by whole labels
        ("ee", None),
    ],
)
def test_a_sender_belongs_to_the_closest_registration(sender: str, owner: str | None) -> None:
    assert owner_of(sender, REGISTERED) == owner


def test_another_participants_sender_is_refused_and_ones_own_is_not() -> None:
    assert sender_problem("info@rescue.ee", "EE", REGISTERED, require_registered=True) is None
    why = sender_problem("info@rescue.ee", "LT", REGISTERED, require_registered=False)
    assert why is not None
    assert "EE" in why


def test_an_unregistered_sender_is_refused_only_when_registration_is_required() -> None:
    assert sender_problem("x@free.example", "LT", REGISTERED, require_registered=False) is None
    assert sender_problem("x@free.example", "LT", REGISTERED, require_registered=True)


@pytest.mark.parametrize("bad", ["", " ", "two words", "a,b", "a&b", "@ema.ee", "x" * 300])
def test_malformed_registrations_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_sender(bad)


def test_registrations_are_stored_in_lower_case() -> None:
    assert validate_sender(" Ops@EMA.ee ") == "ops@ema.ee"
