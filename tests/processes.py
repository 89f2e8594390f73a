"""Real `accord` processes for end-to-end tests, and waiting for things to happen."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TypeVar

import httpx

T = TypeVar("T")


def until(check: Callable[[], T], timeout: float = 60, every: float = 0.2) -> T:
    """``check()`` once it is truthy; AssertionError when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {check}")
        time.sleep(every)


def answers(url: str) -> bool:
    """Whether the node at ``url`` answers its health check."""
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def start_accord(
    args: Sequence[str],
    env: Mapping[str, str],
    url: str,
    *,
    output: int | IO[bytes] = subprocess.DEVNULL,
    timeout: float = 60,
) -> subprocess.Popen[bytes]:
    """Run ``accord ARGS`` and return once ``url`` answers; killed if it never does."""
    accord = Path(sys.executable).with_name("accord")
    process = subprocess.Popen([str(accord), *args], env=dict(env), stdout=output, stderr=output)
    try:
        until(lambda: answers(url), timeout, every=0.05)
    except AssertionError:
        process.kill()
        raise AssertionError(f"accord {' '.join(args)} did not start at {url}") from None
    return process
