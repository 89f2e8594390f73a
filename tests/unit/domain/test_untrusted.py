"""Text from outside: JSON decoded within bounds, and characters no field may hold."""

from __future__ import annotations

import pytest

from accord.domain.untrusted import (
    MAX_JSON_DEPTH,
    MAX_REPORTED,
    check_fields,
    check_value,
    decode_json,
)
from accord.errors import InvalidInputError


def _codes(error: pytest.ExceptionInfo[InvalidInputError]) -> list[tuple[str, str]]:
    return [(p.location, p.code) for p in error.value.problems]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 200_000])
@pytest.mark.parametrize("brackets", ["[]", '{"a":}'])
def test_json_nested_deeper_than_the_bound_is_refused_not_a_recursion_error(
    depth: int, brackets: str
) -> None:
    opening, closing = (brackets[0], brackets[1]) if brackets == "[]" else ('{"a":', "}")
    text = opening * depth + "1" + closing * depth
    with pytest.raises(InvalidInputError) as refused:
        decode_json(text)
    assert [code for _, code in _codes(refused)] == ["TOO_DEEP"]


def test_json_at_the_bound_is_read() -> None:
    text = "[" * MAX_JSON_DEPTH + "1" + "]" * MAX_JSON_DEPTH
    assert decode_json(text.encode()) is not None


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ('{"name": "a\\u0000b"}', "/name"),
        ('{"list": ["ok", "\\ud800"]}', "/list/1"),
        ('{"a": {"b\\udfff": 1}}', "/a/b\\udfff"),
        ('"\\u0000"', "/"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_at_their_json_pointer(
    text: str, location: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        decode_json(text)
    assert _codes(refused) == [(location, "FORBIDDEN_CHARACTER")]


def test_raw_utf8_bytes_of_a_surrogate_are_refused_too() -> None:
    with pytest.raises(InvalidInputError) as refused:
        decode_json(b'{"name": "\xed\xa0\x80"}')
    assert _codes(refused) == [("/name", "FORBIDDEN_CHARACTER")]


def test_a_surrogate_pair_is_one_character_and_is_kept() -> None:
    assert decode_json('{"name": "\\ud83d\\ude00"}') == {"name": "\U0001f600"}


@pytest.mark.parametrize("text", ["[NaN]", '{"a": Infinity}', "-Infinity", "[1e400]", "{"])
def test_what_json_has_no_number_for_or_no_syntax_for_is_malformed(text: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        decode_json(text)
    assert _codes(refused) == [("/", "MALFORMED_JSON")]


def test_a_body_full_of_nuls_is_answered_with_a_bounded_list() -> None:
    with pytest.raises(InvalidInputError) as refused:
        check_value(["\x00"] * 10_000)
    assert len(refused.value.problems) == MAX_REPORTED


def test_a_form_field_with_a_nul_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as refused:
        check_fields({"name": ["ok"], "headline": ["a\x00b"]})
    assert _codes(refused) == [("headline", "FORBIDDEN_CHARACTER")]
    check_fields({"name": "fine", "tags": ["a", "b"]})
