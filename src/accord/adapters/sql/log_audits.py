"""SQL storage of the node's audits of its own log, each with its findings as JSON."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, insert, select

from accord.adapters.sql.alerts import utc
from accord.adapters.sql.tables import log_audits
from accord.ledger.audit import Finding
from accord.services.ports import LogAudit

_NEWEST_FIRST = select(log_audits).order_by(log_audits.c.id.desc())


class SqlLogAuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, audit: LogAudit) -> LogAudit:
        audit_id = self._db.execute(
            insert(log_audits)
            .values(
                started_at=audit.started_at,
                finished_at=audit.finished_at,
                checkpoint_size=audit.checkpoint_size,
                checkpoint_note=audit.checkpoint_note,
                entries_checked=audit.entries_checked,
                entries_with_findings=audit.entries_with_findings,
                finding_count=audit.finding_count,
                findings=[_finding_json(finding) for finding in audit.findings],
            )
            .returning(log_audits.c.id)
        ).scalar_one()
        return replace(audit, id=int(audit_id))

    def recent(self, limit: int) -> list[LogAudit]:
        return [_audit(row) for row in self._db.execute(_NEWEST_FIRST.limit(limit))]

    def last_clean(self) -> LogAudit | None:
        row = self._db.execute(
            _NEWEST_FIRST.where(log_audits.c.finding_count == 0).limit(1)
        ).first()
        return _audit(row) if row else None


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "message": finding.message, "evidence": list(finding.evidence)}


def _audit(row: Any) -> LogAudit:
    return LogAudit(
        id=int(row.id),
        started_at=utc(row.started_at),
        finished_at=utc(row.finished_at),
        checkpoint_size=None if row.checkpoint_size is None else int(row.checkpoint_size),
        checkpoint_note=row.checkpoint_note,
        entries_checked=int(row.entries_checked),
        entries_with_findings=int(row.entries_with_findings),
        finding_count=int(row.finding_count),
        findings=tuple(
            Finding(str(item["code"]), str(item["message"]), tuple(item["evidence"]))
            for item in row.findings
        ),
    )
