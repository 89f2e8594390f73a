"""``accord audit``: check a node's log from the outside, with only its verifier key;
``accord self-audit``: the node's own audit of its log, on its machine.

Exit 0: everything checked out. Exit 1: a problem was found (each printed with what is
wrong; equivocation prints both checkpoints as evidence). Exit 2: the node could not be
reached or did not answer in the expected form.
"""

from __future__ import annotations

import base64
import binascii
import random
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from accord.entrypoints.cli.main import DatabaseUrl, DataDir, reports_errors
from accord.errors import AccordError, VerificationError
from accord.ledger import audit as checks
from accord.ledger import notes

PAGE = 1000


class Unreachable(Exception):
    """The node did not answer, or not in the expected form."""


def audit(
    node: Annotated[str, typer.Option("--node", envvar="ACCORD_NODE", help="Node URL.")],
    key: Annotated[str, typer.Option("--key", help="The log's verifier key (pinned).")],
    state: Annotated[
        Path | None, typer.Option(help="Where to remember the last checkpoint.")
    ] = None,
    witness: Annotated[list[str] | None, typer.Option(help="A witness verifier key.")] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="ACCORD_TOKEN", help="Read entries within this token's scope."
        ),
    ] = None,
) -> None:
    """Verify the node's checkpoint, its consistency with the last one seen, and every entry."""
    try:
        log_key = notes.parse_verifier_key(key)
        witnesses = [notes.parse_verifier_key(w) for w in witness or []]
    except (VerificationError, ValueError) as exc:
        typer.echo(f"error: a verifier key is malformed: {exc}", err=True)
        raise typer.Exit(2) from exc
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=node.rstrip("/"), headers=headers, timeout=60) as client:
            findings, summary = _run(client, log_key, witnesses, state)
    except Unreachable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _report(summary, findings)


@reports_errors
def self_audit(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Audit this node's own log (its storage, with its own key) and store the result."""
    from accord.entrypoints.cli.admin import node_for

    with node_for(data_dir, database_url) as node:
        done = node.log_audit.run()
    size = "none verified" if done.checkpoint_size is None else f"size {done.checkpoint_size}"
    summary = [
        f"audit {done.id} of {node.log.origin}: checkpoint {size}",
        f"entries: {done.entries_checked} read in full and verified, "
        f"{done.entries_with_findings} with findings",
    ]
    if done.finding_count > len(done.findings):
        summary.append(f"{done.finding_count} problems found; the first {len(done.findings)}:")
    _report(summary, list(done.findings))


def _report(summary: list[str], findings: list[checks.Finding]) -> None:
    for line in summary:
        typer.echo(line)
    for finding in findings:
        typer.echo(f"PROBLEM {finding}", err=True)
        for evidence in finding.evidence:
            typer.echo("--- evidence ---\n" + evidence.rstrip("\n"), err=True)
    raise typer.Exit(1 if findings else 0)


def _run(
    client: httpx.Client,
    log_key: notes.Verifier,
    witnesses: list[notes.Verifier],
    state: Path | None,
) -> tuple[list[checks.Finding], list[str]]:
    note = _get(client, "/log/checkpoint").text
    try:
        current = checks.open_checkpoint(note, log_key)
    except (VerificationError, AccordError) as exc:
        return [checks.Finding("BAD_CHECKPOINT", f"the checkpoint does not verify: {exc}")], []
    cosigned, findings = checks.check_cosignatures(note, witnesses)
    try:
        seen = _load_state(state, log_key)
    except (VerificationError, AccordError, OSError) as exc:
        return [
            checks.Finding(
                "BAD_STATE",
                f"the saved checkpoint in {state} does not verify with the pinned key: {exc}",
            )
        ], []
    if seen is not None:
        findings += _check_consistency(client, seen, current)
    entry_findings, leaves, audited = _check_entries(client, current.checkpoint.size)
    findings += entry_findings
    findings += checks.check_root(leaves, current.checkpoint)
    findings += _check_proofs(client, leaves, current.checkpoint)
    if not findings and state is not None:
        _save_state(state, note)
    size = current.checkpoint.size
    summary = [
        f"checkpoint: {current.checkpoint.origin} size {size} signed by the pinned key",
        f"witnesses: {', '.join(cosigned) if cosigned else 'none verified'}",
        f"consistent with the last checkpoint seen: "
        f"{'size ' + str(seen.checkpoint.size) if seen else 'none saved yet'}",
        f"entries: {audited.read_in_full} read in full and verified, {audited.hidden} "
        f"outside your scope (leaf hash only)",
    ]
    return findings, summary


def _check_consistency(
    client: httpx.Client, seen: checks.SignedCheckpoint, current: checks.SignedCheckpoint
) -> list[checks.Finding]:
    old, new = seen.checkpoint.size, current.checkpoint.size
    proof = None
    if 0 < old < new:
        answer = _json(client, "/log/proof/consistency", {"from": old, "to": new})
        proof = _hashes(answer.get("proof", []))
    if old == 0:
        return []
    return checks.check_extends(seen, current, proof)


def _check_entries(
    client: httpx.Client, size: int
) -> tuple[list[checks.Finding], list[bytes], checks.EntryAudit]:
    walker = checks.EntryAudit()
    leaves: list[bytes] = []
    start = 0
    while start < size:
        page = _json(client, "/log/entries", {"start": start, "end": min(size, start + PAGE)})
        items = page.get("entries", [])
        if not items:
            break
        for item in items:
            if item.get("index") != start:
                walker.findings.append(
                    checks.Finding(
                        "MISSING_ENTRIES",
                        f"expected entry {start}, the node served {item.get('index')}",
                    )
                )
                return walker.findings, leaves, walker
            served = _served(item)
            leaves.append(served.leaf_hash)
            walker.check(served)
            start += 1
    return walker.finish(), leaves, walker


def _check_proofs(
    client: httpx.Client, leaves: list[bytes], checkpoint: notes.Checkpoint
) -> list[checks.Finding]:
    """Ask for inclusion proofs (every entry for small logs, a sample for large ones)."""
    if len(leaves) != checkpoint.size or not leaves:
        return []
    indexes = checks.proof_indexes(len(leaves), random.SystemRandom())  # unpredictable to the node
    findings: list[checks.Finding] = []
    for index in indexes:
        answer = _json(client, "/log/proof/inclusion", {"index": index, "size": checkpoint.size})
        findings += checks.check_inclusion(
            index, leaves[index], checkpoint, _hashes(answer.get("proof", []))
        )
    return findings


def _served(item: dict[str, Any]) -> checks.ServedEntry:
    try:
        leaf = base64.b64decode(item["leaf_hash"], validate=True)
        entry = base64.b64decode(item["entry"], validate=True) if "entry" in item else None
    except (KeyError, TypeError, binascii.Error) as exc:
        raise Unreachable(f"the node served a malformed entry: {exc}") from exc
    original = base64.b64decode(item["original"]) if "original" in item else None
    return checks.ServedEntry(int(item["index"]), leaf, entry, item.get("body"), original)


def _hashes(values: list[Any]) -> list[bytes]:
    try:
        return checks.decode_hashes([str(v) for v in values])
    except binascii.Error as exc:
        raise Unreachable(f"the node served a malformed proof: {exc}") from exc


def _load_state(state: Path | None, log_key: notes.Verifier) -> checks.SignedCheckpoint | None:
    if state is None or not (state / "checkpoint").is_file():
        return None
    return checks.open_checkpoint((state / "checkpoint").read_text(encoding="utf-8"), log_key)


def _save_state(state: Path, note: str) -> None:
    state.mkdir(parents=True, exist_ok=True)
    temporary = state / "checkpoint.tmp"
    temporary.write_text(note, encoding="utf-8")
    temporary.replace(state / "checkpoint")


def _get(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
    try:
        response = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise Unreachable(f"cannot reach the node: {exc}") from exc
    if response.status_code != 200:
        raise Unreachable(f"GET {path} answered {response.status_code}: {response.text[:200]}")
    return response


def _json(client: httpx.Client, path: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        data = _get(client, path, params).json()
    except ValueError as exc:
        raise Unreachable(f"GET {path} did not answer JSON") from exc
    if not isinstance(data, dict):
        raise Unreachable(f"GET {path} did not answer a JSON object")
    return data
