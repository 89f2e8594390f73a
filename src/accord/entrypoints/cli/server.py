"""Runs a node's API under uvicorn."""

from __future__ import annotations

import uvicorn

from accord.bootstrap import build
from accord.config import Settings
from accord.entrypoints.api.app import create_app


def run_server(settings: Settings) -> None:
    node = build(settings)
    try:
        uvicorn.run(
            create_app(node),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=settings.log_level == "debug",
        )
    finally:
        node.close()
