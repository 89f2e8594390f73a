"""The FastAPI application: routers, problem+json errors, and the node it serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import accord
from accord.adapters.federation.signatures import RequestVerifier
from accord.bootstrap import Node
from accord.entrypoints import web
from accord.entrypoints.api import (
    admin,
    agreements,
    alerts,
    federation,
    feeds,
    log,
    problems,
    query_text,
    stream,
    subscriptions,
)
from accord.entrypoints.api.proxies import ForwardedClient
from accord.entrypoints.api.rate_limits import RateLimits, limiter_for
from accord.entrypoints.web.security import session_cookie_name
from accord.services.log_audit import AuditInterrupted

logger = logging.getLogger(__name__)
PEER_CLOCK_SKEW = timedelta(minutes=135)


def create_app(node: Node) -> FastAPI:
    hub = stream.StreamHub(node)
    node.alerts.when_committed(hub.notify)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        refresher = asyncio.create_task(_refresh_checkpoints(node))
        streaming = asyncio.create_task(hub.run())
        replicating = asyncio.create_task(_replicate(node))
        reminding = asyncio.create_task(_remind(node))
        stop, stopping = threading.Event(), asyncio.Event()
        auditing = asyncio.create_task(_audit(node, stop, stopping))
        worker = None
        if node.settings.worker == "in-process":
            worker = threading.Thread(
                target=node.worker.run_forever, args=(stop,), name="accord-worker", daemon=True
            )
            worker.start()
        yield
        stop.set()
        node.worker.wake()
        refresher.cancel()
        streaming.cancel()
        replicating.cancel()
        reminding.cancel()
        stopping.set()
        await auditing  # not cancelled: an audit under way ends at its next page
        if worker is not None:
            await asyncio.to_thread(worker.join, 30)

    app = FastAPI(
        lifespan=lifespan,
        title="Accord",
        version=accord.__version__,
        description="A node of a regional security cooperation network: early warning in "
        "CAP 1.2, scoped by TLP 2.0, kept as records. Errors are RFC 9457 problem details.",
    )
    app.state.node = node
    app.state.stream_hub = hub
    # Nodes' clocks drift: a peer's request is accepted if dated within PEER_CLOCK_SKEW of
    # ours either way (two nodes an hour off true time in opposite directions are two hours
    # apart); its nonce is remembered as long, so it still cannot be replayed.
    app.state.peer_verifier = RequestVerifier(
        node.federation.public_key_for,
        clock=node.clock.now,
        max_age=PEER_CLOCK_SKEW,
        max_skew=PEER_CLOCK_SKEW,
    )
    problems.install(app)
    app.add_middleware(query_text.RefuseForbiddenText)
    app.include_router(alerts.router)
    app.include_router(admin.router)
    app.include_router(feeds.router)
    app.include_router(log.router)
    app.include_router(subscriptions.router)
    app.include_router(stream.router)
    app.include_router(federation.router)
    app.include_router(agreements.router)
    web.install(app)
    _limit(app, node)

    @app.get("/api/v1/node", tags=["node"])
    def about() -> dict[str, Any]:
        return {"name": node.settings.node_name, "version": accord.__version__}

    @app.get("/healthz", tags=["node"], include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/problems/{slug}", tags=["node"], summary="What a problem type means")
    def problem_type(slug: str) -> JSONResponse:
        if slug not in problems.PROBLEM_TYPES:
            return problems.problem_response(
                404, "not-found", "Not found", f"no problem type {slug!r}"
            )
        return JSONResponse({"type": f"/problems/{slug}", "title": problems.PROBLEM_TYPES[slug]})

    return app


def _limit(app: FastAPI, node: Node) -> None:
    """The outermost layers: first whose address a request is from, then its rate limit."""
    app.state.rate_limiter = limiter_for(node.settings)
    app.add_middleware(
        RateLimits,
        limiter=app.state.rate_limiter,
        peer_paths=federation.PEER_PATHS,
        session_cookie=session_cookie_name,
    )
    app.add_middleware(ForwardedClient, trusted=node.settings.trusted_proxy_networks)


async def _refresh_checkpoints(node: Node) -> None:
    """Keep a fresh signed checkpoint while idle, so witnesses always have one to cosign."""
    interval = node.settings.checkpoint_interval
    while True:
        await asyncio.sleep(min(interval, 60))
        try:
            await run_in_threadpool(node.log.ensure_checkpoint, max_age_seconds=interval)
        except Exception:  # a failed refresh must not stop the next one
            logger.exception("could not refresh the log checkpoint")


async def _remind(node: Node) -> None:
    """Announce agreements' reviews and sunsets as they come within notice (a no-op on
    nodes that do not write the secretariat's records)."""
    if not node.reminders.enabled:
        return
    while True:
        try:
            await run_in_threadpool(node.reminders.tick)
        except Exception:  # a failed round must not stop the next one
            logger.exception("could not issue agreement reminders; trying again")
        await asyncio.sleep(60)


async def _audit(node: Node, stop: threading.Event, stopping: asyncio.Event) -> None:
    """Audit the node's own log once the server has started and every
    ACCORD_AUDIT_INTERVAL seconds after (0: never here). Shutting down sets ``stop`` (an
    audit under way ends at its next page) and ``stopping`` (the wait ends)."""
    interval = node.settings.audit_interval
    if interval <= 0:
        return
    await asyncio.sleep(0)  # let the server finish starting first
    while not stop.is_set():
        await _audit_once(node, stop)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)


async def _audit_once(node: Node, stop: threading.Event) -> None:
    try:
        audit = await run_in_threadpool(node.log_audit.run, stop.is_set)
    except AuditInterrupted:
        return
    except Exception:  # a failed audit must not stop the next one
        logger.exception("could not audit the log; trying again at the next interval")
        return
    if not audit.is_clean:
        logger.error(
            "the audit of the log found %d problems (see /console/log): %s",
            len(audit.findings),
            "; ".join(str(finding) for finding in audit.findings[:5]),
        )


async def _replicate(node: Node) -> None:
    """Pull from every peer at start and every ACCORD_FEDERATION_INTERVAL seconds after
    (0: never here)."""
    interval = node.settings.federation_interval
    if interval <= 0:
        return
    while True:
        try:
            await run_in_threadpool(node.federation.pull_all)
        except Exception:  # one bad round must not stop replication for good
            logger.exception("pulling from peers failed; trying again")
        await asyncio.sleep(interval)
