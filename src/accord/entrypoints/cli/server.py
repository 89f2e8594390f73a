"""Runs a node's API under uvicorn."""

from __future__ import annotations

import gc

import uvicorn

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
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=settings.log_level == "debug",
        )
    finally:
        node.close()
