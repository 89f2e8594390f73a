"""Schemathesis fuzzes every operation of the served OpenAPI schema, as every role.

A short run (a few examples per operation and role): its job is to find server errors and
non-problem+json error bodies, not to prove correctness.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import LiveServer, Region

ROLES = ("anonymous", "admin", "EE:focal-point", "EE:analyst", "OBS:observer", "reporter")


@pytest.mark.slow
def test_no_operation_answers_a_server_error_for_any_role(
    server: LiveServer, region: Region
) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    # The live stream never ends by design; tests/integration/test_stream.py covers it.
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path != "/api/v1/stream"
    ]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:
        for role in ROLES:
            token = region.tokens.get(role)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            _fuzz(operation, server.url, headers, failures)
    assert not failures, "\n".join(failures[:20])


def _fuzz(operation: object, base_url: str, headers: dict[str, str], failures: list[str]) -> None:
    strategy = operation.as_strategy()  # type: ignore[attr-defined]

    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy, _salt=st.integers())
    def run(case: schemathesis.Case, _salt: int) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        label = f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}"
        if response.status_code >= 500:
            failures.append(f"{label}: {response.text[:300]}")
        elif response.status_code >= 400:
            content_type = response.headers.get("content-type") or response.headers.get(
                "Content-Type"
            )
            if content_type not in ("application/problem+json", ["application/problem+json"]):
                failures.append(f"{label}: not problem+json")

    run()
