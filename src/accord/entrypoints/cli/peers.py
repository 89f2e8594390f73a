"""``accord peer``: peers of this node, on the node's machine with its settings (ADR 6)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from accord.domain.identity import Role
from accord.entrypoints.cli.admin import node_for
from accord.entrypoints.cli.main import DatabaseUrl, DataDir, reports_errors
from accord.services.ports import Account

peer = typer.Typer(no_args_is_help=True, help="Peer nodes: pinned by log key, pulled, watched.")
_OPERATOR = Account(0, "cli", Role.ADMIN, None)  # whoever runs the CLI on the node's machine


@peer.command("add")
@reports_errors
def peer_add(
    url: str,
    key: Annotated[str, typer.Option(help="The peer's log verifier key (its GET /log/key).")],
    participant: Annotated[str, typer.Option(help="The participant the peer node serves.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a peer; it must add this node too, with this node's `accord key show` log key."""
    with node_for(data_dir, database_url) as node:
        typer.echo(json.dumps(node.federation.add_peer(_OPERATOR, url, key, participant), indent=2))


@peer.command("status")
@reports_errors
def peer_status(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Per peer: the last verified checkpoint, entries read, lag and errors; incidents."""
    with node_for(data_dir, database_url) as node:
        typer.echo(
            json.dumps(
                {"peers": node.federation.peers(), "incidents": node.federation.incidents()},
                indent=2,
            )
        )


@peer.command("pull")
@reports_errors
def peer_pull(
    peer_id: Annotated[int | None, typer.Argument(help="One peer; all when left out.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Pull from the peers now and print what was applied."""
    with node_for(data_dir, database_url) as node:
        reports = [node.federation.pull(peer_id)] if peer_id else node.federation.pull_all()
    for report in reports:
        line = f"peer {report.peer}: {report.applied} records applied, {report.hidden} hidden"
        typer.echo(line + (f"; error: {report.error}" if report.error else ""))
    if any(report.error for report in reports):
        raise typer.Exit(7)
