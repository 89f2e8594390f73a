"""The ``accord`` command: run a node, work with CAP files, talk to a node, administer it.

Errors become one line on stderr that says what to do, and an exit code chosen in
``exit_code_for`` — the one place the CLI maps Accord errors to codes.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import click
import typer

from accord.config import Settings, load_settings
from accord.domain.untrusted import check_fields
from accord.errors import (
    AccordError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PeerError,
    PermissionDeniedError,
)

app = typer.Typer(help="Accord: a node for regional security cooperation.", no_args_is_help=True)
P = ParamSpec("P")
R = TypeVar("R")

UNEXPECTED_EXIT = 70  # EX_SOFTWARE (sysexits.h)
# How a command ends on purpose (typer's own classes are not click's): passed through.
_CLI_EXITS = (typer.Exit, typer.Abort, click.exceptions.Exit, click.Abort, click.ClickException)
_EXIT_CODES: dict[type[AccordError], int] = {
    InvalidInputError: 1,
    NotFoundError: 3,
    ConflictError: 4,
    AuthenticationError: 5,
    PermissionDeniedError: 5,
    ConfigurationError: 6,
    PeerError: 7,
}


def exit_code_for(error: AccordError) -> int:
    for cls in type(error).__mro__:
        if cls in _EXIT_CODES:
            return _EXIT_CODES[cls]
    return 1


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn Accord errors into a message on stderr and the command's exit code; refuse
    arguments no field may hold (invalid UTF-8 in argv arrives as lone surrogates); and
    end anything else in one line that says what to do, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            check_fields(_arguments(kwargs))
            return command(*args, **kwargs)
        except AccordError as error:
            typer.echo(f"error: {error}", err=True)
            for problem in getattr(error, "problems", ()):
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(exit_code_for(error)) from error
        except _CLI_EXITS:
            raise
        except Exception as error:  # the one place a command may end unplanned
            typer.echo(f"error: {unexpected(error)}", err=True)
            raise typer.Exit(UNEXPECTED_EXIT) from error

    return wrapper


def _arguments(kwargs: dict[str, Any]) -> dict[str, list[str]]:
    """The command's text arguments by option name (``--data-dir``), for ``check_fields``."""
    found: dict[str, list[str]] = {}
    for name, value in kwargs.items():
        values = value if isinstance(value, list | tuple) else [value]
        texts = [str(v) for v in values if isinstance(v, str | Path)]
        if texts:
            found["--" + name.replace("_", "-")] = texts
    return found


def unexpected(error: Exception) -> str:
    """One line for an error no command planned for: what happened and what to do."""
    detail = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    if isinstance(error, OSError):
        return f"{detail}; check the path and its permissions"
    if type(error).__module__.startswith("httpx"):
        return f"cannot talk to the node ({detail}); check --node and that it is running"
    return f"{type(error).__name__}: {detail}; this is a bug: report it with the command run"


DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (ACCORD_DATA_DIR).")
]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Database URL (ACCORD_DATABASE_URL).")
]


def settings_from(
    data_dir: Path | None = None, database_url: str | None = None, **overrides: Any
) -> Settings:
    return load_settings(data_dir=data_dir, database_url=database_url, **overrides)


@app.command()
@reports_errors
def serve(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    host: Annotated[str | None, typer.Option(help="Bind address (ACCORD_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ACCORD_PORT).")] = None,
) -> None:
    """Run a node: apply migrations, then serve the API."""
    from accord.entrypoints.cli.server import run_server

    run_server(settings_from(data_dir, database_url, host=host, port=port))


@app.command()
@reports_errors
def migrate(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply database migrations and exit (serve does this on start too)."""
    from accord.bootstrap import build

    build(settings_from(data_dir, database_url)).close()
    typer.echo("database is up to date")


@app.command()
@reports_errors
def demo(
    port: Annotated[int, typer.Option(help="Port to serve the demo node on.")] = 8000,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its data.")] = Path(
        "accord-demo"
    ),
    seed_only: Annotated[bool, typer.Option(help="Seed, write demo.json, do not serve.")] = False,
    inbox_port: Annotated[
        int, typer.Option(help="Where `accord inbox` listens (webhooks; SMTP on the next port).")
    ] = 8025,
    nodes: Annotated[
        int, typer.Option(help="2-5: a federation, one node per state, on consecutive ports.")
    ] = 1,
) -> None:
    """Start a node seeded with a demo region; prints its URL, an admin token and a web
    console account."""
    if nodes > 1:
        _federation_demo(nodes, port, data_dir, seed_only)
        return
    from accord.demo.seed import prepare_demo
    from accord.entrypoints.cli.server import run_server

    settings = load_settings(
        data_dir=data_dir, host=host, port=port, database_url="", **_demo_defaults(inbox_port)
    )
    info = prepare_demo(settings, inbox=f"http://127.0.0.1:{inbox_port}")
    typer.echo(f"Accord demo node: {info['url']}")
    typer.echo(f"Admin token:      {info['admin_token']}")
    console = info["console"]
    typer.echo(f"Web console:      {console['url']} as {console['username']}")
    typer.echo(f"                  password {console['password']}")
    typer.echo(f"Written to:       {info['demo_json']}")
    typer.echo(f"Deliveries go to: {info['inbox']} (run `accord inbox` to watch them)")
    sys.stdout.flush()
    if not seed_only:
        run_server(settings)


def _federation_demo(count: int, port: int, data_dir: Path, seed_only: bool) -> None:
    from accord.demo import federation

    try:
        nodes = federation.plan(count, port, data_dir)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
    info = federation.prepare(nodes, data_dir)
    typer.echo(federation.describe(info))
    sys.stdout.flush()
    if seed_only:
        return
    # SIGTERM must stop the nodes too, not leave them running without their parent.
    signal.signal(signal.SIGTERM, lambda _number, _frame: sys.exit(0))
    processes = federation.serve(nodes)
    typer.echo("All nodes are up; they pull from each other every few seconds (Ctrl-C stops).")
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        federation.stop(processes)


def _demo_defaults(inbox_port: int) -> dict[str, Any]:
    """The demo delivers to `accord inbox` on this machine and escalates to its
    secretariat; an ACCORD_* variable set by the user still wins."""
    defaults: dict[str, Any] = {
        "outbound_allowlist": "127.0.0.0/8,::1/128",
        "smtp_host": "127.0.0.1",
        "smtp_port": inbox_port + 1,
        "secretariat": "BSRC",
    }
    return {k: v for k, v in defaults.items() if f"ACCORD_{k.upper()}" not in os.environ}


def _register_subcommands() -> None:
    from accord.entrypoints.cli import (
        admin,
        agreements,
        alerts,
        audit,
        cap,
        delivery,
        inbox,
        keys,
        peers,
    )

    app.add_typer(cap.app, name="cap", help="Validate and convert CAP 1.2 files.")
    app.add_typer(alerts.app, name="alert", help="Send and list alerts on a node.")
    for name, sub in admin.apps().items():
        app.add_typer(sub, name=name)
    app.add_typer(keys.key, name="key")
    app.command("rebuild")(keys.rebuild)
    app.command("audit")(audit.audit)
    app.command("self-audit")(audit.self_audit)
    app.add_typer(delivery.subscription, name="subscription")
    app.add_typer(delivery.delivery, name="delivery")
    app.command("worker")(delivery.worker)
    app.command("inbox")(inbox.inbox)
    app.add_typer(peers.peer, name="peer")
    app.add_typer(agreements.agreement, name="agreement")
    app.add_typer(agreements.compliance, name="compliance")
    app.command("file")(agreements.file_command)


_register_subcommands()
