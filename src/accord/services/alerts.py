"""Use cases for alerts: accept CAP messages as records, and read them back within scope.

Parsing and validation happen before a message reaches these use cases (the CAP adapter
does that); here a valid message becomes a record — envelope, sequence number, original
bytes — and the alert projection is updated in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from accord.domain.alerts import cap_json
from accord.domain.alerts.cap import Alert, MessageKey
from accord.domain.alerts.facts import facts_of
from accord.domain.alerts.limits import stored_alert_problem
from accord.domain.alerts.threads import (
    Referenced,
    foreign_threads,
    readable_by_author,
    reply_within,
    state_at,
    thread_to_join,
)
from accord.domain.identity import ISSUING_ROLES
from accord.domain.senders import in_force, sender_problem
from accord.domain.sharing import Reader, Scope, scope_for_alert
from accord.errors import (
    AccordError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)
from accord.ledger.canonical import canonical_json, sha256_hex
from accord.ledger.records import body_digest
from accord.services.log import LogService
from accord.services.ports import (
    Account,
    AlertQuery,
    AlertRow,
    Clock,
    Projection,
    StoredRecord,
    ThreadRow,
    UnitOfWork,
    UnitOfWorkFactory,
)
from accord.services.records import Draft, RecordWriter
from accord.services.routing import Routable

ALERT_RECORD_KIND = "cap.alert"


class AlertListener(Protocol):
    """Work that must commit with newly stored alerts (routing, acknowledgements)."""

    def on_alerts(self, uow: UnitOfWork, stored: Sequence[Routable]) -> None: ...


@dataclass(frozen=True, slots=True)
class IncomingAlert:
    """A message that passed CAP validation, as received."""

    alert: Alert
    original: bytes
    content_type: str
    signature_status: str = "unsigned"
    signature_detail: str = ""
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Receipt:
    record_id: str
    position: int
    author: str
    seq: int
    log_index: int
    is_duplicate: bool
    scope: Scope
    warnings: tuple[Problem, ...]


@dataclass(slots=True)
class _Accepted:
    """A new message drafted in this transaction; ``stored`` once it is written."""

    item: IncomingAlert
    scope: Scope
    draft: Draft
    content: str
    held: list[Referenced] | None = None  # what it references, read once when admitted
    stored: StoredRecord | None = None

    def duplicate(self) -> _Accepted:
        return _Duplicate(self.item, self.scope, self.draft, self.content, original=self)

    def receipt(self) -> Receipt:
        record = self.stored
        assert record is not None, "receipts are made after the records are written"
        return Receipt(
            record.record_id,
            record.position,
            record.author,
            record.seq,
            record.log_index,
            False,
            self.scope,
            self.item.warnings,
        )


@dataclass(slots=True)
class _Duplicate(_Accepted):
    """The same message twice in one request: it answers as a duplicate of the first."""

    original: _Accepted | None = None

    def receipt(self) -> Receipt:
        assert self.original is not None
        return replace(self.original.receipt(), is_duplicate=True, warnings=())


@dataclass(frozen=True, slots=True)
class AlertView:
    row: AlertRow
    thread: ThreadRow | None


class AlertService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        writer: RecordWriter,
        log: LogService,
        listeners: Sequence[AlertListener] = (),
        on_committed: Sequence[Callable[[], None]] = (),
        writes_for: Callable[[str], bool] = lambda _participant: True,
        require_registered_senders: bool = False,
    ) -> None:
        self._writes_for = writes_for
        self._require_registered = require_registered_senders
        self._uow = uow
        self._clock = clock
        self._writer = writer
        self._log = log
        self._listeners = list(listeners)
        self._on_committed = list(on_committed)

    def listen(self, listener: AlertListener) -> None:
        self._listeners.append(listener)

    def when_committed(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each transaction that stored alerts (wakes the worker
        and the live stream; they read what was committed, so nothing rides on it)."""
        self._on_committed.append(callback)

    def issue(
        self,
        account: Account,
        items: list[IncomingAlert],
        *,
        tlp: list[str | None],
        audience: list[list[str] | None],
    ) -> list[Receipt | AccordError]:
        """Accept each message in ``items``, in one transaction.

        Each item stands alone: one that is refused (bad scope, or a different message
        under an existing CAP key) comes back as its error and writes nothing; the others
        are signed, logged and committed together, with one checkpoint covering them.
        """
        author = _issuer(account)
        if not self._writes_for(author):
            raise PermissionDeniedError(
                f"this node does not write records for {author}; send the alert to its node"
            )
        results: list[Receipt | AccordError | _Accepted] = []
        with self._uow() as uow:
            known = uow.identity.participant_codes()
            registered = in_force(uow.identity.senders(), self._clock.now())
            pending: dict[MessageKey, _Accepted] = {}
            for item, level, members in zip(items, tlp, audience, strict=True):
                try:
                    self._check_sender(author, item.alert, registered)
                    scope = scope_for_alert(item.alert.scope, level, members, known)
                    results.append(self._admit(uow, author, item, scope, pending))
                except (InvalidInputError, ConflictError, PermissionDeniedError) as exc:
                    results.append(exc)
            accepted = list(pending.values())
            stored = self._writer.write(uow, [a.draft for a in accepted])
            routable = []
            projections = []
            threads: _BatchThreads = {}  # messages of this batch, by key
            for admitted, record in zip(accepted, stored, strict=True):
                admitted.stored = record
                projection = self._projection(uow, admitted, record, threads)
                projections.append(projection)
                routable.append(_routable(projection))
            uow.alerts.project_many(projections)
            for listener in self._listeners:
                listener.on_alerts(uow, routable)
            if stored:
                self._log.sign_checkpoint(uow)
        if stored:
            for callback in self._on_committed:
                callback()
        return [r.receipt() if isinstance(r, _Accepted) else r for r in results]

    def _check_sender(self, author: str, alert: Alert, registered: dict[str, str]) -> None:
        why = sender_problem(
            alert.sender, author, registered, require_registered=self._require_registered
        )
        if why is not None:
            raise PermissionDeniedError(why, [Problem("/sender", "SENDER_NOT_YOURS", why)])

    def _admit(
        self,
        uow: UnitOfWork,
        author: str,
        item: IncomingAlert,
        scope: Scope,
        pending: dict[MessageKey, _Accepted],
    ) -> Receipt | _Accepted:
        """Check one message against what is held (and pending), and draft it if it is new."""
        alert = item.alert
        cited = _may_follow(uow, author, alert, scope, pending)
        mapping = cap_json.alert_to_json(alert)
        canonical = canonical_json(mapping)
        content = _content_digest(mapping) if "signature" in mapping else sha256_hex(canonical)
        earlier = pending.get(alert.key)
        existing = uow.alerts.find_by_key(author, alert.key)
        held = earlier.content if earlier else existing[1] if existing else None
        if held is not None and held != content:
            raise ConflictError(
                f"message {alert.key} already exists with different content; "
                "CAP requires a new identifier or sent time for a new message"
            )
        if earlier is not None:
            return earlier.duplicate()
        if existing is not None:
            stored, _content, held_scope = existing
            return Receipt(  # the scope it holds: a repeat cannot change it
                stored.record_id,
                stored.position,
                stored.author,
                stored.seq,
                stored.log_index,
                True,
                held_scope,
                (),
            )
        draft = self._writer.draft(
            kind=ALERT_RECORD_KIND,
            author=author,
            scope=scope,
            body=mapping,
            content_type=item.content_type,
            original=item.original,
            canonical_body=canonical,
        )
        admitted = _Accepted(item, scope, draft, content, cited)
        pending[alert.key] = admitted
        return admitted

    def _projection(
        self,
        uow: UnitOfWork,
        admitted: _Accepted,
        record: StoredRecord,
        threads: _BatchThreads,
    ) -> Projection:
        alert = admitted.item.alert
        return Projection(
            record,
            alert,
            facts_of(alert),
            admitted.scope,
            _thread(uow, alert, record, admitted.scope, threads, admitted.held),
            admitted.draft.received_at,
            admitted.content,
            (admitted.item.signature_status, admitted.item.signature_detail),
        )

    def apply_replicated(
        self, uow: UnitOfWork, items: Sequence[tuple[int, Any, Scope]]
    ) -> list[tuple[str, str, str]]:
        """Project alerts replicated from a peer's log (already stored and verified) and
        route them to local subscribers, in the caller's transaction. ``items`` are
        (position, replicated record, scope). A message its author already holds here
        under the same CAP key is stored but not projected twice; one issued under a sender
        registered here to another participant, or over the limits local input is held to,
        is stored (the log stays whole) but never shown. Returns those (record id, code,
        why) for the caller to report. The caller calls ``committed`` after its
        transaction commits."""
        projections = []
        threads: _BatchThreads = {}
        decoded = []
        for position, row, scope in items:
            mapping = json.loads(row.body)
            decoded.append((position, row, scope, mapping, cap_json.alert_from_json(mapping)))
        held = uow.alerts.held_keys([(row.author, alert.key) for _, row, *_, alert in decoded])
        registrations = uow.identity.senders()
        refused: list[tuple[str, str, str]] = []
        for position, row, scope, mapping, alert in decoded:
            if any(ref.author == row.author for ref in threads.get(alert.key, ())):
                continue
            if (row.author, alert.key) in held:
                continue
            registered = in_force(registrations, row.received_at)
            over = stored_alert_problem(row.body, _polygons(alert))
            if over is not None:
                refused.append((row.record_id, "OVER_LIMITS", over))
                continue
            why = sender_problem(alert.sender, row.author, registered, require_registered=False)
            if why is not None:
                refused.append((row.record_id, "FOREIGN_SENDER", why))
                continue
            record = StoredRecord(position, row.record_id, row.author, row.seq, -1)
            projections.append(
                Projection(
                    record,
                    alert,
                    facts_of(alert),
                    scope,
                    _thread(uow, alert, record, scope, threads),
                    row.received_at,
                    # Without a signature the message is its whole body, whose digest the
                    # origin signed and the mirror checked: no need to serialise it again.
                    _content_digest(mapping) if "signature" in mapping else row.body_digest,
                    ("replicated", "verified in its origin's signed log"),
                )
            )
        uow.alerts.project_many(projections)
        routable = [_routable(p) for p in projections]
        for listener in self._listeners:
            listener.on_alerts(uow, routable)
        return refused

    def committed(self) -> None:
        """Tell whoever waits for new alerts (the worker, the stream) that some were
        committed outside ``issue`` — by replication, once its transaction commits."""
        for callback in self._on_committed:
            callback()

    def rebuild(self, check_signature: Callable[[bytes], tuple[str, str]]) -> int:
        """Drop the alert projections and recompute them from the records, in log order."""
        with self._uow() as uow:
            uow.records.restore_signed_scopes()
            uow.alerts.clear()
            count = 0
            threads: _BatchThreads = {}
            registrations = uow.identity.senders()
            for stored, scope, content_type, original, body, received_at in uow.records.of_kind(
                ALERT_RECORD_KIND
            ):
                mapping = json.loads(body)
                alert = cap_json.alert_from_json(mapping)
                registered = in_force(registrations, received_at)
                if not is_projected(
                    stored.author, stored.log_index, alert, body, threads, registered
                ):
                    continue
                signature = (
                    check_signature(original)
                    if content_type == "application/cap+xml"
                    else ("unsigned", "")
                )
                uow.alerts.project(
                    stored,
                    alert=alert,
                    facts=facts_of(alert),
                    scope=scope,
                    thread_id=_thread(uow, alert, stored, scope, threads),
                    received_at=received_at,
                    content_digest=_content_digest(mapping),
                    signature=signature,
                )
                count += 1
        return count

    def search(self, reader: Reader, query: AlertQuery) -> list[AlertView]:
        with self._uow(readonly=True) as uow:
            rows = uow.alerts.search(reader, query)
            threads = uow.alerts.threads(reader, sorted({row.thread_id for row in rows}))
        return [AlertView(row, threads.get(row.thread_id)) for row in rows]

    def since(self, position: int, limit: int) -> list[AlertRow]:
        """Every alert after ``position``, unscoped, oldest first: only for consumers that
        apply each reader's scope themselves (the live stream), and then ``seen_by``."""
        with self._uow(readonly=True) as uow:
            return uow.alerts.since(position, limit)

    def seen_by(
        self, readers: Iterable[Reader], rows: Sequence[AlertRow]
    ) -> dict[Reader, list[AlertView]]:
        """``rows`` with their threads as each of ``readers`` sees them (one query each)."""
        ids = sorted({row.thread_id for row in rows})
        with self._uow(readonly=True) as uow:
            threads = {reader: uow.alerts.threads(reader, ids) for reader in set(readers)}
        return {
            reader: [AlertView(row, seen.get(row.thread_id)) for row in rows]
            for reader, seen in threads.items()
        }

    def newest_position(self) -> int:
        with self._uow(readonly=True) as uow:
            return uow.alerts.newest_position()

    def get(self, reader: Reader, record_id: str) -> AlertView:
        """One alert the reader may see; others are "not found", never "forbidden", so that
        a reader cannot learn that a message outside their scope exists."""
        with self._uow(readonly=True) as uow:
            row = uow.alerts.get(reader, record_id)
            thread = uow.alerts.threads(reader, [row.thread_id]) if row else {}
        if row is None:
            raise NotFoundError(f"no alert {record_id} that you may read")
        return AlertView(row, thread.get(row.thread_id))

    def thread_state(self, view: AlertView) -> str | None:
        if view.thread is None:
            return None
        return state_at(view.thread.state, view.thread.expires_at, self._clock.now()).value


def alert_json(view: AlertView, state: str | None) -> dict[str, Any]:
    """The API's JSON for one alert: record metadata beside the CAP JSON mapping."""
    row = view.row
    return {
        "record_id": row.record_id,
        "position": row.position,
        "author": row.author,
        "seq": row.seq,
        "log_index": row.log_index,
        "links": {
            "log_entry": f"/log/entries?start={row.log_index}&end={row.log_index + 1}",
            "inclusion_proof": f"/log/proof/inclusion?index={row.log_index}",
        }
        if row.log_index is not None
        else {},  # replicated: in its origin's log, not this node's
        "scope": row.scope.to_json(),
        "created_at": row.created_at.isoformat(),
        "received_at": row.received_at.isoformat(),
        "thread": {"id": row.thread_id, "state": state},
        "signature": {"status": row.signature_status, "detail": row.signature_detail},
        "alert": json.loads(row.body),
    }


# Messages projected in this transaction but perhaps not yet readable by a query, by key.
_BatchThreads = dict[MessageKey, list[Referenced]]


def _referenced(
    uow: UnitOfWork, alert: Alert, threads: _BatchThreads, held: list[Referenced] | None
) -> list[Referenced]:
    """The messages ``alert`` names that are held (``held``, when already read in this
    transaction) or earlier in this batch, oldest first."""
    keys = alert.referenced_keys()
    held = held if held is not None else uow.alerts.referenced(keys)
    seen = {ref.position for ref in held}
    batch = [ref for key in keys for ref in threads.get(key, ()) if ref.position not in seen]
    return sorted([*held, *batch], key=lambda ref: ref.position)


def is_projected(
    author: str,
    log_index: int | None,
    alert: Alert,
    body: str,
    threads: dict[MessageKey, list[Referenced]],
    registered: dict[str, str],
) -> bool:
    """Whether a stored alert is shown: not a second copy of its author's own message,
    if replicated within the limits local input is held to (local input was held to them
    on its way in), and not under a sender registered to another participant. Live
    intake, the rebuild and the self-audit's replay all ask this, so they agree."""
    if any(ref.author == author for ref in threads.get(alert.key, ())):
        return False
    replicated = log_index is None  # not in this node's log: signed and sent by a peer
    if replicated and stored_alert_problem(body, _polygons(alert)) is not None:
        return False
    return sender_problem(alert.sender, author, registered, require_registered=False) is None


def _polygons(alert: Alert) -> Iterator[str]:
    return (polygon for info in alert.infos for area in info.areas for polygon in area.polygons)


def _thread(
    uow: UnitOfWork,
    alert: Alert,
    record: StoredRecord,
    scope: Scope,
    threads: _BatchThreads,
    held: list[Referenced] | None = None,
) -> int:
    """The thread a message joins (``thread_to_join``), else its own, named by its
    position; recorded for the rest of the batch."""
    author = record.author
    joined = thread_to_join(author, alert.msg_type, _referenced(uow, alert, threads, held))
    thread, issuer = (
        (record.position, author) if joined is None else (joined.thread_id, joined.issuer)
    )
    threads.setdefault(alert.key, []).append(
        Referenced(record.position, record.record_id, thread, issuer, author, scope, alert.key)
    )
    return thread


def _may_follow(
    uow: UnitOfWork,
    author: str,
    alert: Alert,
    scope: Scope,
    pending: dict[MessageKey, _Accepted],
) -> list[Referenced]:
    """Refuse an Update or Cancel of a thread another participant issued, and a reply
    (Ack, Error) looser than what it answers, which would publish the reference: both only
    for messages the author may read (one it may not read answers as one that does not
    exist). Returns the held messages it references, for the projection to reuse."""
    keys = alert.referenced_keys()
    held = uow.alerts.referenced(keys)
    # The author's own messages earlier in this batch count as held (positions unknown).
    referenced = held + [
        Referenced(-1, "", -1, author, author, pending[key].scope, key)
        for key in keys
        if key in pending
    ]
    issuers = foreign_threads(author, alert.msg_type, referenced)
    if issuers:
        raise PermissionDeniedError(
            f"only {', '.join(issuers)} may {alert.msg_type.lower()} the alert it issued; "
            "other participants answer it with Ack or Error",
            [Problem("/references", "NOT_THE_ISSUER", "references another participant's alert")],
        )
    if alert.msg_type not in ("Ack", "Error"):
        return held
    wider = [h for h in readable_by_author(author, referenced) if not reply_within(scope, h)]
    if wider:
        shown = wider[0].scope.tlp.value
        named = ", ".join(sorted(wider[0].scope.audience | {wider[0].author}))
        raise InvalidInputError(
            "a reply reaches further than what it answers",
            [
                Problem(
                    "/tlp",
                    "LOOSER_THAN_REFERENCED",
                    f"it answers a TLP:{shown} message for {named}; send it as TLP:{shown} "
                    "or stricter, naming no one else",
                )
            ],
        )
    return held


def _routable(p: Projection) -> Routable:
    return Routable(
        p.record.position, p.record.record_id, p.alert, p.scope, p.record.author, p.facts.area
    )


def _content_digest(mapping: dict[str, Any]) -> str:
    """What makes two copies the same CAP message: everything but XML-DSig signatures, so
    an issuer's signed and unsigned copies of one alert are one message."""
    return body_digest({key: value for key, value in mapping.items() if key != "signature"})


def _issuer(account: Account) -> str:
    if account.role not in ISSUING_ROLES:
        raise PermissionDeniedError(f"a {account.role} may not issue alerts")
    if account.participant is None:
        raise PermissionDeniedError(
            "alerts are issued on behalf of a participant; this account belongs to none"
        )
    return account.participant
