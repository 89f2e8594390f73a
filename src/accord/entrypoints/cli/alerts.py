"""``accord alert``: send CAP files to a node and list what it holds, over its HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from accord.domain.untrusted import decode_json
from accord.entrypoints.cli.main import reports_errors
from accord.errors import AccordError, AuthenticationError, PeerError

app = typer.Typer(no_args_is_help=True)
Node = Annotated[str, typer.Option("--node", envvar="ACCORD_NODE", help="Node URL.")]
Token = Annotated[str, typer.Option("--token", envvar="ACCORD_TOKEN", help="API token.")]


@app.command("send")
@reports_errors
def send(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    node: Node,
    token: Token,
    tlp: Annotated[str | None, typer.Option(help="TLP level for every alert sent.")] = None,
    audience: Annotated[str | None, typer.Option(help="Comma-separated participants.")] = None,
) -> None:
    """Send each FILE (CAP XML, a wrapper of several alerts, or CAP JSON) to the node."""
    params = {k: v for k, v in {"tlp": tlp, "audience": audience}.items() if v}
    failed = 0
    with _client(node, token) as client:
        for path in files:
            is_json = path.suffix.lower() == ".json"
            response = client.post(
                "/api/v1/alerts:batch",
                content=path.read_bytes()
                if not is_json
                else json.dumps({"items": [{"alert": decode_json(path.read_bytes(), str(path))}]}),
                headers={"Content-Type": "application/json" if is_json else "application/cap+xml"},
                params=params,
            )
            failed += _report(path, response)
    raise typer.Exit(1 if failed else 0)


@app.command("list")
@reports_errors
def list_alerts(
    node: Node,
    token: Annotated[str | None, typer.Option("--token", envvar="ACCORD_TOKEN")] = None,
    category: Annotated[list[str] | None, typer.Option(help="CAP category (repeatable).")] = None,
    status: Annotated[list[str] | None, typer.Option(help="CAP status (default Actual).")] = None,
    severity: Annotated[str | None, typer.Option(help="At least this severity.")] = None,
    sender: str | None = None,
    limit: int = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """List alerts the token may read, newest first."""
    params: dict[str, Any] = {"limit": limit}
    for key, value in {
        "category": category,
        "status": status,
        "severity": severity,
        "sender": sender,
    }.items():
        if value:
            params[key] = value
    with _client(node, token) as client:
        response = client.get("/api/v1/alerts", params=params)
    body = _json_or_raise(response)
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for item in body["items"]:
        alert = item["alert"]
        info = (alert.get("info") or [{}])[0]
        typer.echo(
            f"{alert['sent']}  {alert['status']:<8} {alert['msgType']:<7} "
            f"{item['scope']['tlp']:<12} {item['thread']['state'] or '-':<9} "
            f"{info.get('event', '-')}  [{alert['sender']}]  {item['record_id'][:12]}"
        )


def _client(node: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=node.rstrip("/"), headers=headers, timeout=60)


def _report(path: Path, response: httpx.Response) -> int:
    body = _json_or_raise(response)
    failed = 0
    for result in body["results"]:
        if result["status"] == "rejected":
            failed = 1
            problem = result["problem"]
            typer.echo(f"{path} [{result['index']}]: rejected: {problem['detail']}", err=True)
            for error in problem.get("errors", []):
                typer.echo(f"  {error['location']}: {error['message']} [{error['code']}]", err=True)
        else:
            typer.echo(
                f"{path} [{result['index']}]: {result['status']} "
                f"{result['record_id']} (seq {result['seq']})"
            )
    return failed


def _json_or_raise(response: httpx.Response) -> Any:
    if response.status_code == 401:
        raise AuthenticationError("the node refused the token; check --token / ACCORD_TOKEN")
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            raise PeerError(f"the node answered {response.status_code}") from None
        errors = "; ".join(f"{e['location']}: {e['message']}" for e in problem.get("errors", []))
        raise _NodeError(f"{problem.get('detail', response.status_code)} {errors}".strip())
    return response.json()


class _NodeError(AccordError):
    """The node refused the request; its problem details say why."""
