"""Agreements, filings and compliance: the log judged against what the parties agreed.

Agreements are signed records (kind ``agreement``; a later version of one name supersedes
the earlier), so every node that holds them judges by the same text. Filings are signed
records too, accepted whether or not they keep an obligation — a late notice is still a
notice — and answered with the flags the engine raises. Compliance is computed by one
``ComplianceEngine`` per process that follows the records: each query first feeds it the
records written since the last one (position order), so a new record costs only the duties
it touches; when the agreements change, the engine is rebuilt from the whole log.

Who sees what: agreements are public (the text of a treaty is no secret). Verdicts of an
agreement are for its parties (their focal points, analysts and observers; the parties of
an agreement "of all" are the state participants), the secretariat and admins. A
verdict's evidence is listed only where the reader may read the record; otherwise it is
withheld together with what the duty's period and dates would tell of it. The public
scoreboard carries counts by status only.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import Any

from accord.domain.agreements.engine import ComplianceEngine
from accord.domain.agreements.facts import Fact
from accord.domain.agreements.filings import FILING_RECORD_PREFIX, parse_filing
from accord.domain.agreements.model import (
    Agreement,
    agreement_to_json,
    builtin_agreements,
    parse_agreement,
)
from accord.domain.agreements.reminders import Reminder, due_reminders
from accord.domain.agreements.verdicts import Verdict
from accord.domain.alerts.threads import readable_by_author
from accord.domain.bounds import judging_time_problem
from accord.domain.identity import ISSUING_ROLES, Role
from accord.domain.sharing import Reader, Scope, Tlp, may_read, scope_for_alert
from accord.errors import (
    AccordError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from accord.services.compliance_facts import (
    AGREEMENT_RECORD_KIND,
    FACT_RECORD_KINDS,
    facts_of,
)
from accord.services.log import LogService
from accord.services.ports import Account, Clock, LoggedRecord, UnitOfWork, UnitOfWorkFactory
from accord.services.records import RecordWriter

logger = logging.getLogger(__name__)
CATCH_UP_PAGE = 10_000
_PUBLIC = Scope(Tlp.CLEAR, frozenset())
_SHOWN_ONLY = frozenset({"record_id", "loaded"})
_FROM_EVIDENCE = ("period", "arose_at", "due", "done_at")
_VIEWING_ROLES = frozenset({Role.FOCAL_POINT, Role.ANALYST, Role.OBSERVER})


class ComplianceService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        writer: RecordWriter,
        log: LogService,
        *,
        secretariat: str | None = None,
        writes_for: Callable[[str], bool] = lambda _participant: True,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._writer = writer
        self._log = log
        self._secretariat = secretariat
        self._writes_for = writes_for
        self._lock = threading.Lock()
        self._engine: ComplianceEngine | None = None
        self._loaded: tuple[str, ...] = ()  # record ids of the agreements it was built with
        self._cursor = 0
        self._states: tuple[str, ...] = ()  # every state participant: the parties of "all"
        self._scopes: dict[str, tuple[Scope, str]] = {}  # fact record id -> (scope, author)
        self._parsed: dict[str, Agreement] = {}  # agreement record id -> its agreement

    # ------------------------------------------------------------------ agreements

    def agreements(self) -> list[dict[str, Any]]:
        """Loaded agreements, and the built-in ones not loaded here (they can be shown)."""
        loaded = self._loaded_agreements()
        out = [_summary(a, record_id, loaded=True) for a, record_id in loaded.values()]
        out += [
            _summary(a, None, loaded=False) for a in builtin_agreements() if a.name not in loaded
        ]
        return sorted(out, key=lambda item: str(item["name"]))

    def agreement(self, name: str) -> dict[str, Any]:
        loaded = self._loaded_agreements()
        if name in loaded:
            agreement, record_id = loaded[name]
            return {**agreement_to_json(agreement), "record_id": record_id, "loaded": True}
        for agreement in builtin_agreements():
            if agreement.name == name:
                return {**agreement_to_json(agreement), "record_id": None, "loaded": False}
        raise NotFoundError(f"no agreement {name!r}")

    def load(self, account: Account, data: object) -> dict[str, Any]:
        """Sign ``data`` as an agreement record (or a built-in one by name). Loading the
        same text again is a no-op; a changed text needs a higher version."""
        if account.role is not Role.ADMIN or account.participant is None:
            raise PermissionDeniedError("agreements are loaded by an admin of a participant")
        if isinstance(data, dict):  # what `show --json` adds, so its output loads back
            data = {k: v for k, v in data.items() if k not in _SHOWN_ONLY}
        agreement = parse_agreement(data)
        body = agreement_to_json(agreement)
        with self._uow() as uow:
            held = _latest(self._agreement_records(uow)).get(agreement.name)
            if held is not None:
                same = agreement_to_json(held[0]) == body
                if same:
                    return self._loaded_json(held)
                if agreement.version <= held[0].version:
                    raise ConflictError(
                        f"{agreement.name} version {held[0].version} is loaded; "
                        f"a changed text needs a version above it, not {agreement.version}"
                    )
            draft = self._writer.draft(
                kind=AGREEMENT_RECORD_KIND, author=account.participant, scope=_PUBLIC, body=body
            )
            (stored,) = self._writer.write(uow, [draft])
            self._log.sign_checkpoint(uow)
        return self._loaded_json((agreement, stored.record_id))

    def load_builtin(self, account: Account, name: str) -> dict[str, Any]:
        for agreement in builtin_agreements():
            if agreement.name == name:
                return self.load(account, agreement_to_json(agreement))
        raise NotFoundError(f"no built-in agreement {name!r}")

    def _loaded_json(self, held: tuple[Agreement, str]) -> dict[str, Any]:
        return {**agreement_to_json(held[0]), "record_id": held[1], "loaded": True}

    def _loaded_agreements(self) -> dict[str, tuple[Agreement, str]]:
        with self._uow(readonly=True) as uow:
            return _latest(self._agreement_records(uow))

    # --------------------------------------------------------------------- filings

    def file(
        self,
        account: Account,
        data: object,
        *,
        tlp: str | None = None,
        audience: list[str] | None = None,
    ) -> dict[str, Any]:
        """Sign a filing for the account's participant; answer with the flags it raises."""
        author = _filer(account)
        if not self._writes_for(author):
            raise PermissionDeniedError(
                f"this node does not write records for {author}; file it at its node"
            )
        now = self._clock.now()
        _fact, incomplete = parse_filing(data, "pending", author, now)  # shape first
        assert isinstance(data, dict)
        with self._uow() as uow:
            scope = scope_for_alert(
                "Public", tlp or "GREEN", audience, uow.identity.participant_codes()
            )
            draft = self._writer.draft(
                kind=FILING_RECORD_PREFIX + str(data["kind"]), author=author, scope=scope, body=data
            )
            (stored,) = self._writer.write(uow, [draft])
            self._log.sign_checkpoint(uow)
        # The engine reads the new record as it reads any (catching up), then says what
        # this fact shows broken; the fact is the record's, with its signed time.
        fact, _ = parse_filing(data, stored.record_id, author, draft.received_at)
        with self._lock:
            engine = self._catch_up()
            flags = engine.check(fact, self._clock.now())
        return {
            "record_id": stored.record_id,
            "log_index": stored.log_index,
            "kind": data["kind"],
            "scope": scope.to_json(),
            "incomplete": [{"field": i.field, "message": i.message} for i in incomplete],
            "flags": [_plain(f) for f in flags],
        }

    # ------------------------------------------------------------------ compliance

    def compliance(
        self,
        reader: Reader,
        name: str,
        *,
        participant: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Every duty of ``name``'s parties judged at ``at`` (now), with the evidence the
        reader may read; also the tier recommendation and concerns for the forum. ``at``
        lies within the agreement's life and ``bounds.AT_HORIZON`` of now: further ahead,
        the engine would enumerate periods nobody has reached."""
        now = self._clock.now()
        with self._lock:
            engine = self._catch_up()
            agreement = self._visible(reader, engine, name)
            if at is not None:
                _check_judging_time(at, agreement.starts, now)
                now = at
            verdicts = engine.verdicts(now, agreement=name, participant=participant)
            recommendations = [r for r in engine.recommendations(now) if r.agreement == name]
            concerns = [c for c in engine.concerns(now) if c.agreement == name]
            scopes = dict(self._scopes)
        shown = [_verdict_json(v, reader, scopes) for v in verdicts]
        return {
            "agreement": name,
            "version": agreement.version,
            "tier": agreement.tier,
            "at": now.isoformat(),
            "totals": _totals(verdicts),
            "verdicts": shown,
            "recommendations": [_plain(r) for r in recommendations],
            "concerns": [_plain(c) for c in concerns],
        }

    def series(
        self, reader: Reader, name: str, participant: str, period: str = "month"
    ) -> list[dict[str, Any]]:
        now = self._clock.now()
        with self._lock:
            engine = self._catch_up()
            self._visible(reader, engine, name)
            return [_plain(p) for p in engine.series(now, name, participant, period)]

    def reciprocity(self, reader: Reader) -> list[dict[str, Any]]:
        """Who shares what with whom, and whether it is returned: for parties' readers
        (their own rows) and the secretariat and admins (all)."""
        now = self._clock.now()
        with self._lock:
            rows = self._catch_up().reciprocity(now)
        if not self._sees_everything(reader):
            mine = reader.participant
            rows = [r for r in rows if mine in (r.from_party, r.to_party)]
        return [_plain(r) for r in rows]

    def calendar(self, horizon_days: int = 90) -> list[dict[str, Any]]:
        with self._lock:
            entries = self._catch_up().calendar(self._clock.now(), horizon_days)
        return [_plain(e) for e in entries]

    def due_reminders(self, notice_days: int) -> list[Reminder]:
        """Reviews and sunsets within ``notice_days``, and lapses as recent: to announce."""
        now = self._clock.now()
        with self._lock:
            engine = self._catch_up()
            entries = engine.calendar(now, notice_days)
            agreements = {a.name: a for a in engine.agreements()}
        return due_reminders(entries, agreements, now.date(), notice_days)

    def scoreboard(self) -> list[dict[str, Any]]:
        """Per agreement and party, counts by status: public, nothing but numbers."""
        now = self._clock.now()
        with self._lock:
            engine = self._catch_up()
            boards = []
            for agreement in engine.agreements():
                parties = agreement.parties or self._states
                by_party: dict[str, dict[str, int]] = {party: {} for party in parties}
                for verdict in engine.verdicts(now, agreement=agreement.name):
                    counts = by_party.setdefault(verdict.participant, {})
                    counts[verdict.status.value] = counts.get(verdict.status.value, 0) + 1
                boards.append(
                    {
                        "agreement": agreement.name,
                        "title": agreement.title,
                        "tier": agreement.tier,
                        "parties": [
                            {"participant": p, "counts": c} for p, c in sorted(by_party.items())
                        ],
                    }
                )
        return boards

    def rebuild(self) -> int:
        """Judge the whole log again from scratch; returns how many facts it read."""
        with self._lock:
            self._engine = None
            self._catch_up()
            return len(self._scopes)

    # --------------------------------------------------------------------- engine

    def _catch_up(self) -> ComplianceEngine:
        """The engine, fed every record written since it last looked (under the lock)."""
        with self._uow(readonly=True) as uow:
            loaded = _latest(self._agreement_records(uow))
            ids = tuple(sorted(record_id for _a, record_id in loaded.values()))
            participants = uow.identity.list_participants()
            states = tuple(sorted(p["code"] for p in participants if p["kind"] == "state"))
            if self._engine is None or ids != self._loaded or states != self._states:
                # New agreements, or a new state (a party to every agreement "of all"):
                # judged again from the whole log, as a rebuild would.
                self._states = states
                self._engine = ComplianceEngine([a for a, _ in loaded.values()], self._states)
                self._loaded, self._cursor, self._scopes = ids, 0, {}
            engine = self._engine
            with paused_collector(self._cursor == 0) as read:
                while True:
                    page = uow.records.since(self._cursor, FACT_RECORD_KINDS, CATCH_UP_PAGE)
                    engine.load(self._facts(uow, page))
                    read.append(len(page))
                    if len(page) < CATCH_UP_PAGE:
                        break
        return engine

    def _facts(self, uow: UnitOfWork, page: Sequence[LoggedRecord]) -> Iterator[Fact]:
        """The facts ``page`` states, noting each one's scope and moving the cursor."""

        for record in page:
            self._cursor = record.position

            def alert_id(
                key: Any, author: str = record.author, before: int = record.position
            ) -> str | None:
                held = uow.alerts.referenced([key])
                readable = [r for r in readable_by_author(author, held) if r.position < before]
                return readable[0].record_id if readable else None

            for fact in facts_of(record, alert_id):
                self._scopes[fact.record_id] = (record.scope, record.author)
                yield fact

    def _agreement_records(self, uow: UnitOfWork) -> list[tuple[Agreement, str]]:
        """Every agreement record, each parsed once per process (records never change)."""
        out = []
        for stored, _scope, _type, _original, body, _received in uow.records.of_kind(
            AGREEMENT_RECORD_KIND
        ):
            parsed = self._parsed.get(stored.record_id)
            if parsed is None:
                try:
                    parsed = parse_agreement(json.loads(body))
                except (AccordError, ValueError) as exc:  # e.g. written by another version
                    logger.warning("agreement record %s is not read: %s", stored.record_id, exc)
                    continue
                self._parsed[stored.record_id] = parsed
            out.append((parsed, stored.record_id))
        return out

    def _visible(self, reader: Reader, engine: ComplianceEngine, name: str) -> Agreement:
        """The agreement if the reader may see its verdicts; "not found" otherwise, so that
        outsiders do not learn which agreements a node judges."""
        for agreement in engine.agreements():
            if agreement.name == name and self._entitled(reader, agreement):
                return agreement
        raise NotFoundError(f"no agreement {name!r} whose compliance you may see")

    def _entitled(self, reader: Reader, agreement: Agreement) -> bool:
        if self._sees_everything(reader):
            return True
        if reader.role not in _VIEWING_ROLES or reader.participant is None:
            return False
        return reader.participant in (agreement.parties or self._states)

    def _sees_everything(self, reader: Reader) -> bool:
        if reader.role is Role.ADMIN:
            return True
        return (
            self._secretariat is not None
            and reader.participant == self._secretariat
            and reader.role in _VIEWING_ROLES
        )


@contextmanager
def paused_collector(rebuilding: bool) -> Iterator[list[int]]:
    """A rebuild makes millions of long-lived objects: collecting garbage among them as
    they are made costs a sixth of the time and frees nothing (reading records makes no
    cycles; what it drops, reference counting frees), so the collector waits; and after a
    large one, what the engine holds is frozen out of later collections, which would only
    walk it again. The caller appends how many records it read."""
    read: list[int] = []
    if not rebuilding or not gc.isenabled():
        yield read
        return
    gc.disable()
    try:
        yield read
    finally:
        if sum(read) >= CATCH_UP_PAGE:
            gc.freeze()  # first: enabled, the next allocation would walk it all once more
        gc.enable()


def _check_judging_time(at: datetime, starts: date, now: datetime) -> None:
    problem = judging_time_problem(at, starts, now)
    if problem is not None:
        raise InvalidInputError("the time to judge at is out of range", [problem])


def _filer(account: Account) -> str:
    if account.role not in ISSUING_ROLES:
        raise PermissionDeniedError(f"a {account.role} may not file under agreements")
    if account.participant is None:
        raise PermissionDeniedError("filings are made for a participant; this account has none")
    return account.participant


def _latest(items: Sequence[tuple[Agreement, str]]) -> dict[str, tuple[Agreement, str]]:
    """Per name, the highest version (the later record when two have the same)."""
    latest: dict[str, tuple[Agreement, str]] = {}
    for agreement, record_id in items:
        held = latest.get(agreement.name)
        if held is None or agreement.version >= held[0].version:
            latest[agreement.name] = (agreement, record_id)
    return latest


def _summary(agreement: Agreement, record_id: str | None, *, loaded: bool) -> dict[str, Any]:
    return {
        "name": agreement.name,
        "title": agreement.title,
        "version": agreement.version,
        "tier": agreement.tier,
        "parties": list(agreement.parties) if agreement.parties else "all",
        "starts": agreement.starts.isoformat(),
        "sunset": agreement.sunset.isoformat() if agreement.sunset else None,
        "obligations": len(agreement.obligations),
        "loaded": loaded,
        "record_id": record_id,
    }


def _verdict_json(
    verdict: Verdict, reader: Reader, scopes: Mapping[str, tuple[Scope, str]]
) -> dict[str, Any]:
    out: dict[str, Any] = _plain(verdict)
    readable = [rid for rid in verdict.evidence if rid in scopes and may_read(reader, *scopes[rid])]
    out["evidence"] = readable
    if len(readable) < len(verdict.evidence):
        # What names or dates the duty can come from those records (a notified activity's
        # id and start, say): shown only with them. The status and lateness are the
        # verdict itself, which every party to the agreement may know.
        out.update(dict.fromkeys(_FROM_EVIDENCE))
        out["withheld"] = len(verdict.evidence) - len(readable)
        out["withheld_fields"] = list(_FROM_EVIDENCE)
        out["detail"] = "evidence outside your scope is withheld, with what it tells"
    return out


def _totals(verdicts: Sequence[Verdict]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for verdict in verdicts:
        totals[verdict.status.value] = totals.get(verdict.status.value, 0) + 1
    return totals


def _plain(value: Any) -> Any:
    """A report dataclass or named tuple as JSON: dates as ISO 8601, enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return {name: _plain(getattr(value, name)) for name in value._fields}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value
