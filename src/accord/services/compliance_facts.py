"""Records as the compliance engine sees them: each relevant record read as one fact.

Filings (``filing.*``) say their fact outright. Early-warning traffic counts too: an alert
is an ``AlertIssued`` by its author, to its audience; an acknowledgement — through the API
or a CAP ``Ack`` — or a response decision (which acknowledges too, as delivery counts it)
is an ``Acknowledged`` of the alert it names. A record that no longer
parses (written by an older version, say) is skipped, never fatal: compliance is computed
from what can be read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from accord.domain.agreements.facts import Acknowledged, AlertIssued, Fact
from accord.domain.agreements.filings import FILING_KINDS, FILING_RECORD_PREFIX, parse_filing
from accord.domain.alerts import cap_json
from accord.domain.alerts.cap import MessageKey
from accord.errors import AccordError
from accord.services.alerts import ALERT_RECORD_KIND
from accord.services.ports import LoggedRecord
from accord.services.responses import RESPONSE_RECORD_KIND

logger = logging.getLogger(__name__)
AGREEMENT_RECORD_KIND = "agreement"
FILING_RECORD_KINDS = tuple(FILING_RECORD_PREFIX + kind for kind in FILING_KINDS)
FACT_RECORD_KINDS = (*FILING_RECORD_KINDS, ALERT_RECORD_KIND, RESPONSE_RECORD_KIND)

# How a CAP Ack's references are resolved to the alerts' record ids (a lookup in the
# caller's unit of work).
AlertIdOf = Callable[[MessageKey], str | None]


def facts_of(record: LoggedRecord, alert_id_of: AlertIdOf) -> list[Fact]:
    """The facts one record states; none when it states nothing compliance counts."""
    try:
        data = json.loads(record.body)
        if record.kind.startswith(FILING_RECORD_PREFIX):
            fact, _incomplete = parse_filing(
                data, record.record_id, record.author, record.created_at
            )
            return [fact]
        if record.kind == RESPONSE_RECORD_KIND:  # a decision acknowledges too, as in delivery
            return [
                Acknowledged(record.record_id, record.author, record.created_at, str(data["alert"]))
            ]
        if record.kind == ALERT_RECORD_KIND:
            return _alert_facts(record, data, alert_id_of)
    except (AccordError, ValueError, KeyError, TypeError) as exc:
        logger.warning("record %s is not read for compliance: %s", record.record_id, exc)
    return []


def _alert_facts(record: LoggedRecord, data: object, alert_id_of: AlertIdOf) -> list[Fact]:
    alert = cap_json.alert_from_json(data)
    if alert.msg_type == "Ack":
        ids = (alert_id_of(key) for key in alert.referenced_keys())
        return [
            Acknowledged(record.record_id, record.author, record.created_at, i) for i in ids if i
        ]
    if alert.msg_type != "Alert" or alert.status != "Actual":
        return []  # updates, cancels, exercises and tests are no new warnings
    info = alert.infos[0] if alert.infos else None
    return [
        AlertIssued(
            record.record_id,
            record.author,
            record.created_at,
            urgency=info.urgency if info else "Unknown",
            severity=info.severity if info else "Unknown",
            audience=tuple(sorted(record.scope.audience)),
        )
    ]
