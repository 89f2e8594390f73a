"""The FastAPI application: routers, problem+json errors, and the node it serves."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

import accord
from accord.bootstrap import Node
from accord.entrypoints.api import admin, alerts, feeds, log, problems


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title="Accord",
        version=accord.__version__,
        description="A node of a regional security cooperation network: early warning in "
        "CAP 1.2, scoped by TLP 2.0, kept as records. Errors are RFC 9457 problem details.",
    )
    app.state.node = node
    problems.install(app)
    app.include_router(alerts.router)
    app.include_router(admin.router)
    app.include_router(feeds.router)
    app.include_router(log.router)

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
