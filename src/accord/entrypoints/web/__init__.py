"""The web face of a node: the public portal (``/``) and the signed-in console (``/console``).

Pages are rendered on the server with Jinja2 (autoescaped), styled and enhanced by the
package's own CSS and JavaScript under ``/static``; nothing is loaded from elsewhere and
every page carries a strict Content-Security-Policy (docs/web.md).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from accord.entrypoints.web import (
    admin,
    agreements,
    alert_detail,
    compose,
    console,
    log,
    portal,
    signin,
    subscriptions,
)
from accord.entrypoints.web.languages import load_catalogues
from accord.entrypoints.web.rendering import make_templates
from accord.entrypoints.web.security import SecurityHeaders


def install(app: FastAPI) -> None:
    """Add the portal, the console and their static files to ``app``."""
    app.state.templates = make_templates()
    app.state.catalogues = load_catalogues()
    app.include_router(portal.router)
    app.include_router(signin.router)
    app.include_router(console.router)
    app.include_router(compose.router)
    app.include_router(alert_detail.router)
    app.include_router(admin.router)
    app.include_router(subscriptions.router)
    app.include_router(agreements.router)
    app.include_router(log.router)
    app.mount(
        "/static",
        StaticFiles(packages=[("accord.entrypoints.web", "static")]),
        name="static",
    )
    app.add_middleware(SecurityHeaders)
