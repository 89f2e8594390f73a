"""Agreements and their obligations: the model, its file form, and the shipped agreements.

The file form (YAML or JSON; docs in the shipped files)::

    name: vienna-document-2011        # slug, the agreement's id
    title: ...
    version: 1                        # >= 1
    parties: all                      # or a list of participant codes
    mandate: ...
    tier: 1                           # obligations of tiers <= this apply
    starts: 2011-12-01
    sunset: null                      # or a date: it lapses then unless renewed
    review: {every_months: 12, first: 2012-03-01}      # or null
    emergency: {tiers: [2], max_days: 30, description: ...}   # or null
    advance: {period: quarter, consecutive: 2}          # or null
    obligations:
      - {id: ..., tier: 1, rule: prior-notification, description: ..., source: ...,
         params: {lead_days: {value: 42, source: "VD11 V (38)", verified: false}, ...}}

Numbers that carry meaning (lead times, thresholds, quotas, the review interval, the
emergency cap, the number of periods before advancing) are figures: see ``schema``. The
shipped files write every one as {value, source, verified}: verified is true only where
the figure was checked against the text cited; the regional ladder's own choices cite the
ladder itself ("Accord regional ladder (illustrative)") and are true by construction, so
"which figures still need checking" is answered by ``verified: false`` alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from importlib import resources

import yaml

from accord.domain.agreements.periods import PERIOD_KINDS, add_months
from accord.domain.agreements.rules import RULE_TYPES, known_rule_types
from accord.domain.agreements.schema import (
    Choice,
    Code,
    Day,
    Field,
    Figure,
    Integer,
    ListOf,
    Number,
    Params,
    Slug,
    Text,
    as_object,
    check_keys,
    pointer,
    read,
)
from accord.errors import InvalidInputError, Problem

SHIPPED = ("vienna-document-2011.yaml", "regional-ladder.yaml")

_TIER = Integer(1, 99)


@dataclass(frozen=True, slots=True)
class Review:
    every_months: Figure
    first: date

    def dates(self, until: date) -> Iterator[date]:
        """Every review from the first up to ``until``."""
        step, day = self.every_months.number, self.first
        count = 0
        while day <= until:
            yield day
            count += 1
            day = add_months(self.first, step * count)


@dataclass(frozen=True, slots=True)
class Emergency:
    """Any party may bring forward the obligations of ``tiers`` for at most ``max_days``."""

    tiers: tuple[int, ...]
    max_days: Figure
    description: str


@dataclass(frozen=True, slots=True)
class Advance:
    """Graduated reciprocation: ``consecutive`` complete periods in which every party met
    everything the current tier asks recommend the next tier."""

    period: str  # month, quarter or year
    consecutive: Figure


@dataclass(frozen=True, slots=True)
class Obligation:
    id: str
    tier: int
    rule: str  # a registered rule type
    description: str
    source: str
    params: Params


@dataclass(frozen=True, slots=True)
class Agreement:
    name: str
    title: str
    version: int
    parties: tuple[str, ...] | None  # None: every participant the node knows
    mandate: str
    tier: int
    starts: date
    sunset: date | None
    review: Review | None
    emergency: Emergency | None
    advance: Advance | None
    obligations: tuple[Obligation, ...]

    @property
    def top_tier(self) -> int:
        return max(o.tier for o in self.obligations)


# The file's keys are the model's field names, in the order they are written back.
_AGREEMENT_KEYS = tuple(f.name for f in fields(Agreement))
_OBLIGATION_KEYS = tuple(f.name for f in fields(Obligation))
_EVERY_MONTHS = Number(1, 120)
_MAX_DAYS = Number(1, 366)
_CONSECUTIVE = Number(1, 24)


class _Parties(Field[tuple[str, ...]]):
    """ "all" (read as the empty tuple) or a list of participant codes."""

    expected = '"all", or a non-empty list of distinct participant codes'

    def parse(self, raw: object, at: str, problems: list[Problem]) -> tuple[str, ...] | None:
        if raw == "all":
            return ()
        if not isinstance(raw, list):
            self._wrong(at, problems, "INVALID_TYPE")
            return None
        return ListOf(Code()).parse(raw, at, problems)

    def dump(self, value: tuple[str, ...]) -> object:
        return list(value) if value else "all"


def parse_agreement(data: object) -> Agreement:
    """An agreement from its file form; InvalidInputError lists every problem, each at a
    JSON pointer such as ``/obligations/2/params/lead_days``."""
    problems: list[Problem] = []
    doc = as_object(data, "", problems)
    agreement = _agreement(doc, problems) if doc is not None else None
    if problems or agreement is None:
        name = doc.get("name") if doc is not None else None
        named = f"agreement {name}" if isinstance(name, str) else "agreement"
        raise InvalidInputError(f"the {named} is not valid", problems)
    return agreement


def _agreement(doc: Mapping[str, object], problems: list[Problem]) -> Agreement | None:
    check_keys(doc, _AGREEMENT_KEYS, "", problems)
    name = read(Slug(), doc, "name", "", problems)
    title = read(Text(), doc, "title", "", problems)
    version = read(Integer(1), doc, "version", "", problems)
    parties = read(_Parties(), doc, "parties", "", problems)
    mandate = read(Text(), doc, "mandate", "", problems)
    tier = read(_TIER, doc, "tier", "", problems)
    starts = read(Day(), doc, "starts", "", problems)
    sunset = read(Day(required=False), doc, "sunset", "", problems)
    review, emergency = _review(doc, problems), _emergency(doc, problems)
    advance = _advance(doc, problems)
    obligations = _obligations(doc, problems)
    _check_dates(starts, sunset, problems)
    _check_tiers(tier, emergency, obligations, problems)
    if (
        name is None
        or title is None
        or version is None
        or parties is None
        or mandate is None
        or tier is None
        or starts is None
        or problems
    ):
        return None
    held = tuple(o for o in obligations if o is not None)
    return Agreement(
        name,
        title,
        version,
        parties or None,
        mandate,
        tier,
        starts,
        sunset,
        review,
        emergency,
        advance,
        held,
    )


def _section(
    doc: Mapping[str, object], key: str, known: Iterable[str], problems: list[Problem]
) -> Mapping[str, object] | None:
    """An optional object of the agreement: None when null or not an object."""
    if doc.get(key) is None:
        return None
    data = as_object(doc[key], pointer("", key), problems)
    if data is not None:
        check_keys(data, known, pointer("", key), problems)
    return data


def _review(doc: Mapping[str, object], problems: list[Problem]) -> Review | None:
    data = _section(doc, "review", ("every_months", "first"), problems)
    if data is None:
        return None
    every = read(_EVERY_MONTHS, data, "every_months", "/review", problems)
    first = read(Day(), data, "first", "/review", problems)
    return Review(every, first) if every is not None and first is not None else None


def _emergency(doc: Mapping[str, object], problems: list[Problem]) -> Emergency | None:
    data = _section(doc, "emergency", ("tiers", "max_days", "description"), problems)
    if data is None:
        return None
    tiers = read(ListOf(_TIER), data, "tiers", "/emergency", problems)
    days = read(_MAX_DAYS, data, "max_days", "/emergency", problems)
    text = read(Text(), data, "description", "/emergency", problems)
    if tiers is None or days is None or text is None:
        return None
    return Emergency(tiers, days, text)


def _advance(doc: Mapping[str, object], problems: list[Problem]) -> Advance | None:
    data = _section(doc, "advance", ("period", "consecutive"), problems)
    if data is None:
        return None
    period = read(Choice(PERIOD_KINDS), data, "period", "/advance", problems)
    consecutive = read(_CONSECUTIVE, data, "consecutive", "/advance", problems)
    return Advance(period, consecutive) if period is not None and consecutive is not None else None


def _obligations(doc: Mapping[str, object], problems: list[Problem]) -> list[Obligation | None]:
    """Each obligation, or None where it has problems (all of them reported)."""
    raw = doc.get("obligations")
    if not isinstance(raw, list) or not raw:
        expected = "a non-empty list of obligations"
        problems.append(
            Problem("/obligations", "MISSING_FIELD" if raw is None else "INVALID_TYPE", expected)
        )
        return []
    found = [_obligation(item, pointer("/obligations", i), problems) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, item in enumerate(raw):
        key = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(key, str) and key in seen:
            where = pointer("/obligations", i, "id")
            problems.append(Problem(where, "DUPLICATE_ID", f"another obligation is {key!r}"))
        seen.add(str(key))
    return found


def _obligation(raw: object, at: str, problems: list[Problem]) -> Obligation | None:
    data = as_object(raw, at, problems)
    if data is None:
        return None
    check_keys(data, _OBLIGATION_KEYS, at, problems)
    before = len(problems)
    key = read(Slug(), data, "id", at, problems)
    tier = read(_TIER, data, "tier", at, problems)
    rule = read(_RuleName(), data, "rule", at, problems)
    description = read(Text(), data, "description", at, problems)
    source = read(Text(), data, "source", at, problems)
    raw_params = data.get("params", {})
    if rule is None:
        as_object(raw_params, pointer(at, "params"), problems)
        return None
    params = RULE_TYPES[rule].parse_params(raw_params, pointer(at, "params"), problems)
    if (
        key is None
        or tier is None
        or description is None
        or source is None
        or len(problems) > before
    ):
        return None
    return Obligation(key, tier, rule, description, source, params)


class _RuleName(Field[str]):
    expected = "a rule type"

    def parse(self, raw: object, at: str, problems: list[Problem]) -> str | None:
        if isinstance(raw, str) and raw in RULE_TYPES:
            return raw
        known = ", ".join(known_rule_types())
        problems.append(Problem(at, "UNKNOWN_RULE", f"unknown rule type {raw!r}; known: {known}"))
        return None


def _check_dates(starts: date | None, sunset: date | None, problems: list[Problem]) -> None:
    if starts is not None and sunset is not None and sunset <= starts:
        problems.append(Problem("/sunset", "INVALID_DATE", "the sunset must come after the start"))


def _check_tiers(
    tier: int | None,
    emergency: Emergency | None,
    obligations: list[Obligation | None],
    problems: list[Problem],
) -> None:
    """The tier must be one the obligations reach; an emergency tier must hold some."""
    tiers = {o.tier for o in obligations if o is not None}
    if tier is not None and tiers and tier > max(tiers):
        message = f"no obligation has tier {tier} or above; the highest is {max(tiers)}"
        problems.append(Problem("/tier", "UNKNOWN_TIER", message))
    for i, each in enumerate(emergency.tiers if emergency is not None else ()):
        if tiers and each not in tiers:
            message = f"no obligation has tier {each}"
            problems.append(Problem(pointer("/emergency/tiers", i), "UNKNOWN_TIER", message))


def agreement_to_json(agreement: Agreement) -> dict[str, object]:
    """The file form; ``parse_agreement`` reads it back equal."""
    return {
        "name": agreement.name,
        "title": agreement.title,
        "version": agreement.version,
        "parties": _Parties().dump(agreement.parties or ()),
        "mandate": agreement.mandate,
        "tier": agreement.tier,
        "starts": agreement.starts.isoformat(),
        "sunset": agreement.sunset.isoformat() if agreement.sunset else None,
        "review": _review_json(agreement.review),
        "emergency": _emergency_json(agreement.emergency),
        "advance": _advance_json(agreement.advance),
        "obligations": [_obligation_json(o) for o in agreement.obligations],
    }


def _review_json(review: Review | None) -> dict[str, object] | None:
    if review is None:
        return None
    return {
        "every_months": _EVERY_MONTHS.dump(review.every_months),
        "first": review.first.isoformat(),
    }


def _emergency_json(emergency: Emergency | None) -> dict[str, object] | None:
    if emergency is None:
        return None
    return {
        "tiers": list(emergency.tiers),
        "max_days": _MAX_DAYS.dump(emergency.max_days),
        "description": emergency.description,
    }


def _advance_json(advance: Advance | None) -> dict[str, object] | None:
    if advance is None:
        return None
    return {"period": advance.period, "consecutive": _CONSECUTIVE.dump(advance.consecutive)}


def _obligation_json(obligation: Obligation) -> dict[str, object]:
    return {
        "id": obligation.id,
        "tier": obligation.tier,
        "rule": obligation.rule,
        "description": obligation.description,
        "source": obligation.source,
        "params": RULE_TYPES[obligation.rule].dump_params(obligation.params),
    }


def builtin_agreements() -> list[Agreement]:
    """The agreements shipped with Accord (``shipped/*.yaml``), parsed."""
    return list(_shipped())


@cache
def _shipped() -> tuple[Agreement, ...]:
    folder = resources.files("accord.domain.agreements").joinpath("shipped")
    return tuple(_load(folder.joinpath(name).read_text(encoding="utf-8"), name) for name in SHIPPED)


def _load(text: str, name: str) -> Agreement:
    try:
        return parse_agreement(yaml.safe_load(text))
    except InvalidInputError as exc:
        raise InvalidInputError(f"shipped/{name}: {exc}", exc.problems) from exc
