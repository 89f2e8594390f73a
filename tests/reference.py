"""Where the shared reference corpus lives, and a skip when a clone has none beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"the shared reference corpus is not at {REFERENCE}; CI provides it")
    return REFERENCE


def real_alert_files() -> list[Path]:
    """Every real CAP 1.2 alert and spec example (all valid per RULES.md)."""
    if not REFERENCE.is_dir():
        return []
    cap = REFERENCE / "cap"
    return sorted([*(cap / "real").rglob("*.*"), *(cap / "oasis" / "examples").glob("*.xml")])
