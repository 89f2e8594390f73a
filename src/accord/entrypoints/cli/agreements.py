"""``accord agreement``, ``accord file`` and ``accord compliance``: agreements as code on the
node's machine, with its settings (docs/agreements.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from accord.domain.bounds import instant_problem
from accord.domain.identity import Role
from accord.domain.sharing import Reader
from accord.domain.untrusted import check_value
from accord.entrypoints.cli.admin import node_for
from accord.entrypoints.cli.main import DatabaseUrl, DataDir, reports_errors
from accord.errors import InvalidInputError, Problem
from accord.services.ports import Account

agreement = typer.Typer(no_args_is_help=True, help="Agreements: load, list, show.")
compliance = typer.Typer(no_args_is_help=True, help="Compliance with the loaded agreements.")
_EVERYTHING = Reader(Role.ADMIN)
AsParticipant = Annotated[
    str | None,
    typer.Option("--as", help="The participant it is signed for (default: this node's author)."),
]


def _operator(
    node_authors: frozenset[str], participant: str | None, role: Role = Role.ADMIN
) -> Account:
    """Whoever runs the CLI on the node's machine, signing for ``participant``."""
    if participant is None and len(node_authors) == 1:
        (participant,) = node_authors
    if participant is None:
        raise InvalidInputError(
            "say which participant signs it",
            [Problem("--as", "MISSING", "pass --as CODE (ACCORD_AUTHORS names no single one)")],
        )
    return Account(0, "cli", role, participant.upper())


def _read_document(path: Path) -> object:
    """A YAML or JSON file (JSON is YAML); a clear error for anything else."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except RecursionError as exc:
        raise InvalidInputError(
            f"cannot read {path}", [Problem(str(path), "TOO_DEEP", "it nests too deep")]
        ) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInputError(
            f"cannot read {path}", [Problem(str(path), "UNREADABLE", str(exc).splitlines()[0])]
        ) from exc
    check_value(document, str(path))  # YAML's "\0" is a NUL as JSON's "\u0000" is
    return document


@agreement.command("load")
@reports_errors
def agreement_load(
    source: Annotated[str, typer.Argument(help="A YAML/JSON file, or a built-in name.")],
    participant: AsParticipant = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Sign an agreement into the log; loading the same text again changes nothing."""
    with node_for(data_dir, database_url) as node:
        account = _operator(node.settings.author_set, participant)
        path = Path(source)
        if path.is_file():
            loaded = node.compliance.load(account, _read_document(path))
        else:
            loaded = node.compliance.load_builtin(account, source)
    typer.echo(f"loaded {loaded['name']} version {loaded['version']}: record {loaded['record_id']}")


@agreement.command("list")
@reports_errors
def agreement_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Agreements loaded on this node, and the built-in ones."""
    with node_for(data_dir, database_url) as node:
        rows = node.compliance.agreements()
    for row in rows:
        state = "loaded" if row["loaded"] else "built in, not loaded"
        typer.echo(
            f"{row['name']}  v{row['version']}  tier {row['tier']}  "
            f"{row['obligations']} obligations  ({state})  {row['title']}"
        )


@agreement.command("show")
@reports_errors
def agreement_show(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="The full document as JSON.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """One agreement: its obligations and every figure with its source."""
    with node_for(data_dir, database_url) as node:
        shown = node.compliance.agreement(name)
    if as_json:
        typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    typer.echo(_describe(shown))


@agreement.command("remind")
@reports_errors
def agreement_remind(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Announce reviews and sunsets now due (the node does it by itself while serving)."""
    with node_for(data_dir, database_url) as node:
        if not node.reminders.enabled:
            typer.echo(
                "this node issues no reminders: set ACCORD_SECRETARIAT to a participant it "
                "writes for, and ACCORD_AGREEMENT_NOTICE_DAYS above 0"
            )
            raise typer.Exit(1)
        issued = node.reminders.issue_due()
    for key in issued:
        typer.echo(f"issued {key}")
    if not issued:
        typer.echo("nothing due that was not announced already")


def _describe(doc: dict[str, Any]) -> str:
    sunset = doc.get("sunset") or "none"
    lines = [
        f"{doc['title']} ({doc['name']}, version {doc['version']})",
        f"parties: {doc['parties'] if doc['parties'] == 'all' else ', '.join(doc['parties'])}",
        f"in force from {doc['starts']}; sunset {sunset}; tier {doc['tier']}",
        "",
    ]
    for item in doc["obligations"]:
        lines.append(f"[tier {item['tier']}] {item['id']} ({item['rule']}; {item['source']})")
        lines.append(f"    {item['description']}")
        lines += [f"    {line}" for line in _figures(item["params"])]
    return "\n".join(lines)


def _figures(params: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for key, value in params.items():
        if isinstance(value, dict) and "value" in value:
            check = "verified" if value.get("verified") else "NOT verified"
            lines.append(f"{prefix}{key}: {value['value']}  ({value.get('source')}; {check})")
        elif isinstance(value, dict):
            lines += _figures(value, f"{prefix}{key}.")
        else:
            lines.append(f"{prefix}{key}: {value}")
    return lines


@reports_errors
def file_command(
    path: Annotated[Path, typer.Argument(help="The filing, as JSON or YAML.")],
    participant: AsParticipant = None,
    tlp: Annotated[str | None, typer.Option(help="TLP (GREEN if not given).")] = None,
    audience: Annotated[str | None, typer.Option(help="Comma-separated participants.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """File a notification, request, reply, exchange or share; prints the flags it raises."""
    members = [code for code in (audience or "").split(",") if code.strip()] or None
    with node_for(data_dir, database_url) as node:
        account = _operator(node.settings.author_set, participant, Role.FOCAL_POINT)
        filed = node.compliance.file(account, _read_document(path), tlp=tlp, audience=members)
    typer.echo(json.dumps(filed, indent=2, ensure_ascii=False))
    if filed["flags"]:
        raise typer.Exit(3)  # accepted, but it breaks an obligation


@compliance.command("report")
@reports_errors
def compliance_report(
    name: Annotated[str | None, typer.Option("--agreement", help="One agreement.")] = None,
    participant: Annotated[str | None, typer.Option(help="One party.")] = None,
    output: Annotated[str, typer.Option("--format", help="text, json or csv.")] = "text",
    at: Annotated[str | None, typer.Option(help="Judge as of this ISO 8601 time.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every party's duties, judged from the log."""
    if output not in ("text", "json", "csv"):
        raise InvalidInputError(
            "unknown format", [Problem("--format", "INVALID_VALUE", "text, json or csv")]
        )
    when = _instant(at)
    with node_for(data_dir, database_url) as node:
        names = [name] if name else [a["name"] for a in node.compliance.agreements() if a["loaded"]]
        reports = [
            node.compliance.compliance(_EVERYTHING, n, participant=participant, at=when)
            for n in names
        ]
    if output == "json":
        typer.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    elif output == "csv":
        typer.echo(_csv(reports), nl=False)
    else:
        typer.echo(_text(reports))


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(
            "not a time", [Problem("--at", "INVALID_VALUE", "ISO 8601 with offset")]
        ) from exc
    if value.tzinfo is None:
        raise InvalidInputError("no offset", [Problem("--at", "INVALID_VALUE", "add +00:00")])
    out_of_range = instant_problem(value, "--at")
    if out_of_range is not None:
        raise InvalidInputError("the time is out of range", [out_of_range])
    return value


_CSV_FIELDS = (
    "agreement",
    "obligation",
    "rule",
    "tier",
    "participant",
    "period",
    "status",
    "due",
    "done_at",
    "late_by",
    "detail",
)


def _csv(reports: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*_CSV_FIELDS, "evidence"], extrasaction="ignore")
    writer.writeheader()
    for report in reports:
        for verdict in report["verdicts"]:
            writer.writerow({**verdict, "evidence": " ".join(verdict["evidence"])})
    return out.getvalue()


def _text(reports: list[dict[str, Any]]) -> str:
    lines = []
    for report in reports:
        totals = ", ".join(
            f"{count} {status}" for status, count in sorted(report["totals"].items())
        )
        lines.append(f"{report['agreement']} (tier {report['tier']}) at {report['at']}: {totals}")
        short = [v for v in report["verdicts"] if v["status"] in ("late", "missed")]
        for verdict in sorted(
            short, key=lambda v: (v["participant"], v["obligation"], v["period"])
        ):
            lines.append(
                f"  {verdict['participant']}  {verdict['status']:<6}  {verdict['obligation']}"
                f"  {verdict['period']}: {verdict['detail']}"
            )
        for item in report["recommendations"]:
            lines.append(f"  recommended: {json.dumps(item, ensure_ascii=False)}")
        for item in report["concerns"]:
            lines.append(f"  for the forum: {json.dumps(item, ensure_ascii=False)}")
    return "\n".join(lines)
