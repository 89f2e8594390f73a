"""The problem cap: at most ``MAX_PROBLEMS`` listed, and one entry telling how many more."""

from __future__ import annotations

from accord.domain.alerts.limits import (
    LEFT_OUT_CODE,
    MAX_PROBLEMS,
    ProblemsLeftOut,
    bounded,
    left_out,
    shortened,
)
from accord.errors import Problem


def _problems(count: int, severity: str = "error") -> list[Problem]:
    return [Problem(f"/alert/code[{n}]", "X", "bad", severity) for n in range(count)]  # type: ignore[arg-type]


def test_a_list_within_the_cap_is_left_as_it_is() -> None:
    problems = _problems(MAX_PROBLEMS)
    assert bounded(problems) == problems


def test_a_list_over_the_cap_is_cut_and_says_how_many_more_there_were() -> None:
    cut = bounded(_problems(MAX_PROBLEMS + 250))
    assert len(cut) == MAX_PROBLEMS + 1
    closing = cut[-1]
    assert isinstance(closing, ProblemsLeftOut)
    assert (closing.code, closing.count, closing.severity) == (LEFT_OUT_CODE, 250, "error")
    assert "250 more problems were left out" in closing.message


def test_counts_of_lists_cut_before_are_added_to_the_closing_entry() -> None:
    once = bounded(_problems(MAX_PROBLEMS + 5))
    twice = bounded([*_problems(3), *once])
    assert twice[-1].count == 5 + 3  # type: ignore[attr-defined]
    assert len(twice) == MAX_PROBLEMS + 1


def test_warnings_left_out_close_with_a_warning() -> None:
    assert bounded(_problems(MAX_PROBLEMS + 1, "warning"))[-1].severity == "warning"
    assert left_out(1).message.startswith("1 more problem was left out")


def test_shortened_text_ends_in_an_ellipsis_only_when_cut() -> None:
    assert shortened("abc", 3) == "abc"
    assert shortened("abcd", 3) == "ab…"
