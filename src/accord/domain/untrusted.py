"""Text from outside, checked where it comes in: JSON decoded within bounds, and the
characters no text field may hold.

Two characters can be written in JSON (``\\u0000``, an unpaired ``\\ud800``) and in a
form (``%00``) but not kept: PostgreSQL refuses NUL in text, SQLite keeps it and so signs
a record other nodes cannot store, and a lone surrogate has no UTF-8 form, so signing or
serving the record fails. Both are refused, naming the field, where bodies are decoded and
forms read, so no service ever sees them. Decoding also refuses nesting deeper than
``MAX_JSON_DEPTH`` (Python's parser would hit its recursion limit, later code its stack)
and the non-numbers ``NaN`` and ``Infinity``, which JSON does not have and canonical JSON
cannot sign.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from accord.errors import InvalidInputError, Problem

MAX_JSON_DEPTH = 64
MAX_REPORTED = 20  # problems named per body; a body full of NULs gets no megabyte answer
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """Why ``text`` cannot be kept (a NUL, a lone surrogate), or None when it can."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "holds a NUL character"
    return f"holds a lone surrogate (U+{ord(found.group()):04X})"


def text_problem(text: str, location: str) -> Problem | None:
    reason = forbidden_character(text)
    return None if reason is None else Problem(location, "FORBIDDEN_CHARACTER", reason)


def decode_json(data: bytes | str, what: str = "the body") -> Any:
    """The JSON value of ``data``; ``InvalidInputError`` when it is no JSON, nests too
    deep or holds text no field may hold (every such string named by its JSON pointer)."""
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError as exc:
        raise _too_deep(what, "") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            f"{what} is not JSON", [Problem("/", "MALFORMED_JSON", str(exc))]
        ) from exc
    check_value(value, what)
    return value


def check_value(value: object, what: str = "the body") -> None:
    """Refuse a decoded value (JSON, YAML) that nests too deep or holds forbidden text."""
    problems = value_problems(value)
    if problems:
        raise InvalidInputError(f"{what} holds what no field may hold", problems)


def value_problems(value: object) -> list[Problem]:
    """Up to ``MAX_REPORTED`` problems of ``value``, walked without recursion."""
    problems: list[Problem] = []
    pending: list[tuple[object, str, int]] = [(value, "", 0)]
    while pending and len(problems) < MAX_REPORTED:
        item, pointer, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            problems.append(_depth_problem(pointer))
            continue
        if isinstance(item, str):
            _add(problems, text_problem(item, pointer or "/"))
        elif isinstance(item, Mapping):
            pending += _members(item, pointer, depth, problems)
        elif isinstance(item, list | tuple):
            pending += [(v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(item)]
    return problems[:MAX_REPORTED]


def check_fields(fields: Mapping[str, str | Iterable[str]]) -> None:
    """Refuse a form or query whose field names or values hold forbidden text."""
    problems: list[Problem] = []
    for name, values in fields.items():
        _add(problems, text_problem(name, _printable(name)))
        for value in [values] if isinstance(values, str) else values:
            _add(problems, text_problem(value, _printable(name)))
    if problems:
        raise InvalidInputError("a field holds what no field may hold", problems[:MAX_REPORTED])


def _members(
    item: Mapping[Any, Any], pointer: str, depth: int, problems: list[Problem]
) -> list[tuple[object, str, int]]:
    out: list[tuple[object, str, int]] = []
    for key, member in item.items():
        where = f"{pointer}/{_escape(str(key))}"
        _add(problems, text_problem(str(key), where))
        out.append((member, where, depth + 1))
    return out


def _add(problems: list[Problem], problem: Problem | None) -> None:
    if problem is not None:
        problems.append(problem)


def _escape(key: str) -> str:
    """RFC 6901, and forbidden characters written as escapes so the answer can carry them."""
    return _printable(key.replace("~", "~0").replace("/", "~1"))


def _printable(name: str) -> str:
    return _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def _depth_problem(pointer: str) -> Problem:
    return Problem(pointer or "/", "TOO_DEEP", f"nests deeper than {MAX_JSON_DEPTH} levels")


def _too_deep(what: str, pointer: str) -> InvalidInputError:
    return InvalidInputError(f"{what} nests too deep", [_depth_problem(pointer)])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large for a number")
    return number
