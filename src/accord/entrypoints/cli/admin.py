"""``accord participant|agency|user|token``: administer the node's own database directly.

These run on the node's machine with its settings (ACCORD_DATA_DIR / ACCORD_DATABASE_URL),
the same way the admin API does over HTTP.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.bootstrap import Node, build
from accord.domain.untrusted import decode_json
from accord.entrypoints.cli.main import DatabaseUrl, DataDir, reports_errors, settings_from
from accord.errors import InvalidInputError


@contextmanager
def node_for(data_dir: Path | None, database_url: str | None) -> Iterator[Node]:
    node = build(settings_from(data_dir, database_url))
    try:
        yield node
    finally:
        node.close()


def _print(rows: list[dict[str, Any]] | dict[str, Any]) -> None:
    typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))


participant = typer.Typer(no_args_is_help=True, help="States and organisations.")
agency = typer.Typer(no_args_is_help=True, help="Agencies of participants.")
user = typer.Typer(no_args_is_help=True, help="User accounts and their roles.")
token = typer.Typer(no_args_is_help=True, help="API tokens (shown once, stored hashed).")


def apps() -> dict[str, typer.Typer]:
    return {"participant": participant, "agency": agency, "user": user, "token": token}


@participant.command("add")
@reports_errors
def participant_add(
    code: str,
    name: str,
    kind: Annotated[str, typer.Option(help="state or organisation")] = "state",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a participant (states by ISO 3166-1 alpha-2 code)."""
    with node_for(data_dir, database_url) as node:
        _print(node.identity.add_participant(code, name, kind))


@participant.command("list")
@reports_errors
def participant_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    with node_for(data_dir, database_url) as node:
        _print(node.identity.list_participants())


@agency.command("add")
@reports_errors
def agency_add(
    participant_code: Annotated[str, typer.Argument(metavar="PARTICIPANT")],
    name: str,
    sector: Annotated[
        str,
        typer.Option(
            help="defence, health, environment, disaster, cyber, border or foreign-affairs"
        ),
    ],
    jurisdiction: Annotated[Path | None, typer.Option(help="GeoJSON file of its area.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add an agency with its sector and (optionally) its jurisdiction."""
    area = None
    if jurisdiction is not None:
        try:
            text = jurisdiction.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"cannot read {jurisdiction} as GeoJSON: {exc}") from exc
        area = decode_json(text, str(jurisdiction))
    with node_for(data_dir, database_url) as node:
        _print(node.identity.add_agency(participant_code, name, sector, area))


@agency.command("list")
@reports_errors
def agency_list(
    participant_code: Annotated[str | None, typer.Option("--participant")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    with node_for(data_dir, database_url) as node:
        _print(node.identity.list_agencies(participant_code))


@user.command("add")
@reports_errors
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, focal-point, analyst, observer, reporter")],
    participant_code: Annotated[str | None, typer.Option("--participant")] = None,
    agency_name: Annotated[str | None, typer.Option("--agency")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a user with a role, belonging to a participant (and optionally an agency)."""
    with node_for(data_dir, database_url) as node:
        _print(node.identity.add_user(username, role, participant_code, agency_name))


@user.command("list")
@reports_errors
def user_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    with node_for(data_dir, database_url) as node:
        _print(node.identity.list_users())


@user.command("password")
@reports_errors
def user_password(
    username: str,
    password_file: Annotated[
        Path | None,
        typer.Option(help="Read the password from this file's first line, not standard input."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set USERNAME's web console password (first line of standard input or --password-file;
    at least 12 characters). Their open console sessions end."""
    password = _read_password(password_file)
    with node_for(data_dir, database_url) as node:
        node.sessions.set_password(username, password)
    typer.echo(f"password set for {username}")


def _read_password(path: Path | None) -> str:
    try:
        text = path.read_text(encoding="utf-8") if path is not None else sys.stdin.readline()
    except (OSError, UnicodeError) as exc:
        raise InvalidInputError(f"cannot read the password: {exc}") from exc
    lines = text.splitlines()
    return lines[0] if lines else ""


@token.command("issue")
@reports_errors
def token_issue(
    username: str,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue an API token for USERNAME. It is printed once; only its hash is kept."""
    with node_for(data_dir, database_url) as node:
        _print(node.identity.issue_token(username, label))


@token.command("list")
@reports_errors
def token_list(
    username: Annotated[str | None, typer.Option("--user")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    with node_for(data_dir, database_url) as node:
        _print(node.identity.list_tokens(username))


@token.command("revoke")
@reports_errors
def token_revoke(token_id: int, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    with node_for(data_dir, database_url) as node:
        node.identity.revoke_token(token_id)
    typer.echo(f"token {token_id} revoked")


@participant.command("add-sender")
@reports_errors
def participant_add_sender(
    code: str,
    sender: str,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a CAP sender (ops@ema.ee) or domain (ema.ee) as participant CODE's own:
    alerts under it from anyone else are refused."""
    with node_for(data_dir, database_url) as node:
        _print(node.identity.add_sender(code, sender))


@participant.command("remove-sender")
@reports_errors
def participant_remove_sender(
    sender: str, data_dir: DataDir = None, database_url: DatabaseUrl = None
) -> None:
    with node_for(data_dir, database_url) as node:
        node.identity.remove_sender(sender)
    typer.echo(f"sender {sender} no longer registered")


@participant.command("senders")
@reports_errors
def participant_senders(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Every registered CAP sender and the participant it belongs to."""
    with node_for(data_dir, database_url) as node:
        _print(node.identity.list_senders())
