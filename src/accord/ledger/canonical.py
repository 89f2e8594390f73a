"""Canonical bytes: RFC 8785 (JSON Canonicalization Scheme) and the digests taken of them.

Everything that is hashed or signed goes through here, so two nodes that hold the same
statement compute the same bytes and the same hash for it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value (dicts, lists, str, int, bool, None)."""
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
