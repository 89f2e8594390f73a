"""The standing adversarial suite: each class of hole found in issue 14, tried with the
attacker's move, on both engines. Fixtures come from tests/integration/conftest.py."""

from tests.integration.conftest import database_url, node, region, server, settings

__all__ = ["database_url", "node", "region", "server", "settings"]
