"""What the alert page says of a record's place in the log: its inclusion proof checked here,
as an auditor would check it, against the node's current signed checkpoint, and when
witnesses saw the log without it and with it.

The check trusts nothing the store says about the record: the checkpoint must carry the
log key's signature, the leaf is hashed from the entry bytes, and the proof must lead from
that leaf to the signed root (``accord.ledger.audit``). Any failure is reported, never
raised: a page that shows a broken proof is the point. The outcome is a code and the
checks' own words; the page words the rest in its reader's language.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal

from accord.bootstrap import Node
from accord.errors import AccordError
from accord.ledger import audit, merkle, notes, records
from accord.services.alerts import AlertView
from accord.services.ports import Account

Outcome = Literal["verified", "unsigned", "unchecked", "refuted"]


@dataclass(frozen=True, slots=True)
class Inclusion:
    """The outcome of checking one entry's inclusion proof: verified against the signed
    checkpoint, not yet in one (unsigned), not checkable (unchecked: ``detail`` says why)
    or refuted by the proof (``detail`` holds the findings)."""

    index: int
    size: int | None  # the signed checkpoint's tree size the proof was checked against
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    log_index: int | None
    signature_status: str
    signature_detail: str
    inclusion: Inclusion | None  # None for a record replicated from a peer's log
    timeline: dict[str, Any]


def evidence_of(node: Node, account: Account, view: AlertView) -> Evidence:
    row = view.row
    timeline = node.log.timeline(row.log_index, row.position, row.created_at).to_json()
    inclusion = (
        None
        if row.log_index is None
        else check_inclusion(node, account, row.record_id, row.log_index)
    )
    return Evidence(row.log_index, row.signature_status, row.signature_detail, inclusion, timeline)


def check_inclusion(node: Node, account: Account, record_id: str, index: int) -> Inclusion:
    """Whether entry ``index`` is the record ``record_id`` and provably in the signed log."""
    try:
        log_key = notes.parse_verifier_key(node.log.verifier_key)
        signed = audit.open_checkpoint(node.log.checkpoint_note(), log_key).checkpoint
        if index >= signed.size:
            return Inclusion(index, signed.size, "unsigned")
        entry = _entry(node, account, record_id, index)
        served = node.log.inclusion(index, signed.size)
        proof = audit.decode_hashes(served["proof"])
    except (AccordError, ValueError, KeyError, binascii.Error) as exc:
        return Inclusion(index, None, "unchecked", str(exc))
    findings = audit.check_inclusion(index, merkle.leaf_hash(entry), signed, proof)
    if findings:
        return Inclusion(index, signed.size, "refuted", "; ".join(f.message for f in findings))
    return Inclusion(index, signed.size, "verified")


def _entry(node: Node, account: Account, record_id: str, index: int) -> bytes:
    """The entry's bytes, read within the account's scope, and shown to be this record's."""
    served = node.log.entries(account.reader, index, index + 1)["entries"]
    if not served or "entry" not in served[0]:
        raise ValueError(f"the log does not give entry {index} to this reader")
    entry = base64.b64decode(served[0]["entry"], validate=True)
    if records.open_entry(entry).record_id != record_id:
        raise ValueError(f"entry {index} is another record")
    return entry
