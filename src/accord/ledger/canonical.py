"""Canonical bytes: RFC 8785 (JSON Canonicalization Scheme) and the digests taken of them.

Everything that is hashed or signed goes through here, so two nodes that hold the same
statement compute the same bytes and the same hash for it.

For values without floats, whose object keys sort the same by code point as by UTF-16
code unit (no key character at or above U+D800), RFC 8785's output is exactly what the
standard library's ``json.dumps`` writes with sorted keys, compact separators and no ASCII
escaping; that path is many times faster, so it is taken whenever it applies and the
``rfc8785`` package handles everything else. A property test holds the two to the same
bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

_SAFE_INT = 2**53
_KEY_LIMIT = "\ud800"


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value (dicts, lists, str, int, float, bool, None)."""
    if _plain(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(value: Any) -> bool:
    """No floats, no unsafe integers, no keys whose order RFC 8785 would see differently."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if isinstance(item, int):
            if -_SAFE_INT < item < _SAFE_INT:
                continue
            return False
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    return False
                if not key.isascii() and key and max(key) >= _KEY_LIMIT:
                    return False
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        else:
            return False
    return True
