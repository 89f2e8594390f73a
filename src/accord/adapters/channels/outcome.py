"""What one delivery attempt came to, in a form the delivery worker can act on without
knowing which channel carried it.

The type itself belongs to the delivery port (``accord.services.delivery_ports``), since
the worker decides retries, dead letters and disabled endpoints from it; the channels
return that very type so the dispatcher needs no translation. Its fields: ``delivered``;
``status`` (HTTP status or SMTP reply code, when the receiver answered); ``error`` (empty
when delivered, else a short message for an operator); ``gone`` (HTTP 410: disable the
endpoint); ``permanent`` (retrying cannot help); ``duration_ms``.
"""

from __future__ import annotations

import time

from accord.services.delivery_ports import SendOutcome

__all__ = ["SendOutcome", "clip", "elapsed_ms", "failure"]
ERROR_LENGTH = 200


def failure(
    started: float,
    error: str,
    *,
    status: int | None = None,
    gone: bool = False,
    permanent: bool = False,
) -> SendOutcome:
    """A failed attempt that began at ``started`` (``time.perf_counter()``)."""
    return SendOutcome(
        delivered=False,
        status=status,
        error=error,
        gone=gone,
        permanent=permanent,
        duration_ms=elapsed_ms(started),
    )


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def clip(text: str) -> str:
    """An error short enough for an operator's screen and the attempts table."""
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"
