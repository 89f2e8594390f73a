"""When a record existed, as witnesses saw it: the bound that makes back-dating visible.

A record's author signs a creation time, but an author's clock proves nothing. A witness
that cosigns a checkpoint at time T says: at T the tree of that size existed. So a record
at log index i existed no later than the earliest T of a witnessed tree larger than i
(*present*), and — since a node logs a record when it writes it — was not yet written at
the latest T of a witnessed tree of size i or less (*absent*). A signed creation time
before *absent* claims the record is older than a tree witnessed without it: back-dated,
or written by a node whose clock is wrong by that much. One after *present* is dated in
the future of its own witness. Either way the record says so, with the witness's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Clocks of honest nodes drift; differences inside this are not reported.
TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Sighting:
    """A witness saw the tree at ``size`` entries at time ``at`` (its own signed clock)."""

    at: datetime
    by: str
    size: int
    # The signed checkpoint with the witness's cosignature line: anyone holding the
    # witness's key can check the time. Empty where this node itself is the witness.
    evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "by": self.by, "size": self.size}
        if self.evidence:
            out["evidence"] = self.evidence
        return out


@dataclass(frozen=True, slots=True)
class Timeline:
    """A record's signed creation time between the witness sightings around it."""

    claimed_at: datetime
    absent: Sighting | None  # the latest witnessed tree that did not hold the record
    present: Sighting | None  # the earliest witnessed tree that held it

    def finding(self, tolerance: timedelta = TOLERANCE) -> str | None:
        """What is wrong with the claimed time, if anything, in words."""
        if self.absent is not None and self.claimed_at < self.absent.at - tolerance:
            return (
                f"back-dated: signed as created at {self.claimed_at.isoformat()}, but "
                f"{self.absent.by} saw the log at {self.absent.size} entries without it "
                f"at {self.absent.at.isoformat()} (or their clocks differ by that much)"
            )
        if self.present is not None and self.claimed_at > self.present.at + tolerance:
            return (
                f"dated in the future: signed as created at {self.claimed_at.isoformat()}, "
                f"but {self.present.by} saw it in the log at {self.present.at.isoformat()} "
                "(or their clocks differ by that much)"
            )
        return None

    def to_json(self, tolerance: timedelta = TOLERANCE) -> dict[str, Any]:
        finding = self.finding(tolerance)
        return {
            "claimed_at": self.claimed_at.isoformat(),
            "absent": self.absent.to_json() if self.absent else None,
            "present": self.present.to_json() if self.present else None,
            "consistent": finding is None,
            "finding": finding,
            "tolerance_seconds": tolerance.total_seconds(),
        }
