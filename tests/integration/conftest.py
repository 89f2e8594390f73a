"""Real databases and a real HTTP server on a free loopback port, for integration tests.

Every test runs on SQLite; when ``ACCORD_TEST_DATABASE_URL`` names a PostgreSQL database
(CI sets it) each test runs there too, in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from accord.bootstrap import Node, build
from accord.config import Settings
from accord.entrypoints.api.app import create_app
from accord.entrypoints.cli.server import uvicorn_config

POSTGRES_URL = os.environ.get("ACCORD_TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accord.db'}"
        return
    with postgres_schema() as url:
        yield url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of the test PostgreSQL database in a fresh schema, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, node_name="test-node")


@pytest.fixture
def node(settings: Settings) -> Iterator[Node]:
    built = build(settings)
    yield built
    built.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@contextmanager
def serving(node: Node) -> Iterator[LiveServer]:
    """``node``'s API under uvicorn on a free loopback port, for as long as the block runs."""
    port = free_port()
    config = uvicorn_config(create_app(node), "127.0.0.1", port, "warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}")
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(node: Node) -> Iterator[LiveServer]:
    with serving(node) as live:
        yield live


@dataclass(frozen=True)
class Region:
    """Two states, an observer organisation and a token for every role."""

    tokens: dict[str, str]


@pytest.fixture
def region(node: Node) -> Region:
    identity = node.identity
    identity.add_participant("SEC", "Secretariat", "organisation")
    identity.add_participant("OBS", "Observer mission", "organisation")
    identity.add_user("admin", "admin", "SEC")
    identity.add_user("reporter", "reporter", "SEC")
    identity.add_user("obs-observer", "observer", "OBS")
    tokens: dict[str, str] = {}
    for code in ("EE", "LV", "LT"):
        identity.add_participant(code, code, "state")
        for role in ("focal-point", "analyst", "observer"):
            identity.add_user(f"{code.lower()}-{role}", role, code)
            tokens[f"{code}:{role}"] = identity.issue_token(f"{code.lower()}-{role}")["token"]
    tokens["admin"] = identity.issue_token("admin")["token"]
    tokens["reporter"] = identity.issue_token("reporter")["token"]
    tokens["OBS:observer"] = identity.issue_token("obs-observer")["token"]
    return Region(tokens)
