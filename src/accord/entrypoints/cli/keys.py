"""``accord key`` and ``accord rebuild``: signing keys, and projections recomputed from records."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from accord.entrypoints.cli.admin import node_for
from accord.entrypoints.cli.main import DatabaseUrl, DataDir, reports_errors

key = typer.Typer(no_args_is_help=True, help="The log key and participants' signing keys.")


@key.command("generate")
@reports_errors
def generate(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create the log key and a key for every participant without one (registered in the log)."""
    with node_for(data_dir, database_url) as node:
        verifier = node.keys.ensure_log_key()
        registered = node.keys.register_missing()
    typer.echo(json.dumps({"log": verifier, "registered": registered}, indent=2))


@key.command("show")
@reports_errors
def show(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Print the log's verifier key (pin it in `accord audit`) and every participant key."""
    with node_for(data_dir, database_url) as node:
        typer.echo(json.dumps(node.keys.published(), indent=2))


@key.command("rotate")
@reports_errors
def rotate(
    participant: Annotated[str, typer.Option(help="The participant whose key to replace.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Replace a participant's key; the rotation is a record signed by the old key."""
    with node_for(data_dir, database_url) as node:
        typer.echo(json.dumps(node.keys.rotate(participant.upper()), indent=2))


@reports_errors
def rebuild(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Drop the alert and response projections and recompute them from the records."""
    from accord.adapters.cap_xml import check_signature

    def signature_of(original: bytes) -> tuple[str, str]:
        result = check_signature(original)
        return result.status, result.detail

    with node_for(data_dir, database_url) as node:
        count = node.alerts.rebuild(signature_of)
        responses = node.responses.rebuild()
    typer.echo(f"rebuilt the projections of {count} alert records and {responses} responses")
