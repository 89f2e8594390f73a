"""``accord cap``: validate and convert CAP 1.2 files offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.adapters.cap_xml import CapDocument, alert_to_xml, read_cap_json, read_cap_xml
from accord.domain.alerts import limits
from accord.domain.alerts.cap_json import alert_to_json
from accord.domain.untrusted import decode_json
from accord.entrypoints.cli.main import reports_errors
from accord.errors import InvalidInputError, Problem

app = typer.Typer(no_args_is_help=True)
Files = Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)]


def read_documents(path: Path) -> list[CapDocument]:
    """CAP documents in an XML or JSON file (JSON: one alert in our mapping), held to the
    API's limits: each alert at most ``MAX_DOCUMENT_BYTES``, a file of several alerts (an
    ``<alerts>`` wrapper, EDXL-DE) as long as a batch may be. Nothing longer is read."""
    total = limits.MAX_DOCUMENT_BYTES * limits.BATCH_BYTES_FACTOR
    with path.open("rb") as file:
        data = file.read(total + 1)
    if path.suffix.lower() == ".json":
        if len(data) > limits.MAX_DOCUMENT_BYTES:
            raise _too_large(limits.MAX_DOCUMENT_BYTES)
        return [read_cap_json(decode_json(data, str(path)))]
    return read_cap_xml(data, max_bytes=limits.MAX_DOCUMENT_BYTES, max_total_bytes=total)


def _too_large(limit: int) -> InvalidInputError:
    message = f"the file is larger than {limit} bytes, the limit for one alert"
    return InvalidInputError(message, [Problem("/", "TOO_LARGE", message)])


@app.command()
@reports_errors
def validate(files: Files) -> None:
    """Check each file against CAP 1.2 (schema and rules); exit 1 if any is invalid."""
    invalid = 0
    for path in files:
        try:
            documents = read_documents(path)
        except InvalidInputError as error:
            invalid += 1
            typer.echo(f"{path}: INVALID ({error})")
            for problem in error.problems:
                typer.echo(f"  {problem.severity}: {problem}")
            continue
        warnings = [w for d in documents for w in d.warnings]
        signatures = ", ".join(d.signature.status for d in documents)
        typer.echo(f"{path}: valid ({len(documents)} alert(s); signature: {signatures})")
        for warning in warnings:
            typer.echo(f"  warning: {warning}")
    raise typer.Exit(1 if invalid else 0)


@app.command()
@reports_errors
def convert(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    to: Annotated[str, typer.Option("--to", help="json or xml")],
) -> None:
    """Print FILE as CAP JSON or CAP XML (validated first)."""
    if to not in ("json", "xml"):
        raise InvalidInputError("--to must be json or xml")
    documents = read_documents(file)
    for document in documents:
        if to == "json":
            typer.echo(json.dumps(alert_to_json(document.alert), indent=2, ensure_ascii=False))
        else:
            typer.echo(alert_to_xml(document.alert).decode("utf-8"))
