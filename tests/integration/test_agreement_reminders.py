"""Reviews, sunsets and lapses announced by the secretariat's node, on both engines: the
running server issues them by itself, as alerts only the agreement's parties read, once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.bootstrap import Node, build
from accord.config import Settings
from accord.domain.identity import Role
from accord.services.ports import Account
from tests.integration.conftest import LiveServer, Region, serving

TODAY = datetime.now(UTC).date()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=database_url, node_name="test-node", secretariat="SEC"
    )


def _pact(name: str, *, review_in: int | None, sunset_in: int | None) -> dict[str, Any]:
    figure = {"value": 12, "source": "the pact, article 9", "verified": True}
    return {
        "name": name,
        "title": f"The {name}",
        "version": 1,
        "parties": ["EE", "LV"],
        "mandate": "Share weather data daily.",
        "tier": 1,
        "starts": (TODAY - timedelta(days=400)).isoformat(),
        "sunset": None if sunset_in is None else (TODAY + timedelta(days=sunset_in)).isoformat(),
        "review": None
        if review_in is None
        else {"every_months": figure, "first": (TODAY + timedelta(days=review_in)).isoformat()},
        "emergency": None,
        "advance": None,
        "obligations": [
            {
                "id": "share",
                "tier": 1,
                "rule": "periodic-sharing",
                "description": "Share weather observations every day.",
                "source": "the pact, article 1",
                "params": {"kind": "weather", "every_days": 1},
            }
        ],
    }


def _load(node: Node, agreement: dict[str, Any]) -> None:
    node.compliance.load(Account(0, "admin", Role.ADMIN, "SEC"), agreement)


def _reminders(server: LiveServer, token: str) -> list[dict[str, Any]]:
    with server.client(token) as client:
        response = client.get("/api/v1/alerts", params={"limit": 100})
        response.raise_for_status()
    alerts = [item["alert"] for item in response.json()["items"]]
    return [a for a in alerts if a["info"][0]["event"].startswith("Agreement")]


def test_the_serving_node_announces_a_review_and_a_sunset_to_the_parties_only(
    node: Node, region: Region
) -> None:
    _load(node, _pact("coast-pact", review_in=10, sunset_in=20))
    _load(node, _pact("far-pact", review_in=200, sunset_in=None))  # outside the notice
    with serving(node) as server:
        deadline = time.monotonic() + 15
        seen = _reminders(server, region.tokens["EE:focal-point"])
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = _reminders(server, region.tokens["EE:focal-point"])
        events = sorted(a["info"][0]["event"] for a in seen)
        assert events == ["Agreement review due", "Agreement sunset"]
        assert all("coast-pact" in a["identifier"] for a in seen)
        assert _reminders(server, region.tokens["LV:analyst"])  # a party's analyst reads it
        assert _reminders(server, region.tokens["LT:focal-point"]) == []  # not a party
    assert node.reminders.issue_due() == []  # announced once, however often it ticks


def test_a_lapse_is_announced_and_nothing_twice(node: Node, region: Region) -> None:
    del region  # the participants and users
    _load(node, _pact("old-pact", review_in=None, sunset_in=-3))
    (issued,) = node.reminders.issue_due()
    assert issued.startswith("ACCORD-AGREEMENT-old-pact-lapsed-")
    assert node.reminders.issue_due() == []


def test_a_node_that_does_not_write_for_the_secretariat_announces_nothing(
    tmp_path: Path, database_url: str
) -> None:
    other = build(
        Settings(
            data_dir=tmp_path / "other",
            database_url=database_url,
            secretariat="SEC",
            authors="EE",
        )
    )
    try:
        assert not other.reminders.enabled
        assert other.reminders.issue_due() == []
    finally:
        other.close()
