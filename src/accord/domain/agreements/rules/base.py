"""The rule-type contract and registry: an obligation's ``rule`` names a registered class.

A new rule type is one class, registered by name; the engine and the parser find it in
``RULE_TYPES`` and never change::

    @rule_type("quarterly-report")
    class QuarterlyReport(Rule):
        fields = declare(kind=Text())   # its params, validated with JSON-pointer problems
        consumes = (Exchange,)          # the fact types it reads

        def affected(self, fact): ...   # (participant, subject) of the duties it touches
        def duties(self, now, participant=None): ...  # every duty it knows of
        def duty(self, participant, subject, now): ...  # one duty, to flag a new fact

The engine files each fact in the shared index (``scope.index``) before it calls the rule,
so most rules keep no state: they read the index when asked. A rule that needs its own
(periodic sharing counts shares per period of its own length) keeps it in ``record``.
Rules decide what a participant owes; the engine decides whether the agreement, the
participant and the tier applied at the duty's ``arose_at``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from accord.domain.agreements.duties import Duty
from accord.domain.agreements.facts import Fact
from accord.domain.agreements.schema import Field, Params, dump_fields, parse_fields
from accord.domain.agreements.scope import Scope
from accord.errors import Problem

R = TypeVar("R", bound="type[Rule]")

RULE_TYPES: dict[str, type[Rule]] = {}

Affected = Iterable[tuple[str, str]]  # (participant, subject)


def rule_type(name: str) -> Callable[[R], R]:
    """Register the decorated class as the rule type ``name``."""

    def register(cls: R) -> R:
        if name in RULE_TYPES and RULE_TYPES[name] is not cls:
            raise ValueError(f"rule type {name!r} is already registered")
        cls.name = name
        RULE_TYPES[name] = cls
        return cls

    return register


def known_rule_types() -> tuple[str, ...]:
    return tuple(sorted(RULE_TYPES))


class Rule(ABC):
    """One obligation's rule, bound to its params and its agreement's scope."""

    name: ClassVar[str] = ""
    fields: ClassVar[Mapping[str, Field[Any]]] = MappingProxyType({})
    consumes: ClassVar[tuple[type[Fact], ...]] = ()

    def __init__(self, params: Params, scope: Scope) -> None:
        self.params = params
        self.scope = scope

    @classmethod
    def parse_params(cls, raw: object, at: str, problems: list[Problem]) -> Params:
        params = parse_fields(cls.fields, raw, at, problems)
        cls.check_params(params, at, problems)
        return params

    @classmethod  # noqa: B027 - a hook: most rule types need no cross-field check
    def check_params(cls, params: Params, at: str, problems: list[Problem]) -> None:
        """Checks across fields, after each field was read; none by default."""

    @classmethod
    def dump_params(cls, params: Params) -> dict[str, object]:
        return dump_fields(cls.fields, params)

    def routes(self) -> Iterable[tuple[type[Fact], str | None]]:
        """(fact type, kind) pairs to be given; kind None: every kind. Narrowing by kind
        spares the rule every fact of the kinds it does not judge."""
        return ((fact_type, None) for fact_type in self.consumes)

    def record(self, fact: Fact) -> None:  # noqa: B027 - a hook; most rules keep no state
        """Keep what the shared index does not; called once per fact, before ``affected``."""

    @abstractmethod
    def affected(self, fact: Fact) -> Affected:
        """The duties ``fact`` may change (it is in the index already). It must be pure: the
        engine asks again, for the same fact, when it flags a submission."""

    @abstractmethod
    def duties(self, now: datetime, participant: str | None = None) -> Iterable[Duty]:
        """Every duty known at ``now``, periodic ones enumerated from the agreement's start;
        only ``participant``'s where one is given (others may be returned: the engine
        filters too)."""

    @abstractmethod
    def duty(self, participant: str, subject: str, now: datetime) -> Duty | None:
        """The one duty named, or None when there is none (any more)."""


def subject_id(subject: str, prefix: str) -> str | None:
    """The record or activity id in a subject such as "request/<id>"."""
    return subject[len(prefix) :] if subject.startswith(prefix) else None
