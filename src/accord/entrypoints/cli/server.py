"""Runs a node's API under uvicorn."""

from __future__ import annotations

import contextlib
import gc
import sys

import uvicorn
from starlette.types import ASGIApp

from accord.bootstrap import build
from accord.config import Settings
from accord.entrypoints.api.app import create_app


def run_server(settings: Settings) -> None:
    node = build(settings)
    app = create_app(node)
    # Everything built so far lives as long as the process: keep it out of the cyclic
    # collector's full passes, which otherwise stall every open stream for ~0.2 s at once.
    gc.collect()
    gc.freeze()
    server = uvicorn.Server(uvicorn_config(app, settings.host, settings.port, settings.log_level))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    finally:
        node.close()
    if not server.started:
        sys.exit(3)  # what uvicorn.run exits with when the server never started


def uvicorn_config(app: ASGIApp, host: str, port: int, log_level: str) -> uvicorn.Config:
    """How a node runs under uvicorn: ``accord serve`` and the tests' live servers alike.

    ``proxy_headers`` is off: uvicorn's own handling believes ``X-Forwarded-For`` from any
    loopback peer before the app sees the request; the app decides whose it believes
    (``ACCORD_TRUSTED_PROXIES``)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        proxy_headers=False,
    )
