"""``accord subscription``, ``accord delivery`` and ``accord worker``.

Subscriptions and the outbox are managed over a node's HTTP API with a token, like
``accord alert``; the worker runs beside the node's database, with its settings.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from accord.domain.untrusted import decode_json
from accord.entrypoints.cli.admin import node_for
from accord.entrypoints.cli.alerts import Node, Token, _client, _json_or_raise
from accord.entrypoints.cli.main import DatabaseUrl, DataDir, reports_errors

subscription = typer.Typer(no_args_is_help=True, help="Subscriptions to alerts, over the API.")
delivery = typer.Typer(no_args_is_help=True, help="The delivery outbox (admins), over the API.")


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _answer(response: httpx.Response) -> Any:
    if response.status_code == 204:
        return None
    return _json_or_raise(response)


@subscription.command("add")
@reports_errors
def subscription_add(
    name: str,
    node: Node,
    token: Token,
    filter_json: Annotated[
        str, typer.Option("--filter", help="Filter as JSON, or @FILE (see docs/delivery.md).")
    ] = "{}",
    agency: Annotated[str | None, typer.Option(help="Agency subscribed for.")] = None,
    webhook: Annotated[list[str] | None, typer.Option(help="Webhook URL (repeatable).")] = None,
    email: Annotated[list[str] | None, typer.Option(help="E-mail address (repeatable).")] = None,
    xml: Annotated[bool, typer.Option(help="Send CAP XML rather than JSON.")] = False,
    test: Annotated[bool, typer.Option(help="Endpoints also take Test messages.")] = False,
) -> None:
    """Subscribe; prints the subscription with its webhook secrets (shown only now)."""
    text = filter_json
    if filter_json.startswith("@"):
        text = Path(filter_json[1:]).read_text(encoding="utf-8")
    fmt = "xml" if xml else "json"
    endpoints = [{"kind": "webhook", "url": u, "format": fmt, "test": test} for u in webhook or []]
    endpoints += [{"kind": "email", "address": a, "format": fmt, "test": test} for a in email or []]
    body: dict[str, Any] = {
        "name": name,
        "filter": decode_json(text, "--filter"),
        "endpoints": endpoints,
    }
    if agency:
        body["agency"] = agency
    with _client(node, token) as client:
        _print(_answer(client.post("/api/v1/subscriptions", json=body)))


@subscription.command("list")
@reports_errors
def subscription_list(node: Node, token: Token) -> None:
    """Your subscriptions (all of them, for an admin)."""
    with _client(node, token) as client:
        _print(_answer(client.get("/api/v1/subscriptions")))


@subscription.command("remove")
@reports_errors
def subscription_remove(subscription_id: int, node: Node, token: Token) -> None:
    """Unsubscribe."""
    with _client(node, token) as client:
        _answer(client.delete(f"/api/v1/subscriptions/{subscription_id}"))
    typer.echo(f"subscription {subscription_id} removed")


@subscription.command("rotate-secret")
@reports_errors
def rotate_secret(
    endpoint_id: int,
    node: Node,
    token: Token,
    overlap_hours: Annotated[float, typer.Option(help="Old secrets keep signing this long.")] = 24,
) -> None:
    """New webhook secret for an endpoint; the old one signs too until the overlap ends."""
    with _client(node, token) as client:
        _print(
            _answer(
                client.post(
                    f"/api/v1/endpoints/{endpoint_id}/rotate-secret",
                    json={"overlap_hours": overlap_hours},
                )
            )
        )


@delivery.command("list")
@reports_errors
def delivery_list(
    node: Node,
    token: Token,
    state: Annotated[str | None, typer.Option(help="pending, delivered, failed, cancelled")] = None,
    endpoint: Annotated[int | None, typer.Option(help="Only this endpoint.")] = None,
    limit: int = 100,
) -> None:
    """Deliveries with their attempts, and counts by state."""
    params = {k: v for k, v in {"state": state, "endpoint": endpoint, "limit": limit}.items() if v}
    with _client(node, token) as client:
        _print(_answer(client.get("/api/v1/deliveries", params=params)))


@delivery.command("replay")
@reports_errors
def delivery_replay(delivery_ids: list[int], node: Node, token: Token) -> None:
    """Send failed or cancelled deliveries again, with their original message ids."""
    with _client(node, token) as client:
        for delivery_id in delivery_ids:
            _answer(client.post(f"/api/v1/deliveries/{delivery_id}/replay"))
            typer.echo(f"delivery {delivery_id} queued again")


@reports_errors
def worker(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    once: Annotated[bool, typer.Option(help="Send what is due now, then exit.")] = False,
) -> None:
    """Send deliveries and fire escalations, beside `accord serve` run with ACCORD_WORKER=off.
    Several workers may share one PostgreSQL database; none sends a delivery twice."""
    with node_for(data_dir, database_url) as built:
        if once:
            typer.echo(f"{built.worker.drain()} deliveries attempted")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        typer.echo("accord worker: sending deliveries (Ctrl-C to stop)")
        built.worker.run_forever(stop)
