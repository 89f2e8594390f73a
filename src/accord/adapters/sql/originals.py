"""Stored original bytes, served only when the signed record commits to them.

``records.original`` sits beside the log, not in it: an operator could rewrite it with
the node stopped. Every path that reads an original to serve (the API, the console, feeds,
deliveries) goes through ``served_original``: bytes the record's signed envelope does not
commit to (changed, or kept by a version 2 record that committed to its body only) are
replaced by the signed body, so readers only ever receive signed content, and the
self-audit names the change.
"""

from __future__ import annotations

from accord.ledger.records import signed_original

SIGNED_BODY = "application/json"


def served_original(
    entry: bytes | None, original: bytes, body: str, content_type: str
) -> tuple[bytes, str]:
    """(bytes, content type) to serve as the record as received."""
    if signed_original(entry, original):
        return original, content_type
    return body.encode("utf-8"), SIGNED_BODY
