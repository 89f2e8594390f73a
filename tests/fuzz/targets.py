"""Fuzz targets: one per parser or decoder of outside input, each holding it to its contract.

A target takes bytes (cut to ``Target.max_bytes``, so no input is large enough to hang by
size alone), hands them to the public entry point the way the API, CLI or federation
client does, and lets only the documented refusal through: ``InvalidInputError`` from the
CAP readers, filings and agreements, ``VerificationError`` from signed notes, checkpoints,
cosignatures and log entries, ``AuthenticationError`` from RFC 9421 request verification,
``ConfigurationError`` from pinning a key. Any other exception escapes, and the fuzzer
(atheris in ``run.py``, hypothesis in ``test_fuzz_targets.py``) reports it as a finding; so
does a broken contract (``ContractBroken``), such as a cursor that decodes to a position no
database holds.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from starlette.datastructures import Headers

from accord.adapters.cap_xml import read_cap_xml
from accord.adapters.cap_xml.reader import read_cap_json
from accord.adapters.federation.signatures import RequestVerifier, asgi_request_url, pinned_keys
from accord.domain.agreements.filings import FILING_KINDS, parse_filing
from accord.domain.agreements.model import parse_agreement
from accord.entrypoints.api import alert_query
from accord.entrypoints.api.bodies import parse_json
from accord.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    Problem,
    VerificationError,
)
from accord.ledger import audit, notes
from accord.ledger.records import open_entry, verify_record
from accord.ledger.signing import verify as verify_ed25519
from tests.fuzz import seeds

MAX_INPUT_BYTES = 64 * 1024
MAX_POSITION = 2**63 - 1  # records.position is a signed 64-bit integer on both engines
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ContractBroken(AssertionError):
    """A parser returned a value its contract rules out."""


@dataclass(frozen=True, slots=True)
class Target:
    """A named entry point, its seed corpus, and words worth splicing into mutations.

    ``known`` names an open finding the target still hits (fixed elsewhere): the CI run
    then reports the target as an expected failure, with the reason, until it is cleared.
    """

    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], tuple[bytes, ...]]
    tokens: tuple[bytes, ...] = ()
    max_bytes: int = MAX_INPUT_BYTES
    known: str = ""

    def __call__(self, data: bytes) -> None:
        self.run(data[: self.max_bytes])


def _text(data: bytes) -> str:
    """Bytes as a str, undecodable bytes kept as lone surrogates the parser must refuse."""
    return data.decode("utf-8", "surrogateescape")


def cap_xml(data: bytes) -> None:
    """``POST /api/v1/alerts`` with ``application/cap+xml``."""
    with suppress(InvalidInputError):
        read_cap_xml(data, max_bytes=len(data) + 1)


def cap_json(data: bytes) -> None:
    """``POST /api/v1/alerts`` with ``application/json``."""
    with suppress(InvalidInputError):
        read_cap_json(parse_json(data))


def filing(data: bytes) -> None:
    """``POST /api/v1/filings``: FastAPI hands over any JSON object as the body."""
    with suppress(InvalidInputError):
        body = parse_json(data)
        if isinstance(body, dict):
            parse_filing(body, "0" * 64, "EE", seeds.SIGNED_AT)


def _cli_file_reader() -> Callable[[Path], object]:
    """The CLI's own reader of agreement files. Its module is reached through ``cli.main``,
    as the CLI reaches it: imported first on its own, it meets a circular import."""
    import_module("accord.entrypoints.cli.main")
    reader: Callable[[Path], object] = import_module(
        "accord.entrypoints.cli.agreements"
    )._read_document
    return reader


read_agreement_file = _cli_file_reader()


def agreement(data: bytes) -> None:
    """``accord agreement load FILE``: the file read by the CLI's own reader, then parsed."""
    with tempfile.NamedTemporaryFile(suffix=".yaml") as file, suppress(InvalidInputError):
        file.write(data)
        file.flush()
        parse_agreement(read_agreement_file(Path(file.name)))


def signed_note(data: bytes) -> None:
    """A note from a peer or an auditor's file, checked against the pinned keys."""
    note = _text(data)
    with suppress(VerificationError):
        notes.verify_note(note, seeds.note_verifiers())
    with suppress(VerificationError):
        notes.signature_lines(note)
        notes.note_text(note)


def checkpoint(data: bytes) -> None:
    """A checkpoint body, or a signed checkpoint note as a peer serves it."""
    text = _text(data)
    with suppress(VerificationError):
        parsed = notes.Checkpoint.parse(text)
        if parsed.format() != text:
            raise ContractBroken(f"{text!r} parses but formats as {parsed.format()!r}")
    with suppress(VerificationError):
        audit.open_checkpoint(text, seeds.LOG_VERIFIER)


def cosignature(data: bytes) -> None:
    """``line\\nbody``: a witness's line for a checkpoint body (``POST /log/cosignatures``),
    and the same bytes as a cosigned note, as an auditor checks one."""
    text = _text(data)
    line, _, body = text.partition("\n")
    with suppress(VerificationError):
        notes.verify_cosignature(body, line, seeds.WITNESS_VERIFIER)
    with suppress(VerificationError):
        audit.check_cosignatures(text, [seeds.WITNESS_VERIFIER])


def verifier_key(data: bytes) -> None:
    """A key string an operator pins (``ACCORD_WITNESS_KEYS``, a peer's key) or loads."""
    text = _text(data)
    with suppress(VerificationError):
        notes.parse_verifier_key(text)
    with suppress(InvalidInputError):
        notes.parse_signer_key(text)
    with suppress(ConfigurationError):
        pinned_keys([text])


def log_entry(data: bytes) -> None:
    """An entry a peer serves (``/federation/v1/entries``): parsed strictly, then verified."""
    with suppress(VerificationError):
        record = open_entry(data)
        if record.entry != data:
            raise ContractBroken("an opened entry is not the bytes it was opened from")
        verify_record(record, verify_ed25519, seeds.NODE_KEY.public_key.raw)


def request_signature(data: bytes) -> None:
    """A federation request as the server hands it over, verified against the pinned key."""
    parsed = _request(data)
    if parsed is None:
        return  # not something an HTTP server would pass on
    method, scope, body = parsed
    verifier = RequestVerifier(pinned_keys([seeds.NODE_KEY_ID]), clock=lambda: seeds.SIGNED_AT)
    with suppress(AuthenticationError):
        url = asgi_request_url(scope)
        verifier.verify(method, url, Headers(scope=scope), body)


def _request(data: bytes) -> tuple[str, dict[str, object], bytes] | None:
    """Request line, header lines and body, kept only as far as HTTP/1.1 allows them."""
    head, _, body = data.partition(b"\n\n")
    first, *lines = head.split(b"\n")
    method, _, target = first.partition(b" ")
    if not _TOKEN.fullmatch(method) or not target.startswith(b"/"):
        return None
    if any(c <= 0x20 or c == 0x7F for c in target):
        return None
    headers: list[tuple[bytes, bytes]] = []
    for line in lines:
        name, _, value = line.partition(b":")
        value = value.strip(b" \t")
        if not _TOKEN.fullmatch(name) or any(c < 0x20 and c != 0x09 for c in value):
            return None
        headers.append((name.lower(), value))
    path, _, query = target.partition(b"?")
    scope: dict[str, object] = {"type": "http", "scheme": "https", "headers": headers}
    scope.update(raw_path=path, path=path.decode("latin-1"), query_string=query)
    return method.decode("ascii"), scope, body


def alert_cursor(data: bytes) -> None:
    """``GET /api/v1/alerts?cursor=``: a position a database can hold, or a problem."""
    text = data.decode("utf-8", "replace")  # how a query string is decoded
    problems: list[Problem] = []
    position = alert_query.cursor(text, problems)
    if position is None:
        if not problems:
            raise ContractBroken(f"cursor {text!r} was refused without a problem")
    elif problems or not 0 <= position <= MAX_POSITION:
        raise ContractBroken(f"cursor {text!r} decodes to position {position}")


_JSON_WORDS = (b"{", b"}", b"[", b"]", b'"', b":", b",", b"null", b"true", b"1e999", b"-0")
_DATES = (b"2026-05-04T06:00:00+00:00", b"0001-01-01T00:00:00+01:00", b"9999-12-31T23:59:59-01:00")
_NOTE_WORDS = ("\u2014 ".encode(), b"\n\n", b"+", b"=", b"/", b"\x00", b"\r", b"00", b"\xff")
_FILING_WORDS = (b'"kind"', *(f'"{kind}"'.encode() for kind in FILING_KINDS))
_SIGNATURE_WORDS = (b";created=", b";nonce=", b'"@query"', b"sha-256=:", b"signature-input: ")

TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target(
            "cap_xml",
            cap_xml,
            seeds.cap_xml,
            (b"<", b"/>", b"&amp;", b"<!DOCTYPE", b"xmlns:", b"]]>", b"<info>", *_DATES),
            max_bytes=seeds.MAX_SEED_BYTES,
        ),
        Target("cap_json", cap_json, seeds.cap_json, (*_JSON_WORDS, *_DATES)),
        Target("filing", filing, seeds.filings, (*_JSON_WORDS, *_DATES, *_FILING_WORDS)),
        Target("agreement", agreement, seeds.agreements, (b"&a", b"*a", b"!!", b"- ", *_DATES)),
        Target("signed_note", signed_note, seeds.signed_notes, _NOTE_WORDS),
        Target(
            "checkpoint", checkpoint, seeds.checkpoints, (*_NOTE_WORDS, b"18446744073709551616")
        ),
        Target("cosignature", cosignature, seeds.cosignatures, _NOTE_WORDS),
        Target("verifier_key", verifier_key, seeds.verifier_keys, (*_NOTE_WORDS, b"PRIVATE+KEY+")),
        Target(
            "log_entry",
            log_entry,
            seeds.log_entries,
            (*_JSON_WORDS, b"\\u00e9", b"\\ud800", b"[[[[[[[[[[[[[[[[", b"Infinity"),
        ),
        Target("request_signature", request_signature, seeds.signed_requests, _SIGNATURE_WORDS),
        Target("alert_cursor", alert_cursor, seeds.cursors, (b"=", b"-", b"_", b"LTE", b"OTk5")),
    )
}
