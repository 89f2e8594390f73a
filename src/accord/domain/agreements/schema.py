"""How agreement files are written: figures that carry their source, the field kinds that
agreements and rule parameters are declared in, and parsing that reports every problem.

Every problem is located by a JSON pointer (RFC 6901) into the agreement document, such as
``/obligations/2/params/lead_days``, so an editor of a YAML file can go straight to the line.

A *figure* is a number, or a day of the year written "MM-DD", that an obligation depends
on. It is written plainly (``42``) or as an object that says where it comes from::

    {value: 42, source: "VD11 V (38)", verified: false}

Treaty figures are recalled as often as they are read, and a wrong threshold silently
changes who is in breach, so the parsed figure keeps ``source`` and ``verified`` and
``show --json`` can print them back beside the value.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from accord.errors import Problem

T = TypeVar("T")

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
_FIGURE_KEYS = ("value", "source", "verified")


@dataclass(frozen=True, slots=True)
class Figure:
    """A value an obligation depends on, with the text it was taken from.

    ``verified`` is true when the figure was checked against the text ``source`` names.
    An agreement's own choices (the regional ladder's) name the agreement as their source:
    there is no other text to check them against, so they are verified by construction.
    A figure written plainly has no source and is not verified."""

    value: int | str
    source: str | None = None
    verified: bool = False

    @property
    def number(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError(f"the figure {self.value!r} is not a whole number")
        return self.value


def pointer(base: str, *parts: str | int) -> str:
    """``base`` extended by one JSON-pointer step per part, escaped as RFC 6901 says."""
    for part in parts:
        base += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return base


class Field(ABC, Generic[T]):
    """One field of an agreement or of a rule's parameters: how to read and write it.

    ``parse`` returns None after adding a problem; since nothing is built from a document
    that has problems, callers need not tell an error from an absent optional value."""

    expected = "a value"

    def __init__(self, *, required: bool = True) -> None:
        self.required = required

    @abstractmethod
    def parse(self, raw: object, at: str, problems: list[Problem]) -> T | None: ...

    def dump(self, value: T) -> object:
        return value

    def _wrong(self, at: str, problems: list[Problem], code: str = "INVALID_VALUE") -> None:
        problems.append(Problem(at, code, f"expected {self.expected}"))


def read(
    field: Field[T], data: Mapping[str, object], key: str, at: str, problems: list[Problem]
) -> T | None:
    """``data[key]`` parsed by ``field``; absent or null is a problem only when required."""
    where = pointer(at, key)
    raw = data.get(key)
    if raw is None:
        if field.required:
            problems.append(Problem(where, "MISSING_FIELD", f"{key} is required: {field.expected}"))
        return None
    return field.parse(raw, where, problems)


def as_object(raw: object, at: str, problems: list[Problem]) -> Mapping[str, object] | None:
    if isinstance(raw, Mapping) and all(isinstance(key, str) for key in raw):
        return raw
    problems.append(Problem(at, "INVALID_TYPE", "expected an object with text keys"))
    return None


def check_keys(
    data: Mapping[str, object], known: Iterable[str], at: str, problems: list[Problem]
) -> None:
    """A problem for every key that is not ``known``: a misspelt key must not pass silently
    as an absent optional one."""
    allowed = tuple(known)
    problems += [
        Problem(
            pointer(at, key), "UNKNOWN_FIELD", f"unknown field {key!r}; known: {', '.join(allowed)}"
        )
        for key in data
        if key not in allowed
    ]


class Integer(Field[int]):
    """A whole number written plainly: versions and tiers, which are not figures."""

    def __init__(self, minimum: int = 1, maximum: int | None = None, *, required: bool = True):
        super().__init__(required=required)
        self.minimum, self.maximum = minimum, maximum
        upper = f" to {maximum}" if maximum is not None else " or more"
        self.expected = f"a whole number from {minimum}{upper}"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int):
            self._wrong(at, problems, "INVALID_TYPE")
            return None
        if raw < self.minimum or (self.maximum is not None and raw > self.maximum):
            self._wrong(at, problems, "OUT_OF_RANGE")
            return None
        return raw


class _FigureField(Field[Figure]):
    """A figure: its value written plainly or as {value, source, verified}."""

    @abstractmethod
    def value(self, raw: object, at: str, problems: list[Problem]) -> int | str | None: ...

    def parse(self, raw: object, at: str, problems: list[Problem]) -> Figure | None:
        if not isinstance(raw, Mapping):
            value = self.value(raw, at, problems)
            return None if value is None else Figure(value)
        check_keys(raw, _FIGURE_KEYS, at, problems)
        value = self._figure_value(raw, at, problems)
        source = read(Text(), raw, "source", at, problems)
        verified = raw.get("verified", False)
        if not isinstance(verified, bool):
            problems.append(Problem(pointer(at, "verified"), "INVALID_TYPE", "true or false"))
        if value is None or source is None or not isinstance(verified, bool):
            return None
        return Figure(value, source, verified)

    def _figure_value(
        self, raw: Mapping[object, object], at: str, problems: list[Problem]
    ) -> int | str | None:
        if raw.get("value") is None:
            problems.append(
                Problem(
                    pointer(at, "value"), "MISSING_FIELD", f"value is required: {self.expected}"
                )
            )
            return None
        return self.value(raw["value"], pointer(at, "value"), problems)

    def dump(self, value: Figure) -> object:
        if value.source is None and not value.verified:
            return value.value
        return {"value": value.value, "source": value.source, "verified": value.verified}


class Number(_FigureField):
    """A figure that is a whole number within bounds."""

    def __init__(self, minimum: int = 0, maximum: int | None = None, *, required: bool = True):
        super().__init__(required=required)
        self._integer = Integer(minimum, maximum)
        self.expected = self._integer.expected + ", plainly or as {value, source, verified}"

    def value(self, raw: object, at: str, problems: list[Problem]) -> int | None:
        return self._integer.parse(raw, at, problems)


class MonthDay(_FigureField):
    """A figure that is a day of every year, "MM-DD" (29 February is refused: it is not a
    day of every year)."""

    expected = 'a day of the year "MM-DD", plainly or as {value, source, verified}'

    def value(self, raw: object, at: str, problems: list[Problem]) -> str | None:
        match = _MONTH_DAY.fullmatch(raw) if isinstance(raw, str) else None
        if match is None or not _is_day(2001, int(match[1]), int(match[2])):
            self._wrong(at, problems)
            return None
        return str(raw)


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def month_day(figure: Figure, year: int) -> date:
    """The day a "MM-DD" figure names in ``year``."""
    month, day = str(figure.value).split("-")
    return date(year, int(month), int(day))


class Text(Field[str]):
    expected = "non-empty text"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> str | None:
        if not isinstance(raw, str) or not raw.strip():
            self._wrong(at, problems, "INVALID_TYPE")
            return None
        return raw


class Slug(Field[str]):
    expected = "a slug: lower-case letters and digits joined by single hyphens"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> str | None:
        if not isinstance(raw, str) or not _SLUG.fullmatch(raw):
            self._wrong(at, problems, "INVALID_SLUG")
            return None
        return raw


class Code(Field[str]):
    expected = "a participant code (letters, digits, '.', '_' or '-', at most 32)"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> str | None:
        if not isinstance(raw, str) or not _CODE.fullmatch(raw):
            self._wrong(at, problems, "INVALID_CODE")
            return None
        return raw


class Choice(Field[str]):
    def __init__(self, options: Iterable[str], *, required: bool = True) -> None:
        super().__init__(required=required)
        self.options = tuple(options)
        self.expected = "one of " + ", ".join(self.options)

    def parse(self, raw: object, at: str, problems: list[Problem]) -> str | None:
        if raw not in self.options:
            self._wrong(at, problems, "UNKNOWN_VALUE")
            return None
        return str(raw)


class Day(Field[date]):
    expected = 'a date "YYYY-MM-DD"'

    def parse(self, raw: object, at: str, problems: list[Problem]) -> date | None:
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        self._wrong(at, problems, "INVALID_DATE")
        return None

    def dump(self, value: date) -> object:
        return value.isoformat()


class ListOf(Field[tuple[T, ...]]):
    """A non-empty list of distinct items, each read by ``item``."""

    def __init__(self, item: Field[T], *, required: bool = True) -> None:
        super().__init__(required=required)
        self.item = item
        self.expected = f"a non-empty list of distinct items, each {item.expected}"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> tuple[T, ...] | None:
        if not isinstance(raw, list) or not raw:
            self._wrong(at, problems, "INVALID_TYPE")
            return None
        before = len(problems)
        items = [self.item.parse(each, pointer(at, i), problems) for i, each in enumerate(raw)]
        seen: set[object] = set()
        for i, each in enumerate(items):
            if each is not None and each in seen:
                problems.append(Problem(pointer(at, i), "DUPLICATE_VALUE", f"{each!r} is repeated"))
            seen.add(each)
        return None if len(problems) > before else tuple(i for i in items if i is not None)

    def dump(self, value: tuple[T, ...]) -> object:
        return [self.item.dump(each) for each in value]


class NumberMap(Field[Mapping[str, Figure]]):
    """An object from names (one of ``keys``) to number figures, with at least one entry
    when required (thresholds) and possibly none when not (exemptions)."""

    def __init__(self, keys: Iterable[str], number: Number, *, required: bool = True) -> None:
        super().__init__(required=required)
        self.keys, self.number = tuple(keys), number
        self.expected = f"an object from {', '.join(self.keys)} to {number.expected}"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> Mapping[str, Figure] | None:
        data = as_object(raw, at, problems)
        if data is None:
            return None
        if not data and self.required:
            self._wrong(at, problems, "MISSING_FIELD")
            return None
        check_keys(data, self.keys, at, problems)
        values = {
            key: self.number.parse(data[key], pointer(at, key), problems)
            for key in self.keys
            if key in data
        }
        clean = {key: value for key, value in values.items() if value is not None}
        return MappingProxyType(clean) if len(clean) == len(values) else None

    def dump(self, value: Mapping[str, Figure]) -> object:
        return {key: self.number.dump(figure) for key, figure in value.items()}


ParamValue = Figure | str | tuple[str, ...] | Mapping[str, Figure]


@dataclass(frozen=True, slots=True)
class Params:
    """A rule's parameters, parsed: values by name, read back through typed getters (a
    wrong getter is a bug in the rule type, hence TypeError)."""

    values: Mapping[str, ParamValue] = field(default_factory=lambda: MappingProxyType({}))

    def has(self, name: str) -> bool:
        return name in self.values

    def figure(self, name: str) -> Figure:
        return _typed(self.values[name], Figure, name)

    def number(self, name: str) -> int:
        return self.figure(name).number

    def text(self, name: str) -> str:
        return _typed(self.values[name], str, name)

    def texts(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        return _typed(self.values.get(name, default), tuple, name)

    def figures(self, name: str) -> Mapping[str, Figure]:
        value = self.values.get(name, MappingProxyType({}))
        if not isinstance(value, Mapping):
            raise TypeError(f"parameter {name} is not a mapping")
        return value


def _typed(value: object, kind: type[T], name: str) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"parameter {name} is not a {kind.__name__}")
    return value


def declare(**kinds: Field[Any]) -> Mapping[str, Field[Any]]:
    """A rule type's parameter fields, by name, in the order they are written back."""
    return MappingProxyType(kinds)


def parse_fields(
    fields: Mapping[str, Field[Any]], raw: object, at: str, problems: list[Problem]
) -> Params:
    """``raw`` read field by field; unknown keys are problems, absent optional ones left out."""
    data = as_object(raw, at, problems)
    if data is None:
        return Params()
    check_keys(data, fields, at, problems)
    values = {name: read(kind, data, name, at, problems) for name, kind in fields.items()}
    return Params(MappingProxyType({k: v for k, v in values.items() if v is not None}))


def dump_fields(fields: Mapping[str, Field[Any]], params: Params) -> dict[str, object]:
    return {
        name: kind.dump(params.values[name]) for name, kind in fields.items() if params.has(name)
    }
