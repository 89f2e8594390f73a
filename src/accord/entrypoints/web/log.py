"""``/console/log``: the signed log and its peers, with the roles the API allows for each
part. The newest checkpoint and the history of every checkpoint signed (each with its
witness cosignatures), the verifier key and participant keys are public
(``/log/checkpoint``, ``/log/checkpoints``, ``/log/key``, ``/log/keys``); incidents are for
any signed-in user (``/api/v1/incidents``); peers and their lag for admins only
(``/api/v1/peers``). The history is paged newest first: ``?before=`` a checkpoint id.
The node's audits of its own log are listed for any signed-in user (they name only log
indexes, codes and checkpoints, all public); admins may run one now (POST
``/console/log/audits``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.domain.identity import Role
from accord.entrypoints.web.rendering import node_of, render, words_for
from accord.entrypoints.web.security import form_is_genuine, read_form
from accord.entrypoints.web.signin import current_session
from accord.errors import NotFoundError, VerificationError
from accord.ledger import notes
from accord.services.session_ports import WebSession

router = APIRouter(include_in_schema=False)
_COSIGNATURE_BYTES = notes.KEY_ID_BYTES + notes.TIMESTAMP_BYTES + 64
MAX_CURSOR = 2**62  # as ``/log/checkpoints?before=`` accepts
_CURSOR_DIGITS = len(str(MAX_CURSOR))


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: str
    cosigned_at: datetime | None  # set for a witness's cosignature/v1
    is_log: bool  # the log's own signature


@dataclass(frozen=True, slots=True)
class Checkpoint:
    note: str
    origin: str
    size: int
    root: str
    signatures: tuple[Signature, ...]


@router.get("/console/log", response_class=HTMLResponse)
def log_page(request: Request, before: str = "") -> Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse("/signin?next=/console/log", status_code=303)
    node = node_of(request)
    cursor = _cursor(before)
    if cursor is None and before:
        return _no_such_page(request, session)
    is_admin = session.account.role is Role.ADMIN
    return render(
        request,
        "log/index.html",
        {
            "checkpoint": _checkpoint(node.log.checkpoint_note, node.log.verifier_key),
            "history": node.log.checkpoint_history(cursor),
            "before": cursor,
            "verifier_key": node.log.verifier_key,
            "witness_keys": node.settings.witness_key_list,
            "keys": node.keys.published()["participants"],
            "incidents": node.federation.incidents(),
            "is_admin": is_admin,
            "peers": node.federation.peers() if is_admin else [],
            "audits": node.log_audit.recent(),
        },
        session=session,
    )


@router.post("/console/log/audits")
async def audit_now(request: Request) -> Response:
    """Admins: audit the log now (in a worker thread), then back to the list of audits."""
    form = await read_form(request)
    session = current_session(request)
    if session is None:
        return RedirectResponse("/signin?next=/console/log", status_code=303)
    refusal = _audit_refusal(request, session, form)
    if refusal is not None:
        return refusal
    await run_in_threadpool(node_of(request).log_audit.run)
    return RedirectResponse("/console/log#audits", status_code=303)


def _audit_refusal(request: Request, session: WebSession, form: dict[str, str]) -> Response | None:
    """Why ``session`` may not run an audit with ``form``, as a page; None if it may."""
    _ = words_for(request).gettext
    if session.account.role is not Role.ADMIN:
        title, message = _("Admins only"), _("Only a node admin may run an audit of the log.")
    elif not form_is_genuine(request, session.csrf_token, form):
        title, message = _("Not audited"), _("The form did not come from this site.")
    else:
        return None
    context = {"title": title, "message": message}
    return render(request, "error.html", context, session=session, status_code=403)


def _no_such_page(request: Request, session: WebSession) -> Response:
    _ = words_for(request).gettext
    context = {
        "title": _("Not a page of the history"),
        "message": _("before must be the id of a checkpoint, as the Older link gives it."),
    }
    return render(request, "error.html", context, session=session, status_code=400)


def _cursor(before: str) -> int | None:
    """``?before=`` as a checkpoint id; None when absent or not an id the API would take."""
    if not before.isascii() or not before.isdecimal() or len(before) > _CURSOR_DIGITS:
        return None
    value = int(before)
    return value if 1 <= value <= MAX_CURSOR else None


def _checkpoint(read_note: Callable[[], str], verifier_key: str) -> Checkpoint | None:
    """The newest checkpoint, parsed for display; None before the log has one."""
    try:
        note = read_note()
    except NotFoundError:
        return None
    body = notes.Checkpoint.parse(notes.note_text(note))
    own = notes.parse_verifier_key(verifier_key)
    signatures = tuple(_signature(line, own) for line in notes.signature_lines(note))
    root = base64.b64encode(body.root_hash).decode("ascii")
    return Checkpoint(note, body.origin, body.size, root, signatures)


def _signature(line: str, own: notes.Verifier) -> Signature:
    """A signature line's signer, key id and, for a cosignature, the time it states."""
    name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
    try:
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"the signature by {name} is not base64") from exc
    key_id = payload[: notes.KEY_ID_BYTES]
    cosigned_at = None
    if len(payload) == _COSIGNATURE_BYTES:
        stamp = payload[notes.KEY_ID_BYTES : notes.KEY_ID_BYTES + notes.TIMESTAMP_BYTES]
        cosigned_at = datetime.fromtimestamp(int.from_bytes(stamp, "big"), UTC)
    is_log = name == own.name and key_id == own.key_id
    return Signature(name, key_id.hex(), cosigned_at, is_log)
