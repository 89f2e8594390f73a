"""The read policy against the independent oracle, over every combination that matters."""

from __future__ import annotations

import itertools

import pytest

from accord.domain.identity import Role
from accord.domain.sharing import Reader, Scope, Tlp, may_read, scope_for_alert
from accord.errors import InvalidInputError
from tests.policy_oracle import oracle_may_read

PARTICIPANTS = (None, "EE", "LV", "LT")
AUDIENCES = (frozenset(), frozenset({"LV"}), frozenset({"LV", "LT"}), frozenset({"EE"}))


def test_may_read_agrees_with_the_oracle_on_every_combination() -> None:
    checked = 0
    for role, participant, tlp, audience in itertools.product(Role, PARTICIPANTS, Tlp, AUDIENCES):
        reader = Reader(role, participant)
        expected = oracle_may_read(role.value, participant, tlp.value, audience, "EE")
        assert may_read(reader, Scope(tlp, audience), "EE") is expected, (reader, tlp, audience)
        checked += 1
    assert checked == len(Role) * len(PARTICIPANTS) * len(Tlp) * len(AUDIENCES)


def test_anonymous_readers_and_reporters_see_only_clear() -> None:
    for role in (Role.PUBLIC, Role.REPORTER):
        visible = {tlp for tlp in Tlp if may_read(Reader(role, "EE"), Scope(tlp), "EE")}
        assert visible == {Tlp.CLEAR}


def test_red_reaches_only_named_focal_points_and_the_authors_staff() -> None:
    scope = Scope(Tlp.RED, frozenset({"LV"}))
    assert may_read(Reader(Role.FOCAL_POINT, "LV"), scope, "EE")
    assert not may_read(Reader(Role.ANALYST, "LV"), scope, "EE")
    assert not may_read(Reader(Role.FOCAL_POINT, "LT"), scope, "EE")
    assert may_read(Reader(Role.ANALYST, "EE"), scope, "EE")
    assert not may_read(Reader(Role.OBSERVER, "EE"), scope, "EE")


@pytest.mark.parametrize(
    ("cap_scope", "tlp", "expected"),
    [
        ("Public", None, Tlp.CLEAR),
        ("Restricted", None, Tlp.AMBER),
        ("Private", None, Tlp.RED),
        ("Public", "amber+strict", Tlp.AMBER_STRICT),
        ("Restricted", "GREEN", Tlp.GREEN),
    ],
)
def test_an_alert_scope_defaults_from_its_cap_scope(
    cap_scope: str, tlp: str | None, expected: Tlp
) -> None:
    assert scope_for_alert(cap_scope, tlp, None, set()).tlp is expected


def test_a_scope_error_names_every_problem() -> None:
    with pytest.raises(InvalidInputError) as caught:
        scope_for_alert("Private", "CLEAR", ["ZZ", "EE"], {"EE"})
    assert [p.code for p in caught.value.problems] == [
        "TLP_LOOSER_THAN_CAP_SCOPE",
        "UNKNOWN_PARTICIPANT",
    ]
