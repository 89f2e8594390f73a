"""Rule types, one class each, registered by name in ``RULE_TYPES`` (see ``base``).

Importing this package registers the built-in ones; a rule type written elsewhere is
registered when its module is imported, before agreements naming it are parsed.
"""

from accord.domain.agreements.rules import alerts, joint, limits, notification, periodic, requests
from accord.domain.agreements.rules.base import (
    RULE_TYPES,
    Affected,
    Rule,
    known_rule_types,
    rule_type,
)

__all__ = [
    "RULE_TYPES",
    "Affected",
    "Rule",
    "alerts",
    "joint",
    "known_rule_types",
    "limits",
    "notification",
    "periodic",
    "requests",
    "rule_type",
]
